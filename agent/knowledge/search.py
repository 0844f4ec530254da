"""Search a folder of documents: BM25 over its chunks (optionally fused with sentence
embeddings: hybrid search), a calibrated confidence, a spoken answer.
:class:`KnowledgeBase` implements :class:`~.base.KnowledgeSearch`; :func:`knowledge_base`
builds one from its :class:`KnowledgeSettings` (a tenant's are made by
:mod:`agent.tenants.knowledge`)."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .base import Option, Passage, SearchResult
from .calibrate import DEFAULT_CALIBRATION, HYBRID_CALIBRATION, Calibration, Features
from .checks import check, load_frequencies, prefer_answering
from .index import Index, content_hash, load_index, load_vectors
from .speech import compose_answer
from .tokens import Question, answer_types, question_terms, terms

EXPANSION_WEIGHT = 0.5
ANSWER_TYPE_BOOST = 1.3  # a passage holding the kind of answer asked for (price, time...)
RECENT_QUESTIONS = 16  # question embeddings kept (prepared ahead of their search)
FAMILY = 6  # letters a caller's word shares with a document word of its family
SIMILARITY_WEIGHT = 0.5  # hybrid: the cosine's share of the fused score (bench/knowledge.py)

Vectors = npt.NDArray[np.float32]
Encode = Callable[[list[str]], Vectors]


class KnowledgeBase:
    """A searchable, in-memory knowledge base (one per tenant and content hash).

    ``region`` (ISO 3166, "US") is the business's country: a phone number in an answer is
    read out the way that country writes it. With ``vectors`` (one unit-length sentence
    embedding per chunk) and ``encode`` (texts to such vectors) the search is hybrid: BM25
    fused with cosine similarity."""

    def __init__(
        self,
        index: Index,
        *,
        threshold: float = 0.5,
        calibration: Calibration | None = None,
        vectors: Vectors | None = None,
        encode: Encode | None = None,
        similarity_weight: float = SIMILARITY_WEIGHT,
        region: str | None = None,
    ) -> None:
        self.index = index
        self.threshold = threshold
        self.region = region  # the business's country: how phone numbers are read out
        self.hybrid = vectors is not None and encode is not None
        self.vectors, self.encode = vectors, encode
        self.similarity_weight = similarity_weight
        default = HYBRID_CALIBRATION if self.hybrid else DEFAULT_CALIBRATION
        self.calibration = calibration or default
        self._questions: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._questions_lock = threading.Lock()
        self._family: dict[str, tuple[str, ...]] | None = None

    def prepare(self, question: str) -> None:
        """Do a search's model inference ahead (blocking, ~15 ms: call it off the event
        loop): the question's embedding is kept, so the search itself, run inside the
        call's turn, only does arithmetic. Nothing to do for BM25."""
        if self.hybrid:
            self._question_vector(question)

    def _question_vector(self, question: str) -> npt.NDArray[np.float32]:
        with self._questions_lock:
            vector = self._questions.get(question)
        if vector is None:
            assert self.encode is not None
            vector = self.encode([question])[0]
            with self._questions_lock:
                self._questions[question] = vector
                while len(self._questions) > RECENT_QUESTIONS:
                    self._questions.popitem(last=False)
        return vector

    @property
    def problems(self) -> list[str]:
        """Documents skipped because they could not be read (file name and reason)."""
        return self.index.problems

    def search(self, question: str, k: int = 3) -> SearchResult:
        """The ``k`` best passages, the confidence that the first answers, and the answer."""
        ranked, features = self.rank(question)
        parsed = self.parse(question)
        passages = tuple(
            Passage(c.text, round(score, 4), c.source, c.heading)
            for c, score in ((self.index.chunks[i], s) for i, s in ranked[:k])
        )
        if not passages or features is None:
            return SearchResult(question, passages, 0.0, "")
        confidence = round(self.calibration.confidence(features), 4)
        verdict = check(question, parsed, self.index, ranked)
        if verdict.withheld:
            return SearchResult(question, passages, confidence, "", withheld=verdict.withheld)
        if verdict.options and confidence >= self.threshold:
            options = tuple(
                Option(topic, self._answer(question, i), self.index.chunks[i].source)
                for topic, i in verdict.options
            )
            return SearchResult(question, passages, confidence, "", options=options)
        return SearchResult(question, passages, confidence, self._answer(question, ranked[0][0]))

    def _answer(self, question: str, best: int) -> str:
        text, whole = self._answer_text(question, best)
        return compose_answer(text, question, whole=whole, region=self.region)

    def _answer_text(self, question: str, best: int) -> tuple[str, bool]:
        """The best chunk's text; or its whole section (the chunks under the same heading of
        the same file) when the question names only the section ("what are your opening
        hours?" is answered with every day, not the first row)."""
        chunk = self.index.chunks[best]
        heading = set(terms(" ".join(chunk.heading.split(" > ")[-2:])))
        matched = set(question_terms(question).own) & self.index.chunk_terms[best]
        if not heading or not matched or not matched <= heading:
            return chunk.text, False
        section = [
            c.text
            for c in self.index.chunks
            if (c.source, c.heading) == (chunk.source, chunk.heading)
        ]
        return " ".join(t if t.endswith((".", "!", "?")) else f"{t}." for t in section), True

    def rank(self, question: str) -> tuple[list[tuple[int, float]], Features | None]:
        """Chunk indexes with positive scores, best first, and the best one's features.

        A word the caller said counts fully; the document words it may stand for count
        fully when the documents never use the caller's word, else half; words the
        phrasing adds ("how much" -> price) count half."""
        retriever = self.index.retriever
        parsed = self.parse(question)
        if retriever is None or not parsed.concepts:
            return [], None
        df = self.index.df
        full, half = list(parsed.own), list(parsed.extras)
        for term, alternatives in parsed.concepts:
            (half if df.get(term) else full).extend(alternatives)
        scores = np.asarray(retriever.get_scores(full), dtype=float)
        if half:
            scores += EXPANSION_WEIGHT * np.asarray(retriever.get_scores(half), dtype=float)
        for kind in answer_types(question):
            holds = np.array([bool(kind.shape.search(c.text)) for c in self.index.chunks])
            scores = np.where(holds, scores * ANSWER_TYPE_BOOST, scores)
        if self.hybrid:
            return self._fuse(question, parsed, scores)
        order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]
        ranked = prefer_answering(
            question, parsed, self.index, [(i, float(scores[i])) for i in order]
        )
        if not ranked:
            return [], Features(0.0, 0.0)
        return ranked, self._features(parsed, ranked[0][0], ranked[0][1])

    def parse(self, question: str) -> Question:
        """The question's terms (:func:`~.tokens.question_terms`); a word the documents
        never use, and no expansion finds, also stands for the document words of the same
        family: the same first :data:`FAMILY` letters ("pregnant" -> "pregnancy"). A
        question of phrasing alone ("where are you?") is about the words it adds."""
        parsed = question_terms(question)
        if not parsed.concepts and parsed.extras:  # one concept: any of the words will do
            parsed = Question(((parsed.extras[0], parsed.extras[1:]),), ())
        df = self.index.df
        concepts = []
        for term, alternatives in parsed.concepts:
            family: tuple[str, ...] = ()
            if len(term) >= FAMILY and not df.get(term) and not any(map(df.get, alternatives)):
                family = self._families().get(term[:FAMILY], ())
            concepts.append((term, (*alternatives, *family)))
        return Question(tuple(concepts), parsed.extras)

    def _families(self) -> dict[str, tuple[str, ...]]:
        if self._family is None:
            family: dict[str, list[str]] = {}
            for term in sorted(self.index.df):
                if len(term) >= FAMILY:
                    family.setdefault(term[:FAMILY], []).append(term)
            self._family = {k: tuple(v) for k, v in family.items()}
        return self._family

    def _fuse(
        self, question: str, parsed: Question, bm25: npt.NDArray[np.float64]
    ) -> tuple[list[tuple[int, float]], Features]:
        """Hybrid ranking: ``(1 - w) * bm25 / best bm25 + w * cosine`` over every chunk;
        the confidence gets the best chunk's cosine as a third feature."""
        assert self.vectors is not None and self.encode is not None
        similarity = (self.vectors @ self._question_vector(question)).astype(float)
        top = float(bm25.max())
        lexical = bm25 / top if top > 0 else np.zeros_like(bm25)
        fused = (1 - self.similarity_weight) * lexical + self.similarity_weight * similarity
        ranked = [(int(i), float(fused[i])) for i in np.argsort(-fused, kind="stable")]
        ranked = prefer_answering(question, parsed, self.index, ranked)
        best = ranked[0][0]
        features = self._features(parsed, best, float(bm25[best]))
        return ranked, Features(
            features.coverage, features.strength, float(np.clip(similarity[best], 0.0, 1.0))
        )

    def _features(self, parsed: Question, best: int, score: float) -> Features:
        """Coverage counts a caller's word as found when it, or a word it stands for, is in
        the best chunk, weighted by its IDF (a word the documents lack: the highest)."""
        n = len(self.index.chunks)
        found = self.index.chunk_terms[best]

        def idf(term: str) -> float:
            return math.log((n + 1) / (self.index.df.get(term, 0) + 0.5))

        total = covered = 0.0
        for term, alternatives in parsed.concepts:
            known = [a for a in alternatives if self.index.df.get(a)]
            weight = idf(term) if self.index.df.get(term) or not known else max(map(idf, known))
            total += weight
            covered += weight * any(t in found for t in (term, *alternatives))
        return Features(covered / total, math.log1p(score))


