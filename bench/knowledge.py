"""Knowledge answers per tenant and eval set, before and after, in one run.

Usage: ``uv run python bench/knowledge.py [--tenant ID] [--embeddings] [--misses]
[--baseline REF | --no-baseline] [--fit]``

For each tenant with an ``eval.yaml`` and each of its sets (``eval``: tuned on;
``holdout`` and ``holdout2``: never tuned on, ``holdout2`` written blind to the rules):
top-1 and top-3 (the best passage, or one of the best three, holds the expected fact),
answered-and-right, answered-and-wrong (an answer spoken from a passage without the
fact), unanswerable-answered (an answer spoken to a question the documents do not
answer) and clarified (the caller asked which of two topics they mean). "Answered" is
what the answer node does: confidence at or above the tenant's threshold and an answer
to say (and, after, no check withholding it and no clarifying question).

Each figure is printed as ``before -> after``: "before" is the code of ``--baseline``
(a git commit; default: the commit before the answer checks), run in a subprocess on a
copy of the tenants' documents (``bench/knowledge_replies.py``); "after" is this tree.
Then the mean search time per question, before and after. ``--embeddings`` adds hybrid
search (BM25 fused with all-MiniLM-L6-v2; ``uv sync --extra embeddings``) beside BM25.
``--fit`` refits the confidence calibration on the ``eval`` sets and prints the
constants for ``agent/knowledge/calibrate.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

from knowledge_replies import Reply, replies

from agent.config import ROOT, load_settings
from agent.knowledge.calibrate import Features, fit
from agent.knowledge.evaluate import EvalSet, Said, Scores, calibration_samples, load_eval, score
from agent.tenants import known_tenants, load_tenant
from agent.tenants.knowledge import knowledge_for

# The last commit before the answer checks (issue 16): the "before" of every figure.
BASELINE = "843ec2c"
Replies = dict[str, dict[str, Reply]]  # tenant -> question -> reply


def _said(reply: Reply) -> Said:
    says = reply["confidence"] >= reply["threshold"] and bool(reply["answer"])
    options = bool(reply["options"])
    return Said(tuple(reply["passages"]), says and not options, options, reply["answer"])


def _score(eval_set: EvalSet, found: dict[str, Reply]) -> Scores:
    return score(eval_set, lambda q: _said(found[q]))


def _mean_ms(found: dict[str, Reply]) -> float:
    return sum(r["ms"] for r in found.values()) / max(len(found), 1)


def _questions(sets: dict[str, dict[str, EvalSet]]) -> dict[str, list[str]]:
    return {
        tenant: sorted(
            {q for s in parts.values() for q in (*(i.q for i in s.questions), *s.unanswerable)}
        )
        for tenant, parts in sets.items()
    }


def _baseline(
    ref: str, tenants_dir: Path, questions: dict[str, list[str]], *, embeddings: bool
) -> Replies:
    """The replies of commit ``ref``'s ``agent`` package, in a subprocess, on a copy of
    the tenants (so its index files never replace this tree's)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "agent"], capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryDirectory(prefix="kb-baseline-") as tmp:
        with tarfile.open(fileobj=BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        copy = Path(tmp) / "tenants"
        shutil.copytree(tenants_dir, copy, ignore=shutil.ignore_patterns(".index"))
        script = Path(__file__).with_name("knowledge_replies.py")
        command = [sys.executable, str(script), str(copy), *(["--embeddings"] * embeddings)]
        env = {**os.environ, "PYTHONPATH": tmp}
        done = subprocess.run(
            command,
            input=json.dumps(questions),
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp,
            check=False,
        )
        if done.returncode:
            raise SystemExit(f"baseline {ref} failed:\n{done.stderr}")
        found: Replies = json.loads(done.stdout)
        return found


def _figures(s: Scores) -> tuple[float, float, int, int, int, int]:
    n = s.questions
    return (
        s.top1 / n,
        s.top3 / n,
        s.right,
        len(s.wrong),
        len(s.unanswerable_answered),
        s.clarified,
    )


def _show(column: int, value: float) -> str:
    return f"{value:.1%}" if column < 2 else str(int(value))


def _row(tenant: str, part: str, mode: str, before: Scores | None, after: Scores) -> str:
    """One markdown row: each figure as ``before -> after`` (or ``after`` alone)."""
    now = _figures(after)
    then = _figures(before) if before is not None else None
    cells = []
    for i, value in enumerate(now):
        cell = _show(i, value) if then is None else f"{_show(i, then[i])} -> {_show(i, value)}"
        cells.append("" if i == 4 and not after.unanswerable else cell)
    size = f"{after.questions}" + (f" + {after.unanswerable}" if after.unanswerable else "")
    return f"| {tenant} | {part} ({size}) | {mode} | " + " | ".join(cells) + " |"


HEADER = (
    "| tenant | set (answerable + not) | search | top-1 | top-3 | answered right"
    " | answered wrong | unanswerable answered | clarified |\n"
    "|---|---|---|---:|---:|---:|---:|---:|---:|"
)


def _load_encoder() -> None:
    from agent.knowledge.embed import encoder

    start = time.perf_counter()
    encoder().encode(["warm up"])
    print(f"embeddings: model loaded in {time.perf_counter() - start:.2f} s", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenant", action="append", help="tenant id (default: all)")
    parser.add_argument("--misses", action="store_true", help="list the wrong answers")
    parser.add_argument("--fit", action="store_true", help="refit the calibration")
    parser.add_argument("--embeddings", action="store_true", help="hybrid search too")
    parser.add_argument("--baseline", default=BASELINE, help="git commit of the 'before'")
    parser.add_argument("--no-baseline", action="store_true", help="only this tree")
    args = parser.parse_args()
    settings = load_settings()
    tenants_dir = settings.tenants_dir
    ids = args.tenant or known_tenants(tenants_dir)
    sets = {
        t: load_eval(tenants_dir / t / "eval.yaml").parts()
        for t in ids
        if (tenants_dir / t / "eval.yaml").is_file()
    }
    questions = _questions(sets)
    modes = {"bm25": False, **({"hybrid": True} if args.embeddings else {})}
    if args.embeddings:
        _load_encoder()
    after = {m: replies(tenants_dir, questions, embeddings=e) for m, e in modes.items()}
    before = {
        m: None
        if args.no_baseline
        else _baseline(args.baseline, tenants_dir, questions, embeddings=e)
        for m, e in modes.items()
    }
    print(HEADER)
    wrong = True
    for tenant, parts in sets.items():
        for part, eval_set in parts.items():
            for mode in modes:
                now = _score(eval_set, after[mode][tenant])
                old = before[mode]
                then = None if old is None else _score(eval_set, old[tenant])
                print(_row(tenant, part, mode, then, now))
                wrong = wrong and now.misleading == 0
                for q in now.wrong + now.unanswerable_answered if args.misses else []:
                    reply = after[mode][tenant][q]
                    print(f"    wrong ({mode} {part}): {q!r} -> {reply['answer'][:90]!r}")
    print("\nsearch time, mean ms per question (before -> after):")
    for tenant in sets:
        for mode in modes:
            old = before[mode]
            was = f"{_mean_ms(old[tenant]):.2f} -> " if old is not None else ""
            print(f"  {tenant} {mode}: {was}{_mean_ms(after[mode][tenant]):.2f}")
    if args.fit:
        for mode, embeddings in modes.items():
            samples: list[tuple[Features, int]] = []
            for tenant in sets:
                kb = knowledge_for(load_tenant(tenants_dir, tenant), embeddings=embeddings)
                samples += calibration_samples(kb, sets[tenant]["eval"])
            print(f"{mode}: fitted on {len(samples)} questions: {fit(samples)}")
    return 0 if wrong else 1


if __name__ == "__main__":
    sys.exit(main())
