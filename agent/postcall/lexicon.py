"""Small word lists for the deterministic analysis: a sentiment lexicon with negation,
phrase search over caller turns, and keyword sets for meeting calls."""

from __future__ import annotations

import re
from collections.abc import Iterable

POSITIVE = frozenset({
    "thanks", "thank", "great", "good", "lovely", "perfect", "excellent", "wonderful",
    "happy", "love", "brilliant", "amazing", "nice", "helpful", "awesome", "fantastic",
    "pleased", "glad", "delicious", "best", "fine", "cheers", "appreciate",
})  # fmt: skip
NEGATIVE = frozenset({
    "bad", "terrible", "awful", "angry", "upset", "disappointed", "unhappy", "problem",
    "complaint", "complain", "wrong", "late", "broken", "rude", "worst", "horrible",
    "frustrated", "annoyed", "refund", "stale", "cold", "useless", "ridiculous",
})  # fmt: skip
POLITE = frozenset({"thank", "thanks", "cheers"})  # "no thank you" is polite, not negative
NEGATORS = frozenset({"not", "no", "never", "don't", "didn't", "isn't", "wasn't", "dont", "didnt"})

PAIN = ("problem", "issue", "struggle", "difficult", "too slow", "too expensive", "frustrat",
        "waste", "manual", "broken", "losing", "miss")  # fmt: skip
BUYING = ("price", "pricing", "cost", "budget", "quote", "contract", "trial", "demo",
          "when can we start", "sign up", "how much", "proposal", "onboard")  # fmt: skip
TIMELINE = ("this week", "next week", "this month", "next month", "this quarter",
            "next quarter", "by the end of", "within", "asap", "soon")  # fmt: skip
DECIDERS = ("my boss", "manager", "director", "ceo", "owner", "the board", "decision",
            "sign off", "my partner", "the team")  # fmt: skip

_WORD = re.compile(r"[a-z']+")


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def sentiment(texts: Iterable[str]) -> float:
    """Lexicon sentiment in (-1, 1): (pos - neg) / (pos + neg + 2); a negator within the
    two words before a sentiment word flips it ("not good" counts as negative), except
    for thanks ("no thank you" stays polite)."""
    pos = neg = 0
    for text in texts:
        tokens = words_of(text)
        for i, word in enumerate(tokens):
            polarity = 1 if word in POSITIVE else -1 if word in NEGATIVE else 0
            negated = any(t in NEGATORS for t in tokens[max(0, i - 2) : i])
            if polarity and negated and word not in POLITE:
                polarity = -polarity
            pos += polarity > 0
            neg += polarity < 0
    return round((pos - neg) / (pos + neg + 2), 3)


def contains_phrase(text: str, phrase: str) -> bool:
    """Whole-word, case-insensitive phrase search ("tour" is not found in "tourism")."""
    pattern = r"(?<![a-z0-9])" + re.escape(phrase.lower().strip()) + r"(?![a-z0-9])"
    return re.search(pattern, text.lower()) is not None


def turns_with(texts: Iterable[str], stems: Iterable[str]) -> list[str]:
    """The texts containing any of ``stems`` (plain substring: "frustrat" finds both forms)."""
    stems = tuple(stems)
    return [t for t in texts if any(s in t.lower() for s in stems)]
