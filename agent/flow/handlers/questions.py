"""``questions``: an ordered question set, each answer stored under its key.

A question is skipped when its key is already filled, or when the caller already said
something holding one of its ``detect`` phrases (that utterance becomes the answer). A
short answer gets the question's ``follow_up`` once. "Skip", "pass" or "I don't know"
leave a question unanswered, and so does silence past the node's limits.
"""

from __future__ import annotations

from ..answers import Answer, value_text
from ..match import SKIP_PHRASES, match_choice, match_yes_no, tokens
from ..model import AskType, Question, QuestionsNode
from ..slots import EXTRACTORS, SlotContext
from ..turn import Turn
from .base import ListeningHandler

_SKIP = {"skip": SKIP_PHRASES}


class QuestionsHandler(ListeningHandler[QuestionsNode]):
    def enter(self, turn: Turn, node: QuestionsNode) -> None:
        if node.intro:
            turn.say(node.intro)
        self._next(turn, node, 0)

    def prompt(self, turn: Turn, node: QuestionsNode) -> str:
        question = node.questions[turn.state.step]
        if turn.state.follow_up and question.follow_up:
            return question.follow_up
        return question.ask

    def hear(self, turn: Turn, node: QuestionsNode, text: str) -> bool:
        question = node.questions[turn.state.step]
        if turn.state.follow_up:
            turn.fill(question.follow_up_key, Answer(text, text), text)
            self._next(turn, node, turn.state.step + 1)
            return True
        if len(tokens(text)) <= 6 and match_choice(text, _SKIP) is not None:
            self._next(turn, node, turn.state.step + 1)
            return True
        answer = _read(turn, question, text)
        if answer is None:
            return False
        turn.fill(question.key, answer, text)
        if question.follow_up and len(tokens(text)) < question.follow_up_below_words:
            turn.update(follow_up=True, retries=0, no_inputs=0)
            turn.say(question.follow_up)
            turn.listen(node)
        else:
            self._next(turn, node, turn.state.step + 1)
        return True

    def give_up(self, turn: Turn, node: QuestionsNode, silent: bool) -> None:
        self._next(turn, node, turn.state.step + 1)  # leave this one unanswered

    def _next(self, turn: Turn, node: QuestionsNode, start: int) -> None:
        """Ask the first question from ``start`` not answered yet, else leave."""
        for index in range(start, len(node.questions)):
            question = node.questions[index]
            if question.key in turn.state.slots:
                continue
            earlier = _answered_earlier(question, turn.state.heard)
            if earlier is not None:
                turn.fill(question.key, Answer(earlier, earlier), earlier)
                continue
            turn.update(step=index, follow_up=False, retries=0, no_inputs=0)
            turn.say(question.ask)
            turn.listen(node)
            return
        turn.go(node.next, "next")


def _read(turn: Turn, question: Question, text: str) -> Answer | None:
    extractor = EXTRACTORS.get(question.type)
    if question.type is AskType.YES_NO:
        answer = match_yes_no(text)
        return None if answer is None else Answer(answer.value, answer.value)
    if extractor is None:
        return Answer(text, text)
    ctx = SlotContext(now=turn.now, timezone=turn.services.context.tz)
    found = extractor(text, ctx)
    return None if found is None else Answer(value_text(found.value), found.display)


def _answered_earlier(question: Question, heard: tuple[str, ...]) -> str | None:
    """The latest thing the caller said that holds one of the question's ``detect``
    phrases (as words, in order), or None."""
    wanted = [tokens(phrase) for phrase in question.detect]
    for said in reversed(heard):
        words = tokens(said)
        for phrase in wanted:
            size = len(phrase)
            if size and any(words[i : i + size] == phrase for i in range(len(words) - size + 1)):
                return said
    return None
