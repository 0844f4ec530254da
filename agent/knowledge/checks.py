"""Does the best passage answer *this* question, or only one about the same topic?

Retrieval finds the passage most like the question; a caller must only hear it when it
answers what they asked. Three general checks, none of them a list of one tenant's words:

- **Unknown specific terms.** A word of the question that no document uses, for which
  no general expansion (:data:`~.tokens.EXPANSIONS`) finds a document word, and that is
  rare in general English (``wordfreq``'s Zipf frequency below :data:`SPECIFIC_ZIPF`:
  names, brands, insurers, treatments, products: "humana", "veneers", "botox") makes
  the answer unknown, however well the rest of the question matches. Common words the
  documents lack ("clinic", "place", "guys") are left to the calibrated confidence:
  callers use them for what the documents call otherwise.
- **The kind of answer asked for, attached to the thing asked about.** A question that
  asks for a price ("how much", "what do you charge"; not "is there a charge?", a yes or
  a no), a clock time, a duration, a day, a place, a phone number or a person
  (:data:`KINDS`) needs one in the passage's sentence about its topic: the sentence that
  shares the most topic words with the question (or the whole passage when the topic is
  only in its heading). "How much is whitening?" answered by "Dr. Okafor does cosmetic
  work, including whitening." has no price, so it is withheld.
- **The named thing of a yes/no question.** "Do you take Delta Dental?" is answered only
  by a passage that names the question's most specific term the documents use (the
  rarest in general English); a passage about paying in general is not a yes or a no.

When two passages from different sections score nearly alike (the second at least
:data:`CLOSE` of the first) and neither check settles it, the caller is asked which one
they mean ("Do you mean cancellations or appointment reminders?") rather than told a
guess. The constants were set on the tuning eval sets (``bench/knowledge.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .index import Chunk, Index
from .sentences import split_sentences
from .tokens import HOW_MUCH, PRICE, STOP, Question, terms, words

SPECIFIC_ZIPF = 3.3  # rarer than this in general English: a name, a brand, a product
ONE_FACT_WORDS = 25  # a passage this short is one fact (and said whole: .speech)
NAMED_ZIPF = 4.0  # rarer than this: a thing a yes/no question names ("delta", "checks")
CLOSE = 0.8  # the second passage's score at least this share of the first's: too close
PROMOTE = 0.6  # a passage holding the answer asked for may pass a best this much better
PROMOTE_FROM = 3  # ... from among the first three
_LANGUAGE = "en"


@dataclass(frozen=True)
class Kind:
    """A kind of answer the caller asks for: how the question asks, what holds one."""

    name: str
    asks: re.Pattern[str]
    holds: re.Pattern[str]


_DAY_NAMES = r"(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)(day)?s?|weekdays?|weekends?|daily"
KINDS = (
    Kind(
        "a price",
        re.compile(
            rf"\b{HOW_MUCH}|\bwhat\b.*\b(cost|costs|charge|charges)\b"
            r"|\bwhat('s| is| are) (the|your) (cost|costs|price|prices|fee|fees|charge)\b"
            r"|\bset me back\b"
        ),
        PRICE,
    ),
    Kind(
        "a time",
        re.compile(
            r"\b(what time|until when|till when|latest|earliest|(opening|closing) (hours|times)"
            r"|what are your hours|when (do|does|are) (you|it|they) (open|close|shut))\b"
        ),
        re.compile(r"\d\s*[ap]\.?m\b|\b\d{1,2}[:.]\d{2}\b|\bnoon\b|\bmidnight\b", re.I),
    ),
    Kind(
        "a duration",
        re.compile(r"\bhow long\b|\bhow many (minutes|hours|days|weeks|months)\b"),
        re.compile(
            r"\b(\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty"
            r"|thirty|half an?)\s+(minute|hour|day|week|month|year|night)s?\b",
            re.I,
        ),
    ),
    Kind("a day", re.compile(r"\b(which|what) days?\b"), re.compile(rf"\b({_DAY_NAMES})\b", re.I)),
    Kind(
        "a phone number",
        re.compile(r"\b(phone number|number (for|to call)|what number|which number)\b"),
        re.compile(r"\d{3}[-. ]\d{4}"),
    ),
    Kind(
        "a person",
        re.compile(r"^(who|whom)\b|\bwho (is|are|do|does|should|can|will|would)\b"),
        re.compile(r"(?<!^)\b[A-Z][a-z]+"),  # a name: a capital not starting the passage
    ),
)
# Words that only ask for the kind of answer ("price" of "how much"): no topic.
_ASKING = frozenset({"price", "cost", "fee", "charg", "time", "long", "day", "number", "phone"})
_YES_NO = re.compile(
    r"^(do|does|did|is|are|can|could|have|has|will|would|should|may) (you|i|we|they|it|there"
    r"|your|my|he|she)\b"
)


@dataclass(frozen=True)
class Verdict:
    """``withheld``: why the best passage does not answer the question ("" if it does);
    ``options``: the two topics to offer in a clarifying question instead, each with the
    passage (chunk index) that answers it."""

    withheld: str = ""
    options: tuple[tuple[str, int], ...] = ()


@lru_cache(maxsize=1 << 16)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    # The small list (words down to Zipf 3, 1 MB in memory; the large one takes 28 MB)
    # decides alike: a rarer word is 0 there, and below both thresholds either way.
    return float(zipf_frequency(word, _LANGUAGE, wordlist="small"))


def load_frequencies() -> None:
    """Load the word frequencies (blocking, a few tenths of a second): before the first
    call, so that no search inside a turn waits for them."""
    _zipf("the")


def unknown_terms(question: str, parsed: Question, index: Index) -> list[str]:
    """The question's specific words that no document uses, directly or through an
    expansion: rare words, names and brands, which make an answer unknown."""
    known = {
        term
        for term, alternatives in parsed.concepts
        if index.df.get(term) or any(index.df.get(a) for a in alternatives)
    }
    unknown = []
    for word in dict.fromkeys(words(question)):
        stems = terms(word)
        if word in STOP or not stems or word.isdigit() or stems[0] in known:
            continue
        if _zipf(word) < SPECIFIC_ZIPF:
            unknown.append(word)
    return unknown


def asked_kinds(question: str) -> list[Kind]:
    lowered = " ".join(words(question))
    return [kind for kind in KINDS if kind.asks.search(lowered)]


def topic_sentences(chunk: Chunk, topic: set[str]) -> list[str]:
    """The sentences of ``chunk`` that name something of ``topic``: all of it when it is
    one short fact (a list item, a table row) that does, or when its heading does; none
    when neither its text nor its heading names anything the question is about."""
    text = chunk.text
    named = topic & set(terms(f"{chunk.heading} {text}"))
    if not named and topic:
        return []
    if len(text.split()) <= ONE_FACT_WORDS:
        return [text]
    about = [s for s in split_sentences(text) if topic & set(terms(s))]
    return about or [text]


def missing_kind(question: str, parsed: Question, chunk: Chunk) -> str:
    """The kind of answer the question asks for that the passage's sentences about the
    question's topic lack ("" when they hold every kind asked)."""
    kinds = asked_kinds(question)
    if not kinds:
        return ""
    topic = {t for t, alternatives in parsed.concepts for t in (t, *alternatives)}
    about = " ".join(topic_sentences(chunk, topic - _ASKING))
    return next((k.name for k in kinds if not k.holds.search(about)), "")


