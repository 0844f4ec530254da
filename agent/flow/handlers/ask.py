"""``ask``: fill one typed slot, then take the first transition that holds.

An ambiguous choice ("the cake", with a carrot and a chocolate cake on offer) goes to the
ask's ``clarify`` node, which hands the reply back here: it is then read against the
candidates first ("the second one", "carrot").

A ``business_hours`` datetime ask takes only a time when the tenant is open; for another
it says when it is open and asks for another time (a retry, reason ``outside_hours``).
"""

from __future__ import annotations

from datetime import datetime

from ...errors import FlowRuntimeError
from ..actions import Replied, ToolCalled, ToolSpec
from ..answers import Answer, read_answer, slot_context
from ..conditions import IntentCondition, Keyword
from ..match import (
    choice_candidates,
    exit_transition,
    fill_target,
    intent_spec,
    match_choice,
    pick_ordinal,
)
from ..model import AskNode, AskType
from ..slots import SlotContext
from ..state import Clarifying
from ..turn import Turn
from .base import ListeningHandler

_TYPE_HELP = {
    AskType.TEXT: "what the caller said, as a short phrase",
    AskType.YES_NO: "'yes' or 'no'",
    AskType.NUMBER: "a number in digits, e.g. '6'",
    AskType.DATETIME: "a date and time in words, e.g. 'friday at 7 pm' or 'tomorrow at noon'",
    AskType.EMAIL: "an email address, e.g. 'jane@example.com'",
    AskType.PHONE: "a phone number in digits, e.g. '+44 7911 123456'",
    AskType.NAME: "the person's name, e.g. 'Jane Smith'",
}


class AskHandler(ListeningHandler[AskNode]):
    def enter(self, turn: Turn, node: AskNode) -> None:
        """Ask; but a choice the words that brought the call here name, and name alone,
        is taken at once: "I'd like to book a cleaning" at a menu fills the service."""
        carried, turn.carried = turn.carried, ""
        if carried and node.type is AskType.CHOICE:
            candidates = choice_candidates(carried, node.choices)
            if len(candidates) == 1:
                value = candidates[0]
                self._filled(turn, node, Answer(value, node.spoken_choice(value)), carried)
                return
        turn.say(node.prompt)
        turn.listen(node)

    def prompt(self, turn: Turn, node: AskNode) -> str:
        return node.prompt

    def hear(self, turn: Turn, node: AskNode, text: str) -> bool:
        clarifying = turn.state.clarifying
        if clarifying is not None and clarifying.return_to == turn.node_id:
            turn.update(clarifying=None)
            value = pick_ordinal(text, clarifying.candidates) or match_choice(
                text, {v: node.choices[v] for v in clarifying.candidates if v in node.choices}
            )
            if value is not None:
                return self._filled(turn, node, Answer(value, value), text)
        elif node.clarify is not None:
            candidates = choice_candidates(text, node.choices)
            if len(candidates) > 1:
                options = _spoken_options(node, candidates)
                turn.update(clarifying=Clarifying(turn.node_id, text, candidates, options))
                turn.go(node.clarify, "clarify")
                return True
        ctx = _slot_context(turn, node)
        answer = read_answer(node, text, ctx)
        return answer is not None and self._filled(turn, node, answer, text)

    def keep(self, turn: Turn, node: AskNode, text: str) -> None:
        ctx = _slot_context(turn, node)
        answer = read_answer(node, text, ctx)
        if answer is not None and _closed_at(turn, node, answer) is None:
            turn.fill(node.slot, answer, text)

    def _filled(
        self, turn: Turn, node: AskNode, answer: Answer, raw: str, *, llm: bool = False
    ) -> bool:
        closed = _closed_at(turn, node, answer)
        if closed is not None:  # understood, but not a time the tenant can take
            another = f"{closed} {turn.render(node.another_time)}"
            turn.retry(
                node,
                node.prompt,
                silent=False,
                give_up=lambda quiet: self.give_up(turn, node, quiet),
                reason="outside_hours",
                instead=another,
            )
            return True
        turn.fill(node.slot, answer, raw)
        target = fill_target(node, turn.state.slots, turn.env())
        if target is None:
            raise turn.error(f"no transition for the answer {answer.value!r}")
        turn.go(target, "matched", by_llm=llm)
        return True

    def give_up(self, turn: Turn, node: AskNode, silent: bool) -> None:
        taken = exit_transition(node, silent=silent)
        if taken is None:
            raise FlowRuntimeError(
                f"flow {turn.flow.id!r}, node {turn.node_id!r}: no 'retries_exhausted' transition"
            )
        exhausted = taken.when is Keyword.RETRIES_EXHAUSTED
        turn.go(taken.to, "retries_exhausted" if exhausted else "no_input")

    # --- LLM-assisted mode ------------------------------------------------------------

    def tools(self, turn: Turn, node: AskNode) -> tuple[ToolSpec, ...]:
        kind = (
            "one of: " + ", ".join(node.choices)
            if node.type is AskType.CHOICE
            else _TYPE_HELP[node.type]
        )
        found = [
            ToolSpec(
                f"set_{node.slot}",
                f"The caller answered the question. Record the answer for {node.slot!r}.",
                {"value": ("string", kind)},
            )
        ]
        for t in node.transitions:
            if isinstance(t.when, IntentCondition):
                found.append(ToolSpec(f"go_to_{t.to}", _intent_help(turn, t.when)))
        return tuple(found)

    def assisted(self, turn: Turn, node: AskNode, text: str, assist: ToolCalled | Replied) -> bool:
        if not isinstance(assist, ToolCalled):
            return False
        if assist.name == f"set_{node.slot}":
            value = assist.arguments.get("value", "")
            ctx = _slot_context(turn, node)
            answer = read_answer(node, value, ctx)  # the LLM's value is checked like words
            if node.type is AskType.CHOICE and value in node.choices:
                answer = Answer(value, value)
            return answer is not None and self._filled(turn, node, answer, text, llm=True)
        target = assist.name.removeprefix("go_to_")
        intents = {t.to for t in node.transitions if isinstance(t.when, IntentCondition)}
        if assist.name.startswith("go_to_") and target in intents:
            turn.go(target, "intent", by_llm=True)
            return True
        return False


def _slot_context(turn: Turn, node: AskNode) -> SlotContext:
    context = turn.services.context
    return slot_context(
        node, turn.flow, now=turn.now, timezone=context.tz, country_code=context.country_code
    )


def _closed_at(turn: Turn, node: AskNode, answer: Answer) -> str | None:
    """Why ``answer`` (a date and time) is no good for a ``business_hours`` ask, to be
    said ("Sorry, we're closed on Mondays."), or None when the tenant is open then (or
    its hours are not given)."""
    hours = turn.services.context.hours
    if not node.business_hours or hours is None or node.type is not AskType.DATETIME:
        return None
    tz = turn.services.context.tz
    return hours.closed_at(
        datetime.fromisoformat(answer.value).astimezone(tz), today=turn.now.astimezone(tz).date()
    )


def _spoken_options(node: AskNode, candidates: tuple[str, ...]) -> str:
    """ "the carrot cake or the chocolate cake": each candidate's first phrase."""
    said = [node.choices[value][0] for value in candidates]
    return said[0] if len(said) == 1 else ", ".join(said[:-1]) + " or " + said[-1]


def _intent_help(turn: Turn, when: IntentCondition) -> str:
    spec = intent_spec(when, turn.flow)
    examples = "; ".join((*spec.examples, *spec.keywords)[:6])
    return f"The caller means something like: {examples}"
