"""Words to index terms: lower-cased, English stop words dropped, Snowball-stemmed.

The same function tokenizes documents and questions, so "cakes", "Cake" and "caking"
meet. :data:`EXPANSIONS` adds the words a business writes for what callers say ("how
much" -> price, "open" -> hours): general receptionist vocabulary, not one tenant's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import Stemmer
from bm25s.tokenization import STOPWORDS_EN_PLUS

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# Question words and fillers callers use that carry no topic.
_FILLER_WORDS = (
    "hi hello please thanks thank you could would can do does did is are am was were will "
    "i me my we our us you your yours hey just like want wanna know tell need get got any "
    "anything something also much many there here what when where which who whom why how "
    "okay ok um uh er actually really still lot bit kind sort ask wondering hiya morning "
    "afternoon evening yeah yes right well so quick question mate love stuff thing things "
    "roughly around pop lot lots problem happens happen whatever sure maybe possibly guess "
    "mean somewhere anywhere nearby near go going come coming one ones"
)
_FILLERS = frozenset(_FILLER_WORDS.split())
# Stop words that still tell facts apart ("same-day", "turn up", "no lift").
_KEEP = frozenset({"no", "not", "same", "up", "off", "out", "before", "after", "under", "over"})
STOP = (frozenset(STOPWORDS_EN_PLUS) - _KEEP) | _FILLERS

# Irregular plurals the stemmer leaves apart ("loaves" -> "loav" but "loaf" -> "loaf").
IRREGULAR = {
    "loaves": "loaf", "men": "man", "women": "woman", "children": "child", "people": "person",
    "halves": "half", "knives": "knife", "leaves": "leaf", "shelves": "shelf", "wives": "wife",
    "feet": "foot", "teeth": "tooth", "mice": "mouse", "geese": "goose",
    # and irregular past tenses
    "sold": "sell", "bought": "buy", "made": "make", "paid": "pay", "took": "take",
    "taken": "take", "gave": "give", "given": "give", "brought": "bring", "kept": "keep",
}  # fmt: skip
# Number words as digits, so "twenty people" meets "20 people".
_UNITS = "zero one two three four five six seven eight nine ten eleven twelve thirteen "
_TEENS = "fourteen fifteen sixteen seventeen eighteen nineteen twenty"
NUMBERS = {w: str(n) for n, w in enumerate((_UNITS + _TEENS).split()) if n > 1} | {
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "hundred": "100",
}

# Caller phrasing -> the words documents use (applied to questions only).
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "how much": ("price", "cost"),
    "cost": ("price",),
    "costs": ("price",),
    "charge": ("price", "fee"),
    "expensive": ("price",),
    "cheap": ("price",),
    "pay": ("payment", "price"),
    "open": ("hours", "opening"),
    "opening": ("hours",),
    "close": ("hours", "closing"),
    "closing": ("hours",),
    "shut": ("close",),
    "weekend": ("saturday", "sunday"),
    "deliver": ("delivery",),
    "drop off": ("delivery",),
    "cancel": ("cancellation",),
    "reschedule": ("cancellation", "change"),
    "book": ("booking", "appointment"),
    "appointment": ("booking",),
    "allergic": ("allergen", "allergy"),
    "allergy": ("allergen",),
    "nuts": ("nut", "allergen"),
    "vegan": ("dairy", "plant"),
    "coeliac": ("gluten",),
    "celiac": ("gluten",),
    "card": ("payment",),
    "cash": ("payment",),
    "parking": ("park",),
    "car": ("park",),
    "where": ("address", "find"),
    "whereabouts": ("address", "find"),
    "located": ("address",),
    "location": ("address",),
    "address": ("street", "find"),
    "set me back": ("price", "cost"),
    "money down": ("deposit",),
    "up front": ("deposit",),
    "upfront": ("deposit",),
    "in advance": ("notice", "ahead"),
    "how many days": ("notice", "ahead"),
    "how long before": ("notice", "ahead"),
    "warning": ("notice",),
    "on the day": ("notice", "less"),
    "last minute": ("notice", "less"),
    "which days": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "what days": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "how long": ("hours", "minutes"),
    "today": ("same day",),
    "oven": ("baked",),
    "fresh": ("baked",),
    "lesson": ("class", "course"),
    "lessons": ("class", "course"),
    "workshop": ("class",),
    "sit": ("seats", "seating"),
    "haircut": ("cut",),
    "boy": ("child",),
    "girl": ("child",),
    "son": ("child",),
    "daughter": ("child",),
    "kid": ("child",),
    "kids": ("child",),
    "show up": ("turn up", "miss"),
    "no show": ("turn up", "miss"),
    "running late": ("arrive", "late"),
    "bridesmaids": ("bridal", "party"),
    "bride": ("bridal",),
    "wedding": ("bridal",),
    "wrong": ("happy", "guarantee", "adjust"),
    "hate": ("happy", "guarantee", "adjust"),
    "unhappy": ("happy", "guarantee", "adjust"),
    "complain": ("happy", "guarantee", "adjust"),
    "voucher": ("gift",),
    "present": ("gift",),
    "wheelchair": ("access", "stairs", "lift"),
    "job": ("jobs", "cv"),
    "work for you": ("jobs", "cv"),
}
# A chunk that states a price is found by "price" too (callers ask "how much"), and one
# that states a street address by "address" ("where are you?": "the practice is at ...").
PRICE = re.compile(r"[£$€]\s?\d")
ADDRESS = re.compile(
    r"\b\d+[a-z]?,? (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Way|Drive"
    r"|Place|Square|Boulevard|Blvd|Court|Close|Parade|Terrace|Row|Crescent|Hill|Green)\b"
)
# "how much" asks a price, unless it is how much of something else ("how much notice").
HOW_MUCH = (
    r"how much\b(?! (notice|time|longer|earlier|sooner|warning|in advance|of|more|before"
    r"|ahead|hair|room|space))"
)
_PATTERNS = {"how much": HOW_MUCH}  # expansions found by a pattern, not the phrase alone
_COUNT = r"(?:\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty)"


@dataclass(frozen=True)
class AnswerType:
    """A kind of answer (a price, a time, a duration): how a question asks for it, what
    a passage holding one looks like, and the words that only ask (not the topic)."""

    asks: re.Pattern[str]
    shape: re.Pattern[str]
    asking_words: frozenset[str]
    adds: tuple[str, ...] = ()


ANSWER_TYPES = (
    AnswerType(
        re.compile(rf"\b({HOW_MUCH}|costs?|charge|prices?|fees?|set me back|expensive|cheap)\b"),
        PRICE,
        frozenset({"charge", "cost", "costs", "price", "prices", "fee", "fees"}),
        ("price",),
    ),
    AnswerType(
        re.compile(r"\b(what time|when do you|open|opening|close|closing|shut|hours)\b"),
        re.compile(r"\d\s*[ap]\.?m\b|\b\d{1,2}:\d{2}\b", re.I),
        frozenset({"time"}),
    ),
    AnswerType(  # where the business is: a street address ("14 Mare Street")
        re.compile(r"\b(address|whereabouts|located|location|where are you|where is it)\b"),
        ADDRESS,
        frozenset(),
        ("address",),
    ),
    AnswerType(
        re.compile(r"\bhow long\b"),
        re.compile(rf"\b{_COUNT}\s+(minute|hour|day|week|month|year)s?\b", re.I),
        frozenset({"long", "take", "takes"}),
    ),
)


def answer_types(question: str) -> list[AnswerType]:
    """The kinds of answer ``question`` asks for."""
    lowered = " ".join(words(question))
    return [kind for kind in ANSWER_TYPES if kind.asks.search(lowered)]


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``; ``"baker's"`` -> ``"baker"``, ``"I'm"`` -> ``"i"``."""
    found = (w.split("'")[0] for w in _WORD.findall(text.lower().replace("’", "'")))
    return [IRREGULAR.get(w) or NUMBERS.get(w) or w for w in found]


