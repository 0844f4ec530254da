"""Evaluation sets (``tenants/<id>/eval.yaml``) and the hit rates a ranker gets on them.

An eval set lists questions phrased the way callers talk, each with the ``fact`` (as the
documents write it) that the right passage contains, and questions the documents do not
answer. A question is a top-1 hit when the first passage contains its fact, a top-3 hit
when one of the first three does. Used by ``bench/knowledge.py`` and the unit test that
holds the bar.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from ..errors import KnowledgeError
from ..yamlfile import parse_model, read_source
from .base import KnowledgeSearch
from .calibrate import Features
from .search import KnowledgeBase
from .speech import speakable
from .tokens import STOP, words


class EvalQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    q: str = Field(min_length=1)
    fact: str = Field(min_length=1)


class HeldOutSet(BaseModel):
    """Questions written by someone who never saw the rules, and never tuned on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    author: str = ""  # who wrote it, and how (blind to the rules)
    questions: list[EvalQuestion] = Field(min_length=1)
    unanswerable: list[str] = Field(default_factory=list)


class EvalSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    questions: list[EvalQuestion] = Field(min_length=1)
    unanswerable: list[str] = Field(default_factory=list)
    holdout: list[EvalQuestion] = Field(default_factory=list)  # never tuned on
    holdout2: HeldOutSet | None = None  # written blind, never tuned on

    def held_out(self) -> EvalSet:
        """The holdout questions as a set of their own (no unanswerables)."""
        return EvalSet(questions=self.holdout)

    def parts(self) -> dict[str, EvalSet]:
        """Each part as a set of its own: ``eval`` (tuned on), ``holdout`` and
        ``holdout2`` (never tuned on), those that have questions."""
        parts = {"eval": EvalSet(questions=self.questions, unanswerable=self.unanswerable)}
        if self.holdout:
            parts["holdout"] = self.held_out()
        if self.holdout2 is not None:
            blind = self.holdout2
            parts["holdout2"] = EvalSet(questions=blind.questions, unanswerable=blind.unanswerable)
        return parts


def load_eval(path: Path) -> EvalSet:
    text = read_source(path, error=KnowledgeError, what="evaluation set")
    expected = "an evaluation set: a mapping with questions and unanswerable"
    return parse_model(text, str(path), EvalSet, error=KnowledgeError, expected=expected)[0]


def eval_problems(path: Path) -> list[KnowledgeError]:
    """The problem with an evaluation set, if it exists and does not load."""
    if not path.is_file():
        return []
    try:
        load_eval(path)
    except KnowledgeError as e:
        return [e]
    return []


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip().lower()


# A ranker: the texts of the best passages for a question, best first.
Ranker = Callable[[str, int], list[str]]


@dataclass(frozen=True)
class Outcome:
    question: str
    fact: str
    rank: int | None  # 1-based rank of the first passage holding the fact
    seconds: float
    top: str


@dataclass
class Report:
    outcomes: list[Outcome]
    unanswerable: dict[str, float] = field(default_factory=dict)  # question -> confidence
    answerable_confidence: dict[str, float] = field(default_factory=dict)

    def hit_rate(self, k: int) -> float:
        return sum(o.rank is not None and o.rank <= k for o in self.outcomes) / len(self.outcomes)

    @property
    def mean_ms(self) -> float:
        return 1000 * sum(o.seconds for o in self.outcomes) / len(self.outcomes)

    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.rank != 1]


TOP1_BAR = 0.9


def bar_failures(report: Report, threshold: float, *, top1_bar: float = TOP1_BAR) -> list[str]:
    """Why ``report`` misses the quality bar: top-1 hit rate below ``top1_bar``, or an
    unanswerable question at or above ``threshold`` (empty: it meets the bar)."""
    failures = []
    if report.hit_rate(1) < top1_bar:
        missed = "; ".join(f"{o.question!r} wants {o.fact!r}" for o in report.misses())
        failures.append(f"top-1 hit rate {report.hit_rate(1):.1%} < {top1_bar:.0%}: {missed}")
    failures += [
        f"unanswerable {q!r} scored {c:.2f} >= threshold {threshold}"
        for q, c in report.unanswerable.items()
        if c >= threshold
    ]
    return failures


def evaluate(ranker: Ranker, eval_set: EvalSet, k: int = 3) -> Report:
    outcomes = []
    for item in eval_set.questions:
        start = time.perf_counter()
        texts = ranker(item.q, k)
        seconds = time.perf_counter() - start
        fact = normalize(item.fact)
        rank = next((i + 1 for i, t in enumerate(texts) if fact in normalize(t)), None)
        outcomes.append(Outcome(item.q, item.fact, rank, seconds, texts[0] if texts else ""))
    return Report(outcomes)


