"""Sentences of a document's text, split where a sentence really ends.

A period ends a sentence less often than it seems in a business's documents: titles and
initials ("Dr. A. Rivera"), decimals ("$95.50", "2.5 km"), times ("8:30 a.m."),
abbreviations ("e.g.", "etc.", "St."). Splitting at every ". " cut a spoken answer at
"Dr." and lost the fact after it. The rules are pysbd's (Python Sentence Boundary
Disambiguation, the Golden Rules of sentence segmentation), not a regex of our own;
both chunking (:mod:`.index`) and spoken answers (:mod:`.speech`) split here.

Two of pysbd's splits are wrong in opening hours and directions, and are joined again:
a piece that starts in lower case continues the sentence before it ("2.5 mi. from the
station"), and so does a day or a time zone after "a.m." or "p.m." ("from 8:30 a.m.
Monday to Friday", "until 6 p.m. ET"; pysbd splits there because "at 6 P.M. Mr. Smith
left" is two sentences). Joining errs towards a longer sentence: a fact is never cut.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import pysbd

_CLOCK_END = re.compile(r"\b[ap]\.m\.$", re.IGNORECASE)
_AFTER_CLOCK = re.compile(
    r"(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|nesday|rsday|urday)?s?\b"
    r"|(weekdays|weekends|daily)\b"
    r"|(ET|EST|EDT|CT|CST|CDT|MT|MST|MDT|PT|PST|PDT|GMT|BST|UTC|CET|CEST)\b",
    re.IGNORECASE,
)

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
    sentences: list[str] = []
    for piece in (s.strip() for s in _segmenter().segment(text)):
        if piece and sentences and _continues(sentences[-1], piece):
            sentences[-1] = f"{sentences[-1]} {piece}"
        elif piece:
            sentences.append(piece)
    return tuple(sentences)


def _continues(before: str, piece: str) -> bool:
    """Whether pysbd cut one sentence in two between ``before`` and ``piece``."""
    if piece[0].islower():
        return True
    return bool(_CLOCK_END.search(before) and _AFTER_CLOCK.match(piece))