@dataclass(frozen=True)
class KnowledgeSettings:
    """What a knowledge base is built from: the folder of ``documents``, the folder its
    index is kept in, the confidence ``threshold`` below which it does not answer, and
    the ``region`` its spoken answers read phone numbers in (None: unknown)."""

    documents: Path
    index_dir: Path
    threshold: float
    region: str | None = None


_cache: dict[Path, KnowledgeBase] = {}
_lock = threading.Lock()


def knowledge_base(settings: KnowledgeSettings, *, embeddings: bool = False) -> KnowledgeBase:
    """The knowledge base of ``settings.documents`` (blocking: call off the event loop).

    Built on first use and saved in ``settings.index_dir``; reused until a document
    changes (the content hash is checked on every call, so a new call sees edited
    documents, while a running call keeps the knowledge base it was given).
    ``embeddings``: hybrid search (the ``FRONTDESK_KB_EMBEDDINGS`` setting); the chunks'
    embeddings are computed here, with the index, and the model is loaded here too, so
    that a search never loads it."""
    load_frequencies()  # once per process, here: never inside a call's turn
    documents, threshold, region = settings.documents, settings.threshold, settings.region
    digest = content_hash(documents)
    with _lock:
        cached = _cache.get(documents)
    if cached is not None and cached.index.content_hash == digest:
        same = (cached.threshold, cached.hybrid, cached.region) == (threshold, embeddings, region)
        if same:
            return cached
        index = cached.index
    else:
        index = load_index(documents, settings.index_dir, digest)
    if embeddings and index.chunks:
        from .embed import encoder

        vectors = load_vectors(index, settings.index_dir)
        kb = KnowledgeBase(
            index, threshold=threshold, vectors=vectors, encode=encoder().encode, region=region
        )
    else:
        kb = KnowledgeBase(index, threshold=threshold, region=region)
    with _lock:
        _cache[documents] = kb
    return kb
