"""What a knowledge base replies to each question: the collector ``bench/knowledge.py``
runs on the current code and, in a subprocess, on a baseline commit's code.

It uses only the API every version has (``load_tenant``, ``knowledge_for``,
``search(question, k)`` with ``passages``, ``confidence`` and ``answer``), so the same
questions can be put to the code before and after a change in one bench run. A reply's
``options`` (a clarifying question's choices) is read where the version has them.

As a script: ``python bench/knowledge_replies.py TENANTS_DIR [--embeddings]``, the
questions as JSON ``{tenant: [question, ...]}`` on stdin, the replies as JSON on stdout.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TypedDict


class Reply(TypedDict):
    passages: list[str]  # the first three passages' texts, best first
    confidence: float
    answer: str  # the spoken answer ("" when there is none)
    options: list[str]  # a clarifying question's choices (none: not a clarification)
    threshold: float
    ms: float  # the search's time


def replies(
    tenants_dir: Path, questions: dict[str, list[str]], *, embeddings: bool
) -> dict[str, dict[str, Reply]]:
    """``{tenant: {question: reply}}`` from the importable ``agent`` package's search."""
    from agent.tenants import load_tenant
    from agent.tenants.knowledge import knowledge_for

    found: dict[str, dict[str, Reply]] = {}
    for tenant_id, asked in questions.items():
        tenant = load_tenant(tenants_dir, tenant_id)
        kb = knowledge_for(tenant, embeddings=embeddings)
        threshold = float(tenant.config.knowledge.threshold)
        found[tenant_id] = {}
        for question in asked:
            start = time.perf_counter()
            result = kb.search(question, 3)
            ms = 1000 * (time.perf_counter() - start)
            found[tenant_id][question] = Reply(
                passages=[p.text for p in result.passages],
                confidence=float(result.confidence),
                answer=result.answer,
                options=[getattr(o, "topic", str(o)) for o in getattr(result, "options", ())],
                threshold=threshold,
                ms=ms,
            )
    return found


def main() -> int:
    tenants_dir = Path(sys.argv[1])
    questions = json.load(sys.stdin)
    found = replies(tenants_dir, questions, embeddings="--embeddings" in sys.argv[2:])
    json.dump(found, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
