"""A passage made into a short spoken answer: the relevant sentences, read naturally.

Extractive, no LLM: the sentences of the best passage that share the most terms with the
question (at most two, about 45 words), with markdown removed and prices, times, day
abbreviations, phone numbers and symbols written as a voice would say them ("£3.50" ->
"3 pounds 50", "18:00" -> "6 p.m.", "Mon–Fri" -> "Monday to Friday", "555-0142" ->
"5 5 5, 0 1 4 2"). Sentences end where :mod:`.sentences` says (not at "Dr." or "$95.50");
phone numbers are found by libphonenumber for the business's country (:mod:`agent.phones`).
"""

from __future__ import annotations

import re

from ..phones import speak_numbers
from .sentences import split_sentences
from .tokens import terms

MAX_WORDS = 45
WHOLE_PASSAGE_WORDS = 25  # a passage this short is said whole
_DAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "tues": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
_CURRENCIES = {"£": ("pound", "pounds", "pence"), "$": ("dollar", "dollars", "cents"),
               "€": ("euro", "euros", "cents")}  # fmt: skip


def compose_answer(
    text: str,
    question: str,
    max_words: int = MAX_WORDS,
    *,
    whole: bool = False,
    region: str | None = None,
) -> str:
    """What to say for ``question`` from the passage ``text``: all of it when ``whole`` or
    short (a chunk is one fact already), else its one or two sentences sharing most terms
    with the question; made speakable (phone numbers read in ``region``'s way) and cut
    to ``max_words`` at a sentence end."""
    sentences = list(split_sentences(text))
    if not sentences:
        return ""
    if whole or len(text.split()) <= WHOLE_PASSAGE_WORDS:
        return _trim(speakable(text, region=region), max_words)
    wanted = set(terms(question))
    overlap = [len(wanted & set(terms(s))) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (overlap[i], -i))
    chosen = [best]
    runner_up = sorted((i for i in range(len(sentences)) if i != best), key=lambda i: -overlap[i])
    if runner_up and overlap[runner_up[0]] > 0:
        words = len(sentences[best].split()) + len(sentences[runner_up[0]].split())
        if words <= max_words:
            chosen.append(runner_up[0])
    said = " ".join(sentences[i] for i in sorted(chosen))
    return _trim(speakable(said, region=region), max_words)


def _trim(text: str, max_words: int) -> str:
    """``text`` cut to ``max_words``: at the last sentence end that keeps a third of them,
    else at the word limit."""
    if len(text.split()) <= max_words:
        return text
    kept: list[str] = []
    for sentence in split_sentences(text):
        if len(" ".join([*kept, sentence]).split()) > max_words:
            break
        kept.append(sentence)
    if kept and len(" ".join(kept).split()) > max_words // 3:
        return " ".join(kept)
    return " ".join(text.split()[:max_words]).rstrip(",;:") + "."


def speakable(text: str, *, region: str | None = None) -> str:
    """``text`` as it should be read aloud: no markdown, natural prices and times, and
    phone numbers digit by digit (found for the business's country, ``region``)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # [label](url) -> label
    text = re.sub(r"https?://(www\.)?([^\s/]+)\S*", r"\2", text)
    text = re.sub(r"[*_`#>|]+", "", text)
    text = re.sub(r"^\s*([-•]|\d+[.)])\s+", "", text)
    text = speak_numbers(text, region)  # before ranges: "555-0142" is not "555 to 0142"
    text = _ranges(text)
    text = _prices(text)
    text = _times(text)
    text = _days(text)
    text = re.sub(r"\s*[–—]\s*", ", ", text)
    text = text.replace("&", " and ").replace("%", " percent").replace("e.g.", "for example")
    text = re.sub(r"\s*\(\s*", ", ", text)
    text = re.sub(r"\s*\)", ",", text)
    text = re.sub(r",\s*([.,;:!?])", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip(" ,;")
    if text and text[-1] not in ".!?":
        text += "."
    return text[0].upper() + text[1:] if text else text


def _prices(text: str) -> str:
    def say(match: re.Match[str]) -> str:
        one, many, small = _CURRENCIES[match.group(1)]
        whole, cents = int(match.group(2).replace(",", "")), match.group(3)
        unit = one if whole == 1 else many
        if whole == 0 and cents:
            return f"{int(cents)} {small}"
        if cents and int(cents):
            return f"{whole} {unit} {int(cents) if small == 'pence' else cents}"
        return f"{whole} {unit}"

    return re.sub(r"([£$€])\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{2}))?", say, text)


def _times(text: str) -> str:
    def twelve(match: re.Match[str]) -> str:
        hour, minute, suffix = int(match.group(1)), match.group(2), match.group(3)
        if suffix:
            meridiem = "a.m." if suffix.lower().startswith("a") else "p.m."
        else:
            meridiem = "a.m." if hour < 12 else "p.m."
            if hour == 0 and minute in (None, "00"):
                return "midnight"
            if hour == 12 and minute in (None, "00"):
                return "noon"
            hour = hour % 12 or 12
        spoken = f"{hour}" if minute in (None, "00") else f"{hour}:{minute}"
        return f"{spoken} {meridiem}"

    text = re.sub(r"\b(\d{1,2})(?::(\d{2}))?\s*([ap]\.?m\.?)(?![a-z])", twelve, text, flags=re.I)
    return re.sub(r"\b([01]?\d|2[0-3]):([0-5]\d)()(?!\s*[ap]\.?m)", twelve, text)


_DAY = "(?:" + "|".join(d.capitalize() for d in _DAYS) + r")\b\.?"
_TIME = r"\d{1,2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?"


def _ranges(text: str) -> str:
    """``Mon–Fri`` and ``07:30–18:00`` read as ranges ("to"), before the parts change."""
    text = re.sub(rf"({_DAY})\s*[–—-]\s*(?={_DAY})", r"\1 to ", text)
    text = re.sub(rf"([£$€]?{_TIME})\s*[–—-]\s*(?=[£$€]?\d)", r"\1 to ", text, flags=re.I)
    return text


def _days(text: str) -> str:
    """Capitalised day abbreviations (``Sat``, not "sat") as full names."""

    def day(match: re.Match[str]) -> str:
        return _DAYS[match.group(1).lower()]

    return re.sub(r"\b(" + "|".join(d.capitalize() for d in _DAYS) + r")\b\.?", day, text)
