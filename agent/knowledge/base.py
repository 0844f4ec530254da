"""The knowledge-search contract: what an ``answer`` node asks, and what it gets back.

:class:`KnowledgeSearch` is the one interface between the flow engine and a tenant's
knowledge base. ``search`` is synchronous and fast (an in-memory index, milliseconds),
so the pure flow machine can call it inside a turn. ``confidence`` is calibrated to
0..1 so that an ``answer`` node's ``threshold`` means the same for every index: a
question the documents do not answer must come out below the usual threshold (0.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk: its text, raw ranking ``score``, file and heading path."""

    text: str
    score: float
    source: str
    heading: str = ""


@dataclass(frozen=True)
class Option:
    """One of the topics a clarifying question offers ("cancellations"), the answer to
    say when the caller picks it, and the file it comes from."""

    topic: str
    answer: str
    source: str = ""


@dataclass(frozen=True)
class SearchResult:
    """Passages best first, the ``confidence`` (0..1) that the first one answers the
    question, and ``answer``: the reply composed for voice (short, no markdown, numbers
    and prices spoken naturally; "" when there is nothing to say).

    ``withheld`` says why no answer is given although a passage was found (the checks
    of :mod:`agent.knowledge.checks`: "no document mentions 'humana'"); the answer is then
    "". ``options``: two topics close enough that the caller is asked which one they mean
    instead of hearing a guess (the answer is "" then too). :meth:`says` is whether an
    answer node speaks the answer."""

    question: str
    passages: tuple[Passage, ...]
    confidence: float
    answer: str
    withheld: str = ""
    options: tuple[Option, ...] = ()

    @property
    def best(self) -> Passage | None:
        return self.passages[0] if self.passages else None

    def says(self, threshold: float) -> bool:
        """Whether an answer node with ``threshold`` speaks the answer."""
        return (
            self.confidence >= threshold
            and bool(self.answer)
            and not self.withheld
            and not self.options
        )


class KnowledgeSearch(Protocol):
    """A tenant's searchable knowledge base."""

    def search(self, question: str, k: int = 3) -> SearchResult: ...
