"""Sentences of a document's text, split where a sentence really ends.

A period ends a sentence less often than it seems in a business's documents: titles and
initials ("Dr. A. Rivera"), decimals ("$95.50", "2.5 km"), times ("8:30 a.m."),
abbreviations ("e.g.", "etc.", "St."). Splitting at every ". " cut a spoken answer at
"Dr." and lost the fact after it. The rules are pysbd's (Python Sentence Boundary
Disambiguation, the Golden Rules of sentence segmentation), not a regex of our own;
both chunking (:mod:`.index`) and spoken answers (:mod:`.speech`) split here.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import pysbd

_local = threading.local()  # a pysbd Segmenter keeps state while it works: one per thread


def _segmenter() -> pysbd.Segmenter:
    segmenter: pysbd.Segmenter | None = getattr(_local, "segmenter", None)
    if segmenter is None:
        segmenter = _local.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


@lru_cache(maxsize=4096)
def split_sentences(text: str) -> tuple[str, ...]:
    """The sentences of ``text``, stripped, in order (cached: a passage is split once)."""
    if not text.strip():
        return ()
    return tuple(s.strip() for s in _segmenter().segment(text) if s.strip())
