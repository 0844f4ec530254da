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

from ..expr import Env
from .conditions import (
    CallSecondsOver,
    Condition,
    ExpressionCondition,
    IntentCondition,
    IntentSpec,
    Keyword,
    OwnSlotEquals,
    SlotEquals,
)
from .model import (
    AnswerNode,
    AskNode,
    AskType,
    ClarifyNode,
    Flow,
    GlobalIntentName,
    GlobalIntents,
    LeadGateNode,
    ListeningAnyNode,
    QuestionsNode,
    Transition,
    YesNo,
)
from .slots import Pattern, hints_for_type, pattern_for_type
from .state import FlowState

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
    candidates = choice_candidates(text, choices, min_overlap=min_overlap)
    return candidates[0] if candidates else None


def choice_candidates(
    text: str, choices: Mapping[str, Sequence[str]], *, min_overlap: float = 0.5
) -> tuple[str, ...]:
    """Every choice value ``text`` fits equally well, in declaration order (several: the
    answer is ambiguous; see :func:`match_choice` for the order of preference)."""
    words = tokens(text)
    phrases = [(value, tokens(p)) for value, examples in choices.items() for p in examples]
    phrases = [(value, p) for value, p in phrases if p]
    if not words or not phrases:
        return ()
    exact = [value for value, phrase in phrases if phrase == words]
    if exact:
        return tuple(dict.fromkeys(exact))
    contained = [(value, len(p)) for value, p in phrases if _contains(words, p)]
    if contained:
        longest = max(size for _, size in contained)
        return tuple(dict.fromkeys(v for v, size in contained if size == longest))
    return _best_overlap(_content(words), phrases, min_overlap)


def _best_overlap(
    said: frozenset[str], phrases: Sequence[tuple[str, tuple[str, ...]]], min_overlap: float
) -> tuple[str, ...]:
    scored: list[tuple[str, float]] = []
    for value, phrase in phrases:
        wanted = _content(phrase)
        if wanted:
            score = len(wanted & said) / len(wanted)
            if score > 0 and score >= min_overlap:
                scored.append((value, score))
    if not scored:
        return ()
    best = max(score for _, score in scored)
    return tuple(dict.fromkeys(v for v, score in scored if score == best))


_ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "former": 0, "latter": -1}


def pick_ordinal(text: str, candidates: Sequence[str]) -> str | None:
    """The candidate named by position ("the second one", "the last"), or None."""
    words = tokens(text)
    for word in words:
        index = -1 if word == "last" else _ORDINALS.get(word)
        if index is not None and -len(candidates) <= index < len(candidates):
            return candidates[index]
    return None


# --- intents ----------------------------------------------------------------------------