def terms(text: str) -> list[str]:
    """Index terms of ``text``: words without stop words, stemmed (order kept)."""
    kept = [w for w in words(text) if w not in STOP and (len(w) > 1 or w.isdigit())]
    return [t for t in _stemmer().stemWords(kept) if t not in _filler_stems()]


@cache
def _filler_stems() -> frozenset[str]:
    """Fillers in every form ("getting" and "get" alike)."""
    return frozenset(_stemmer().stemWords(sorted(_FILLERS)))


@dataclass(frozen=True)
class Question:
    """A question's terms: each term the caller said with the document words it may stand
    for (``concepts``), and the words its phrasing adds (``extras``: "how much" -> price)."""

    concepts: tuple[tuple[str, tuple[str, ...]], ...]
    extras: tuple[str, ...]

    @property
    def own(self) -> list[str]:
        return [term for term, _ in self.concepts]


# "your clinic", "the shop": the business itself, which every document is about.
_THE_BUSINESS = re.compile(
    r"\b(your|the|this|ur) (shop|store|clinic|office|place|practice|salon|bakery|surgery"
    r"|studio|premises|business|practise)\b"
)


def question_terms(question: str) -> Question:
    """Terms of ``question``, with :data:`EXPANSIONS` attached to the word they replace;
    the words naming the business itself ("your clinic") are no topic."""
    question = _THE_BUSINESS.sub(r"\1", " ".join(words(question)))
    lowered = question
    kinds = answer_types(question)
    asking = {w for kind in kinds for w in kind.asking_words}
    topic = " ".join(w for w in words(question) if w not in asking)
    concepts: dict[str, list[str]] = {t: [] for t in terms(topic)}
    extras: list[str] = [t for kind in kinds for t in terms(" ".join(kind.adds))]
    for phrase, adds in EXPANSIONS.items():
        pattern = _PATTERNS.get(phrase, re.escape(phrase))
        if not re.search(rf"\b{pattern}\b", lowered):
            continue
        added = terms(" ".join(adds))
        key = [t for t in terms(phrase) if t in concepts]
        for term in key:  # "show up" -> "turn up": what "show" stands for
            concepts[term] += [t for t in added if t != term]
        if not key:
            extras += added
    own = set(concepts)
    return Question(
        tuple((t, tuple(dict.fromkeys(alts))) for t, alts in concepts.items()),
        tuple(t for t in dict.fromkeys(extras) if t not in own),
    )
