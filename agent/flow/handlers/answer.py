"""``answer``: questions answered from the tenant's knowledge base until the caller is done.

Each question is searched (:class:`~agent.knowledge.base.KnowledgeSearch`); an answer at
or above the threshold is spoken, followed by the node's ``followup``. Below it the node
never guesses: it says ``unknown``, and after ``max_low_confidence`` of those it takes
``on_low_confidence`` (a clarify or handoff node). A short "no" or "that's all" means
the caller is done; a bare "yes" invites the question.
"""

from __future__ import annotations

from ..events import KnowledgeAnswered
from ..match import DONE_PHRASES, match_choice, match_yes_no, tokens
from ..model import AnswerNode, YesNo
from ..turn import Turn
from .base import ListeningHandler

SHORT = 5  # words: longer utterances are questions, even if they hold a "no"
_DONE = {"done": DONE_PHRASES}
GO_AHEAD = "Sure, go ahead."


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
        answer = result.answer or (best.text if best is not None else "")
        answered = result.confidence >= threshold and bool(answer)
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
            turn.update(retries=0)
            turn.say_text(answer)
            turn.say(node.followup)
            turn.listen(node)
        return answered

    def give_up(self, turn: Turn, node: AnswerNode, silent: bool) -> None:
        turn.go(node.done, "no_input" if silent else "done")