def _fold(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def match_intent(spec: IntentSpec, text: str, *, min_overlap: float = 0.75) -> bool:
    """Whether ``text`` expresses ``spec``: a keyword among its words (plurals folded),
    its regex found in the normalized words, a question when ``spec.questions``, or an
    example phrase matched as a choice."""
    words = tokens(text)
    if not words:
        return False
    folded = {_fold(w) for w in words}
    for keyword in spec.keywords:
        key = tokens(keyword)
        if (len(key) == 1 and _fold(key[0]) in folded) or (len(key) > 1 and _contains(words, key)):
            return True
    if spec.regex is not None and re.search(spec.regex, " ".join(words)):
        return True
    if spec.questions and _is_question(text):
        return True
    examples = {"intent": spec.examples}
    return bool(spec.examples) and match_choice(text, examples, min_overlap=min_overlap) is not None


def _is_question(text: str) -> bool:
    from .questions import is_question  # it reads tokens() from here

    return is_question(text)


def intent_spec(condition: IntentCondition, flow: Flow) -> IntentSpec:
    """The spec of an intent condition: inline, or the flow's named intent."""
    if isinstance(condition.intent, IntentSpec):
        return condition.intent
    return flow.intents[condition.intent]  # load() checks the name


def word_transition(transitions: Sequence[Transition], text: str, flow: Flow) -> Transition | None:
    """The first transition whose intent matches the caller's words ``text``."""
    for t in transitions:
        if isinstance(t.when, IntentCondition) and match_intent(intent_spec(t.when, flow), text):
            return t
    return None


def task_transition(transitions: Sequence[Transition], env: Env) -> Transition | None:
    """For a task node's transitions: the first ``{if: ...}`` or time condition holding."""
    for t in transitions:
        when = t.when
        if isinstance(when, ExpressionCondition) and when.expression.evaluate(env):
            return t
        if isinstance(when, CallSecondsOver):
            seconds = env.get("call", {}).get("seconds")
            if isinstance(seconds, int | float) and seconds > when.call_seconds_over:
                return t
    return None


# --- yes / no ---------------------------------------------------------------------------


YES_PHRASES = (
    "yes", "yeah", "yep", "yup", "sure", "correct", "that's right", "right", "all right",
    "ok", "okay", "of course", "absolutely", "definitely", "yes please", "i do",
    "i don't mind", "don't mind", "fine by me", "go ahead",
)  # fmt: skip
NO_PHRASES = (
    "no", "nope", "nah", "no thanks", "no thank you", "not really", "not at all", "nothing",
    "nothing else", "that's all", "i'm good", "i'm fine", "i don't", "that's wrong", "wrong",
    "not right", "incorrect", "rather not", "i'd rather not", "no way", "i don't want",
    "don't want to",
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
        case Keyword.RETRIES_EXHAUSTED | Keyword.NO_INPUT | IntentCondition():
            return False  # exits are taken on giving up, intents on the words


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
    global_phrases = tuple(p for _, examples in intents.examples() for p in examples)
    return tuple(dict.fromkeys(_ask_hints(node) + global_phrases))


def _ask_hints(node: AskNode) -> tuple[str, ...]:
    match node.type:
        case AskType.CHOICE:
            return tuple(p for phrases in node.choices.values() for p in phrases)
        case AskType.YES_NO:
            return YES_PHRASES + NO_PHRASES
        case _:
            return _typed_hints(node.type)


# What callers say instead of a typed answer. As hints they give a grammar-bound
# recognizer somewhere to put these words: without them, PocketSphinx forced "I don't
# know" onto the name grammar ("I'm Julia Hill") and "hold on a second" onto digits. No
# extractor takes any of them for a value, so the ask reprompts.
NON_ANSWERS = (
    "i don't know", "not sure", "no idea", "hold on a second", "hold on a minute",
    "one moment", "just a moment", "wait a second", "give me a second", "let me check",
    "bear with me",
)  # fmt: skip


def _typed_hints(slot_type: AskType) -> tuple[str, ...]:
    """A typed answer's hints, and the non-answers, when the type has hints at all."""
    typed = hints_for_type(slot_type)
    return typed + NON_ANSWERS if typed else ()


DONE_PHRASES = (
    "that's all", "that is all", "that's it", "nothing else", "no more questions",
    "that's everything", "i'm done", "no thanks", "no thank you", "no",
)  # fmt: skip
SKIP_PHRASES = ("skip", "pass", "i don't know", "not sure", "no idea", "rather not say")


def answer_pattern(node: ListeningAnyNode, state: FlowState) -> Pattern | None:
    """How the answer ``node`` now waits for is worded, when it is typed (a number, a
    date, a phone number, a name): see :mod:`.slots.patterns`."""
    match node:
        case AskNode():
            return pattern_for_type(node.type)
        case QuestionsNode() if state.step < len(node.questions) and not state.follow_up:
            return pattern_for_type(node.questions[state.step].type)
    return None


def hints_for_node(node: ListeningAnyNode, flow: Flow, state: FlowState) -> tuple[str, ...]:
    """STT hints while ``node`` listens: its expected answers, its intents' phrases and
    keywords, then the global intents' phrases."""
    own: tuple[str, ...] = ()
    match node:
        case AskNode():
            own = _ask_hints(node)
        case LeadGateNode() if state.step == 0:
            own = hints_for_type(AskType.EMAIL) + NO_PHRASES
        case LeadGateNode():
            own = YES_PHRASES + NO_PHRASES
        case AnswerNode():
            own = DONE_PHRASES + YES_PHRASES
        case QuestionsNode() if state.step < len(node.questions):
            own = _typed_hints(node.questions[state.step].type) + SKIP_PHRASES
        case ClarifyNode() if state.clarifying is not None:
            asker = flow.nodes.get(state.clarifying.return_to)
            own = (*_ORDINALS, "the last one")
            if isinstance(asker, AskNode):
                candidates = state.clarifying.candidates
                own += tuple(p for value in candidates for p in asker.choices[value])
    transitions = getattr(node, "transitions", ())
    intents = tuple(
        phrase
        for t in transitions
        if isinstance(t.when, IntentCondition)
        for spec in [intent_spec(t.when, flow)]
        for phrase in (*spec.examples, *spec.keywords)
    )
    global_phrases = tuple(p for _, examples in flow.globals.examples() for p in examples)
    return tuple(dict.fromkeys(own + intents + global_phrases))
