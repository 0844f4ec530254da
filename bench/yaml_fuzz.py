"""The YAML loaders under a seeded mutation fuzzer: flows and tenants.

Usage: ``uv run python bench/yaml_fuzz.py [--mutants 200] [--seed 20] [--timeout 30]
[--code DIR] [--baseline DIR]``

Mutates the shipped flows and tenant files (see ``tests/yaml_fuzz.py`` for the
mutations) and loads each mutant in a child process with a time and memory limit.
Prints, per target, the mutants, tracebacks, mutants accepted although invalid, errors
without a line, and hangs; with ``--baseline DIR`` (a checkout of an earlier commit,
e.g. ``git archive <commit> | tar -x -C DIR``) the same mutants are run against that
code too and printed beside. Run it under the shared CPU lock.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.yaml_fuzz import Table, Target, fuzz, table  # noqa: E402

HEADER = ("target", "code", "mutants", "tracebacks", "accepted-invalid", "no line", "hangs")


def _run(code: Path, target: Target, args: argparse.Namespace) -> tuple[Table, float]:
    started = time.monotonic()
    outcomes = fuzz(code, target, count=args.mutants, seed=args.seed, timeout_s=args.timeout)
    return table(outcomes), time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=int, default=200, help="per target")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a hang")
    parser.add_argument("--code", type=Path, default=ROOT, help="the code to fuzz")
    parser.add_argument("--baseline", type=Path, help="an earlier checkout, run beside")
    parser.add_argument("--examples", action="store_true", help="print examples of each")
    args = parser.parse_args()
    codes = [("baseline", args.baseline)] if args.baseline else []
    codes.append(("this", args.code))
    rows: list[tuple[str, ...]] = []
    for target in ("flow", "tenant"):
        for label, code in codes:
            result, seconds = _run(code, target, args)
            rows.append((target, label, *(str(n) for n in result.row())))
            print(f"# {target} / {label}: {seconds:.0f} s", file=sys.stderr)
            if args.examples:
                for kind, found in result.examples.items():
                    for example in found:
                        print(f"#   {kind}: {example}", file=sys.stderr)
    widths = [max(len(r[i]) for r in [HEADER, *rows]) for i in range(len(HEADER))]
    for row in [HEADER, *rows]:
        print("  ".join(cell.rjust(w) if i > 1 else cell.ljust(w) for i, (cell, w) in
                        enumerate(zip(row, widths, strict=True))))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
