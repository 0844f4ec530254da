"""``answer``: questions answered from the tenant's knowledge base until the caller is done.

Each question is searched (:class:`~agent.knowledge.base.KnowledgeSearch`); an answer at
or above the threshold is spoken, followed by the node's ``followup``. Below it the node
never guesses: it says ``unknown``, and after ``max_low_confidence`` of those it takes
``on_low_confidence`` (a clarify or handoff node). When two topics answer the question
equally well the node asks which one the caller means ("Do you mean cancellations or
appointment reminders?") and answers the one picked ("the first one", "reminders"); any
other reply is a new question. A short "no" or "that's all" means the caller is done; a
bare "yes" invites the question.
"""

from __future__ import annotations

from ...knowledge.base import SearchResult
from ..events import KnowledgeAnswered
from ..match import DONE_PHRASES, match_choice, match_yes_no, pick_ordinal, tokens
from ..model import AnswerNode, YesNo
from ..state import Clarifying
from ..turn import Turn
from .base import ListeningHandler

SHORT = 5  # words: longer utterances are questions, even if they hold a "no"
_DONE = {"done": DONE_PHRASES}
GO_AHEAD = "Sure, go ahead."
WHICH = "Do you mean {options}?"


def spoken_topic(heading: str) -> str:
    """A section heading as said mid-sentence: "Opening hours" -> "opening hours" (a
    heading with a capital inside, "Dr. Chen's patients", is kept as written)."""
    return heading[:1].lower() + heading[1:] if heading[1:] == heading[1:].lower() else heading


class AnswerHandler(ListeningHandler[AnswerNode]):
    def enter(self, turn: Turn, node: AnswerNode) -> None:
        """Answer the words an intent carried here at once if the knowledge base answers
        them confidently ("when do you open on Sunday?" at a menu), else ask."""
        if turn.carried and self._answered(turn, node, turn.carried):
            return
        turn.say(node.prompt)
        turn.listen(node)

    def prompt(self, turn: Turn, node: AnswerNode) -> str:
        return node.prompt

    def hear(self, turn: Turn, node: AnswerNode, text: str) -> bool:
        if self._picked(turn, node, text):
            return True
        short = len(tokens(text)) <= SHORT
        yes_no = match_yes_no(text) if short else None
        if short and (match_choice(text, _DONE) is not None or yes_no is YesNo.NO):
            turn.go(node.done, "done")
            return True
        if yes_no is YesNo.YES and len(tokens(text)) <= 2:
            turn.say_text(GO_AHEAD)
            turn.listen(node)
            return True
        if self._answered(turn, node, text):
            return True
        low = turn.state.low_confidence + 1
        turn.update(low_confidence=low)
        turn.say(node.unknown)
        if low >= node.max_low_confidence:
            turn.go(node.on_low_confidence, "low_confidence")
        else:
            turn.say(node.followup)
            turn.listen(node)
        return True

    def _answered(self, turn: Turn, node: AnswerNode, text: str) -> bool:
        """Search ``text``; at or above the threshold speak the answer and listen again.
        The search is reported either way (:class:`KnowledgeAnswered`)."""
        knowledge = turn.services.knowledge
        if knowledge is None:
            raise turn.error("an answer node needs the tenant's knowledge base")
        result = knowledge.search(text, node.top_k)
        threshold = node.threshold
        if threshold is None:
            threshold = turn.services.knowledge_threshold
        best = result.best
        answered = result.says(threshold)
        turn.emit(
            KnowledgeAnswered(
                node=turn.node_id,
                question=text,
                confidence=round(result.confidence, 3),
                answered=answered,
                source=best.source if best is not None and answered else "",
                at=turn.now,
            )
        )
        if answered:
            self._say(turn, node, result.answer)
        elif result.options and result.confidence >= threshold:
            topics = tuple(o.topic for o in result.options)
            options = " or ".join(spoken_topic(t) for t in topics)
            turn.update(retries=0, which=Clarifying(turn.node_id, text, topics, options))
            turn.say_text(WHICH.format(options=options))
            turn.listen(node)
            return True
        return answered

    def _say(self, turn: Turn, node: AnswerNode, answer: str) -> None:
        turn.update(retries=0)
        turn.say_text(answer)
        turn.say(node.followup)
        turn.listen(node)

    def _picked(self, turn: Turn, node: AnswerNode, text: str) -> bool:
        """After "Do you mean X or Y?": the answer of the topic ``text`` picks, if it
        picks one (else the reply is heard as a new question)."""
        pending = turn.state.which
        if pending is None or pending.return_to != turn.node_id:
            return False
        turn.update(which=None)
        topics = pending.candidates
        picked = pick_ordinal(text, topics) or match_choice(text, {t: (t,) for t in topics})
        knowledge = turn.services.knowledge
        if picked is None or knowledge is None:
            return False
        result: SearchResult = knowledge.search(pending.heard, node.top_k)
        option = next((o for o in result.options if o.topic == picked and o.answer), None)
        if option is None:
            return False
        confidence = round(result.confidence, 3)
        question = f"{pending.heard} ({picked})"
        turn.emit(KnowledgeAnswered(node=turn.node_id, question=question,
                                    confidence=confidence, answered=True,
                                    source=option.source, at=turn.now))  # fmt: skip
        self._say(turn, node, option.answer)
        return True

    def give_up(self, turn: Turn, node: AnswerNode, silent: bool) -> None:
        turn.go(node.done, "no_input" if silent else "done")
