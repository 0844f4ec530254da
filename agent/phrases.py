"""What a recognizer should expect to hear, independent of any STT provider.

Hints are phrases; a :data:`Pattern` says how a typed answer is worded: an ordered list of
:class:`Part` s, each a choice of phrases, maybe optional, maybe repeated ("[my name is]
<first name> [<surname>]"). The flow produces them (:mod:`agent.flow.slots.patterns`);
grammar-based recognizers compile them (PocketSphinx to JSGF), cloud ones take the hints.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One position of a pattern: one of ``words`` (phrases), or nothing if ``optional``,
    or several in a row if ``repeat``."""

    words: tuple[str, ...]
    optional: bool = False
    repeat: bool = False


Pattern = tuple[Part, ...]
