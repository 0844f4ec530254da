"""Knowledge-base quality and speed per tenant: Frontdesk's search vs a keyword baseline.

Usage: ``uv run python bench/knowledge.py [--tenant ID] [--misses] [--fit]``

For each tenant with an ``eval.yaml``: top-1 and top-3 hit rates (the best passage, or
one of the best three, holds the expected fact), search time per query, and the
confidence of the questions the documents do not answer (all must stay below the
tenant's threshold). The baseline ranks chunks by shared lower-cased words.
``--fit`` refits the confidence calibration on every eval set and prints the constants
for ``agent/knowledge/calibrate.py``.
"""

from __future__ import annotations

import argparse
import sys

from agent.config import load_settings
from agent.knowledge.calibrate import fit
from agent.knowledge.evaluate import (
    KeywordBaseline,
    Report,
    bar_failures,
    calibration_samples,
    evaluate,
    evaluate_kb,
    load_eval,
)
from agent.knowledge.search import knowledge_for
from agent.tenants import known_tenants, load_tenant


def _row(name: str, report: Report) -> str:
    return (
        f"  {name:<10} top-1 {report.hit_rate(1):6.1%}   top-3 {report.hit_rate(3):6.1%}"
        f"   {report.mean_ms:6.2f} ms/query"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenant", action="append", help="tenant id (default: all)")
    parser.add_argument("--misses", action="store_true", help="list the top-1 misses")
    parser.add_argument("--fit", action="store_true", help="refit the calibration")
    args = parser.parse_args()
    settings = load_settings()
    ids = args.tenant or known_tenants(settings.tenants_dir)
    samples = []
    ok = True
    for tenant_id in ids:
        tenant = load_tenant(settings.tenants_dir, tenant_id)
        path = tenant.folder / "eval.yaml"
        if not path.is_file():
            continue
        eval_set, kb = load_eval(path), knowledge_for(tenant)
        report = evaluate_kb(kb, eval_set)
        baseline = evaluate(KeywordBaseline(kb), eval_set)
        threshold = tenant.config.knowledge.threshold
        worst = max(report.unanswerable.values(), default=0.0)
        below = sum(c < threshold for c in report.unanswerable.values())
        answered = sum(c >= threshold for c in report.answerable_confidence.values())
        print(f"{tenant_id}: {len(eval_set.questions)} questions, {len(kb.index.chunks)} chunks")
        print(_row("frontdesk", report))
        print(_row("baseline", baseline))
        print(
            f"  unanswerable below threshold {threshold}: {below}/{len(report.unanswerable)}"
            f" (highest {worst:.2f}); answerable at or above: "
            f"{answered}/{len(report.outcomes)}"
        )
        if eval_set.holdout:
            held = evaluate_kb(kb, eval_set.held_out())
            base = evaluate(KeywordBaseline(kb), eval_set.held_out())
            print(f"  holdout ({len(eval_set.holdout)} questions never tuned on):")
            print(_row("frontdesk", held))
            print(_row("baseline", base))
            said = [o for o in held.outcomes if held.answerable_confidence[o.question] >= threshold]
            right = sum(o.rank == 1 for o in said)
            print(f"  holdout answered (confidence >= {threshold}): {len(said)}, right: {right}")
            if args.misses:
                for miss in held.misses():
                    print(f"    holdout miss (rank {miss.rank}): {miss.question!r}")
        ok = ok and not bar_failures(report, threshold)
        if args.misses:
            for miss in report.misses():
                print(f"    miss (rank {miss.rank}): {miss.question!r} wants {miss.fact!r}")
                print(f"         got: {miss.top[:100]!r}")
            for question, confidence in report.unanswerable.items():
                print(f"    unanswerable {confidence:.2f}: {question!r}")
        samples += calibration_samples(kb, eval_set)
    if args.fit:
        print(f"fitted on {len(samples)} questions: {fit(samples)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