def named_things(question: str, parsed: Question, index: Index) -> list[set[str]]:
    """The specific things a yes/no question names that the documents use ("delta" in
    "do you take Delta Dental?"), each with the document words it may stand for; the
    answer must name one of them. Empty when it is no yes/no question or names none."""
    if not _YES_NO.match(" ".join(words(question))):
        return []
    concepts = dict(parsed.concepts)
    things = []
    for word in dict.fromkeys(words(question)):
        stems = terms(word)
        if stems and stems[0] in concepts and index.df.get(stems[0]) and _zipf(word) < NAMED_ZIPF:
            things.append({stems[0], *concepts[stems[0]]})
    return things


def check(
    question: str, parsed: Question, index: Index, ranked: list[tuple[int, float]]
) -> Verdict:
    """Whether the best of ``ranked`` (chunk index, score; best first) answers
    ``question``: a reason to withhold it, or two topics to ask about, or neither."""
    if not ranked:
        return Verdict()
    unknown = unknown_terms(question, parsed, index)
    if unknown:
        return Verdict(withheld=f"no document mentions {', '.join(map(repr, unknown))}")
    withheld = _not_an_answer(question, parsed, index, ranked[0][0])
    if withheld:
        return Verdict(withheld=withheld)
    return _close(question, parsed, index, ranked)


def _not_an_answer(question: str, parsed: Question, index: Index, chunk: int) -> str:
    """Why passage ``chunk`` does not answer ``question`` ("" when nothing says so)."""
    kind = missing_kind(question, parsed, index.chunks[chunk])
    if kind:
        return f"the passage about it gives no {kind.removeprefix('a ')}"
    things = named_things(question, parsed, index)
    if things and not any(thing & index.chunk_terms[chunk] for thing in things):
        named = " or ".join(repr(min(thing)) for thing in things)
        return f"the passage names no {named}"
    return ""


def prefer_answering(
    question: str, parsed: Question, index: Index, ranked: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """``ranked`` with the first passage that holds the kind of answer asked for moved
    to the top, when the best lacks it and that one scores at least :data:`PROMOTE` of
    the best ("how many days before..." -> the passage with "72 hours")."""
    if not ranked or not missing_kind(question, parsed, index.chunks[ranked[0][0]]):
        return ranked
    for position, (i, score) in enumerate(ranked[1:PROMOTE_FROM], 1):
        if score >= PROMOTE * ranked[0][1] and not missing_kind(question, parsed, index.chunks[i]):
            return [ranked[position], *ranked[:position], *ranked[position + 1 :]]
    return ranked


def _covered(parsed: Question, found: frozenset[str]) -> set[str]:
    return {t for t, alternatives in parsed.concepts if found & {t, *alternatives}}


def _close(
    question: str, parsed: Question, index: Index, ranked: list[tuple[int, float]]
) -> Verdict:
    """Two topics to offer when the two best passages score nearly alike, come from
    different sections (whose names tell them apart), and the second holds every word of
    the question the first does and passes the same checks: nothing in the question
    chooses between them."""
    if len(ranked) < 2 or ranked[0][1] <= 0 or ranked[1][1] < CLOSE * ranked[0][1]:
        return Verdict()
    (a, _), (b, _) = ranked[:2]
    if not _covered(parsed, index.chunk_terms[a]) <= _covered(parsed, index.chunk_terms[b]):
        return Verdict()
    if _not_an_answer(question, parsed, index, b):
        return Verdict()
    first, second = (index.chunks[i].heading.split(" > ")[-1] for i in (a, b))
    if not first or not second or first.lower() == second.lower():
        return Verdict()
    return Verdict(options=((first, a), (second, b)))