def evaluate_kb(kb: KnowledgeBase, eval_set: EvalSet, k: int = 3) -> Report:
    """:func:`evaluate` with the confidences the knowledge base gives too."""
    report = evaluate(lambda q, n: [p.text for p in kb.search(q, n).passages], eval_set, k)
    report.unanswerable = {q: _spoken_confidence(kb, q) for q in eval_set.unanswerable}
    report.answerable_confidence = {
        o.question: kb.search(o.question, 1).confidence for o in report.outcomes
    }
    return report


def _spoken_confidence(kb: KnowledgeBase, question: str) -> float:
    """The confidence of the answer the node speaks; 0 when it speaks none (a check
    withheld it, or it asks which topic the caller means)."""
    result = kb.search(question, 1)
    return result.confidence if result.answer else 0.0


def calibration_samples(kb: KnowledgeBase, eval_set: EvalSet) -> list[tuple[Features, int]]:
    """(features, 1 if the best passage answers) for every question of the set."""
    samples = []
    for item in eval_set.questions:
        ranked, features = kb.rank(item.q)
        if features is None:
            continue
        hit = bool(ranked) and normalize(item.fact) in normalize(kb.index.chunks[ranked[0][0]].text)
        samples.append((features, int(hit)))
    for question in eval_set.unanswerable:
        _, features = kb.rank(question)
        if features is not None:
            samples.append((features, 0))
    return samples


class KeywordBaseline:
    """The naive ranker to beat: shared lower-cased words, stop words left out."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.chunks = kb.index.chunks
        self.words = [set(words(f"{c.heading} {c.text}")) - STOP for c in self.chunks]

    def __call__(self, question: str, k: int) -> list[str]:
        wanted = set(words(question)) - STOP
        overlap = [len(wanted & w) for w in self.words]
        order = sorted(range(len(self.chunks)), key=lambda i: -overlap[i])
        return [self.chunks[i].text for i in order[:k] if overlap[i] > 0]


@dataclass(frozen=True)
class Said:
    """What the answer node does with one question: the passages found (best first),
    whether it speaks an answer, and whether it asks a clarifying question instead."""

    passages: tuple[str, ...]
    says: bool
    clarifies: bool = False
    answer: str = ""  # the spoken answer

    def tells(self, fact: str) -> bool:
        """Whether the caller hears ``fact``: the best passage holds it, or the spoken
        answer (a whole section, read aloud) says it."""
        if self.passages and normalize(fact) in normalize(self.passages[0]):
            return True
        spoken = speakable(fact).rstrip(".").lower()
        return bool(self.answer) and spoken in self.answer.lower()


@dataclass
class Scores:
    """An eval set's figures: ranking (top-1, top-3) and what callers would hear.

    ``wrong`` counts answers spoken from a passage without the question's fact, and
    ``unanswerable_answered`` answers spoken to a question the documents do not answer:
    both are a caller told something false with confidence."""

    questions: int = 0
    top1: int = 0
    top3: int = 0
    right: int = 0  # answered, and the passage said holds the fact
    wrong: list[str] = field(default_factory=list)  # answered from another passage
    clarified: int = 0
    unanswerable: int = 0
    unanswerable_answered: list[str] = field(default_factory=list)

    @property
    def misleading(self) -> int:
        """Confident wrong answers, unanswerables included: the figure that must be 0."""
        return len(self.wrong) + len(self.unanswerable_answered)


def score(eval_set: EvalSet, said: Callable[[str], Said]) -> Scores:
    """The figures of ``eval_set`` when each question gets ``said(question)``."""
    scores = Scores(questions=len(eval_set.questions), unanswerable=len(eval_set.unanswerable))
    for item in eval_set.questions:
        reply = said(item.q)
        fact = normalize(item.fact)
        holds = [fact in normalize(t) for t in reply.passages[:3]]
        scores.top1 += bool(holds[:1] and holds[0])
        scores.top3 += any(holds)
        scores.clarified += reply.clarifies
        if reply.says and reply.tells(item.fact):
            scores.right += 1
        elif reply.says:
            scores.wrong.append(item.q)
    for question in eval_set.unanswerable:
        reply = said(question)
        if reply.says:
            scores.unanswerable_answered.append(question)
    return scores


def said_by(kb: KnowledgeSearch, threshold: float) -> Callable[[str], Said]:
    """What the answer node does with a question, searched in ``kb``: it speaks the answer
    when the confidence reaches ``threshold`` and there is an answer to say."""

    def said(question: str) -> Said:
        result = kb.search(question, 3)
        return Said(
            tuple(p.text for p in result.passages),
            says=result.says(threshold),
            clarifies=bool(result.options),
            answer=result.answer,
        )

    return said
