"""Deterministic matchers: what the caller said, in terms the flow understands.

Every matcher works on :func:`tokens` (lowercase, no punctuation, contractions expanded,
fillers such as "uh" dropped), so "Uh, the opening hours, please!" and the phrase
"opening hours" meet on the same words. The same text always gives the same answer:
ties are broken by declaration order, never by chance. Which transition an answer (or
giving up) takes is decided here too, and so are the STT hints of each ask. Typed slots
(numbers, dates, ...) are read by :mod:`.slots`; :mod:`.answers` picks the reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .conditions import (
    CallSecondsOver,
    Condition,
    ExpressionCondition,
    Keyword,
    OwnSlotEquals,
    SlotEquals,
)
from .expr import Env
from .model import AskNode, AskType, GlobalIntentName, GlobalIntents, Transition, YesNo
from .slots import hints_for_type

_CONTRACTIONS = {
    "that's": "that is", "thats": "that is", "it's": "it is", "what's": "what is",
    "there's": "there is", "i'm": "i am", "im": "i am", "you're": "you are",
    "we're": "we are", "they're": "they are", "i'd": "i would", "i'll": "i will",
    "i've": "i have", "don't": "do not", "dont": "do not", "doesn't": "does not",
    "didn't": "did not", "isn't": "is not", "can't": "can not", "cant": "can not",
    "won't": "will not", "let's": "let us",
}  # fmt: skip
_FILLERS = frozenset({"uh", "um", "uhm", "er", "erm", "hmm", "mm", "ah", "oh"})
_STOPWORDS = frozenset({
    "a", "an", "the", "i", "me", "my", "you", "your", "we", "us", "our", "it", "is", "are",
    "am", "be", "to", "of", "for", "in", "on", "at", "and", "or", "please", "can", "could",
    "would", "will", "do", "does", "did", "like", "want", "just", "so", "some", "about",
    "with", "that", "this", "there", "have", "has", "get",
})  # fmt: skip
_NON_WORD = re.compile(r"[^a-z0-9']+")


def tokens(text: str) -> tuple[str, ...]:
    """The words of ``text``, normalized for matching."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("&", " and ")
    words: list[str] = []
    for raw in _NON_WORD.sub(" ", text).split():
        word = raw.strip("'")
        for part in _CONTRACTIONS.get(word, word).split():
            cleaned = part.replace("'", "")
            if cleaned and cleaned not in _FILLERS:
                words.append(cleaned)
    return tuple(words)


def normalize(text: str) -> str:
    """``text`` as one normalized string: "Uh, that's RIGHT!" -> "that is right"."""
    return " ".join(tokens(text))


def _contains(words: Sequence[str], phrase: Sequence[str]) -> bool:
    size = len(phrase)
    return size > 0 and any(
        tuple(words[i : i + size]) == tuple(phrase) for i in range(len(words) - size + 1)
    )


# --- choices ----------------------------------------------------------------------------


def _content(words: Sequence[str]) -> frozenset[str]:
    """Content words with a plural "s" folded: "opening hours" -> {"opening", "hour"}."""
    return frozenset(
        w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
        for w in words
        if w not in _STOPWORDS
    )


def match_choice(
    text: str, choices: Mapping[str, Sequence[str]], *, min_overlap: float = 0.5
) -> str | None:
    """The choice value ``text`` names, or None.

    In order of preference: a phrase equal to the text, the longest phrase contained in
    it, then the phrase sharing the largest share of its content words (at least
    ``min_overlap``). Ties go to the choice declared first.
    """
    words = tokens(text)
    phrases = [(value, tokens(p)) for value, examples in choices.items() for p in examples]
    phrases = [(value, p) for value, p in phrases if p]
    if not words or not phrases:
        return None
    for value, phrase in phrases:
        if phrase == words:
            return value
    contained = [(value, len(p)) for value, p in phrases if _contains(words, p)]
    if contained:
        return max(contained, key=lambda item: item[1])[0]  # max keeps the first of ties
    return _best_overlap(_content(words), phrases, min_overlap)


def _best_overlap(
    said: frozenset[str], phrases: Sequence[tuple[str, tuple[str, ...]]], min_overlap: float
) -> str | None:
    best: tuple[str, float] | None = None
    for value, phrase in phrases:
        wanted = _content(phrase)
        if not wanted:
            continue
        score = len(wanted & said) / len(wanted)
        if score > 0 and score >= min_overlap and (best is None or score > best[1]):
            best = (value, score)
    return best[0] if best else None


# --- yes / no ---------------------------------------------------------------------------


YES_PHRASES = (
    "yes", "yeah", "yep", "yup", "sure", "correct", "that's right", "right", "all right",
    "ok", "okay", "of course", "absolutely", "definitely", "yes please", "i do",
)  # fmt: skip
NO_PHRASES = (
    "no", "nope", "nah", "no thanks", "no thank you", "not really", "not at all", "nothing",
    "nothing else", "that's all", "i'm good", "i'm fine", "i don't", "that's wrong", "wrong",
    "not right", "incorrect",
)  # fmt: skip
_UNSURE_PHRASES = ("not sure", "i don't know", "maybe", "i'm not sure")

_CUES: tuple[tuple[tuple[str, ...], YesNo | None], ...] = tuple(
    sorted(
        [(tokens(p), YesNo.YES) for p in YES_PHRASES]
        + [(tokens(p), YesNo.NO) for p in NO_PHRASES]
        + [(tokens(p), None) for p in _UNSURE_PHRASES],
        key=lambda cue: -len(cue[0]),
    )
)


def match_yes_no(text: str) -> YesNo | None:
    """Yes, no, or None when there is no clear answer.

    The text is scanned left to right for the longest known cue at each word; the last
    cue wins, so a caller who corrects themselves ("no, wait, yes") is taken at their
    final word, and "not sure" cancels an earlier "yes".
    """
    words = tokens(text)
    answer: YesNo | None = None
    i = 0
    while i < len(words):
        cue = next((c for c in _CUES if tuple(words[i : i + len(c[0])]) == c[0]), None)
        if cue is None:
            i += 1
            continue
        answer = cue[1]
        i += len(cue[0])
    return answer


# --- nodes and global intents -----------------------------------------------------------


def condition_holds(
    condition: Condition, node: AskNode, slots: Mapping[str, str], env: Env | None = None
) -> bool:
    """Whether ``condition`` holds once ``node`` has filled its slot in ``slots``.

    ``env`` holds what expressions read (``slots``, ``call``, ``tenant``); without it (at
    load time) expression and time conditions do not hold. Exit conditions
    (``retries_exhausted``, ``no_input``) never hold on a filled slot.
    """
    own = slots.get(node.slot)
    match condition:
        case Keyword.ALWAYS:
            return own is not None
        case Keyword.YES:
            return own == YesNo.YES
        case Keyword.NO:
            return own == YesNo.NO
        case OwnSlotEquals(slot_equals=value):
            return own == value
        case SlotEquals(slot=slot, equals=value):
            return slots.get(slot) == value
        case ExpressionCondition():
            return env is not None and condition.expression.evaluate(env)
        case CallSecondsOver(call_seconds_over=limit):
            seconds = env.get("call", {}).get("seconds") if env is not None else None
            return isinstance(seconds, int | float) and seconds > limit
        case Keyword.RETRIES_EXHAUSTED | Keyword.NO_INPUT:
            return False


def fill_target(node: AskNode, slots: Mapping[str, str], env: Env) -> str | None:
    """Where ``node`` goes now that its slot is filled: the first transition that holds."""
    holds = (t.to for t in node.transitions if condition_holds(t.when, node, slots, env))
    return next(holds, None)


def exit_transition(node: AskNode, *, silent: bool) -> Transition | None:
    """How ``node`` gives up: ``no_input`` if ``silent`` and present, else the first
    ``retries_exhausted``."""
    exits = (
        (Keyword.NO_INPUT, Keyword.RETRIES_EXHAUSTED) if silent else (Keyword.RETRIES_EXHAUSTED,)
    )
    return next((t for k in exits for t in node.transitions if t.when is k), None)


def match_global_intent(text: str, intents: GlobalIntents) -> GlobalIntentName | None:
    """The first enabled global intent one of whose phrases occurs in ``text``."""
    words = tokens(text)
    for name, examples in intents.examples():
        if any(_contains(words, tokens(example)) for example in examples):
            return name
    return None


def phrase_problems(node: AskNode, intents: GlobalIntents) -> list[tuple[str, int, str]]:
    """Choice phrases that could never pick their choice, as (value, index, message):
    empty after normalizing, listed under two choices, or holding a global intent phrase
    (global intents are matched first)."""
    owners: dict[tuple[str, ...], str] = {}
    intent_words = [(n, tokens(e)) for n, examples in intents.examples() for e in examples]
    found: list[tuple[str, int, str]] = []
    for value, phrases in node.choices.items():
        for index, phrase in enumerate(phrases):
            words = tokens(phrase)
            shadow = next((n for n, w in intent_words if _contains(words, w)), None)
            if not words:
                found.append((value, index, f"phrase {phrase!r} has no words to match"))
            elif owners.setdefault(words, value) != value:
                found.append((value, index, f"phrase {phrase!r} is also under {owners[words]!r}"))
            elif shadow is not None:
                message = f"phrase {phrase!r} holds a global {shadow.value!r} phrase"
                found.append((value, index, message))
    return found


def hints_for(node: AskNode, intents: GlobalIntents) -> tuple[str, ...]:
    """STT hints while ``node`` listens: its answer phrases, then the global intents'."""
    match node.type:
        case AskType.CHOICE:
            own: tuple[str, ...] = tuple(p for phrases in node.choices.values() for p in phrases)
        case AskType.YES_NO:
            own = YES_PHRASES + NO_PHRASES
        case _:
            own = hints_for_type(node.type)
    global_phrases = tuple(p for _, examples in intents.examples() for p in examples)
    return tuple(dict.fromkeys(own + global_phrases))
