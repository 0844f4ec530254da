"""One turn being computed: the next state, the events to emit and the actions to take.

Node handlers (:mod:`.handlers`) work on a :class:`Turn` only. It holds a copy of the
state; the machine commits it in one step when the handler returns, or drops it when
the handler raises, so no turn is ever half applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from jinja2 import TemplateError

from ..errors import FlowRuntimeError
from ..expr import Env
from ..knowledge.base import KnowledgeSearch
from .actions import Action, Listen, Say
from .answers import Answer, condition_env
from .events import (
    FlowEvent,
    NodeEntered,
    Reprompt,
    RepromptReason,
    SlotCleared,
    SlotSet,
    TransitionTaken,
)
from .match import answer_pattern, hints_for_node
from .model import AnyNode, ClarifyNode, Flow, ListeningAnyNode
from .model_base import TransitionReason
from .state import HISTORY_TURNS, FlowState
from .templates import Extra, TemplateContext, TemplateRenderer


@dataclass(frozen=True)
class CallServices:
    """What handlers may use beyond the state: the flow, templates, knowledge, LLM mode,
    and whether the call can be transferred (a phone call)."""

    flow: Flow
    context: TemplateContext
    renderer: TemplateRenderer
    knowledge: KnowledgeSearch | None = None
    knowledge_threshold: float = 0.5
    assisted: bool = False
    transfers: bool = False


class NodeRunner(Protocol):
    """How a turn reaches the node handlers (the machine): enter a node, hand the
    current node the caller's words, or make it reprompt."""

    def enter(self, turn: Turn, node_id: str) -> None: ...
    def hear(self, turn: Turn, text: str) -> bool: ...
    def retry(self, turn: Turn, *, silent: bool) -> None: ...


@dataclass
class Turn:
    """The turn under way; handlers change it only through these methods."""

    services: CallServices
    state: FlowState
    now: datetime
    runner: NodeRunner
    events: list[FlowEvent] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    carried: str = ""  # the caller's words an intent transition carries into the next node
    entered_before: int = field(init=False)

    def __post_init__(self) -> None:
        self.entered_before = len(self.state.path)

    @property
    def flow(self) -> Flow:
        return self.services.flow

    @property
    def node_id(self) -> str:
        return self.state.current

    def node(self, node_id: str | None = None) -> AnyNode:
        found = self.flow.nodes.get(node_id or self.state.current)
        if found is None:  # load() rules it out
            raise self.error(f"no such node {node_id!r}")
        return found

    def update(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)

    def emit(self, event: FlowEvent) -> None:
        self.events.append(event)

    # --- speech ---------------------------------------------------------------------

    def render(self, template: str, extra: Extra | None = None) -> str:
        clarifying = self.state.clarifying
        if extra is None and clarifying is not None and isinstance(self.node(), ClarifyNode):
            extra = {"clarify": {"options": clarifying.options, "heard": clarifying.heard}}
        try:
            slots = {**self.state.slots, **self.state.spoken}
            return self.services.renderer.render(template, slots=slots, now=self.now, extra=extra)
        except TemplateError as e:
            raise self.error(f"template failed: {e}") from e

    def say(self, template: str, extra: Extra | None = None) -> None:
        """Render ``template`` and speak it for the current node."""
        self.say_text(self.render(template, extra))

    def say_text(self, text: str) -> None:
        self.actions.append(Say(text, self.state.current))

    def listen(self, node: ListeningAnyNode) -> None:
        """Wait for the caller at the current node, after what was said this turn."""
        prompt = next((a.text for a in reversed(self.actions) if isinstance(a, Say)), "")
        hints = hints_for_node(node, self.flow, self.state)
        pattern = answer_pattern(node, self.state)
        self.update(last_prompt=prompt)
        self.actions.append(Listen(self.state.current, hints, node.no_input_timeout, pattern))

    # --- moving -----------------------------------------------------------------------

    def go(self, to: str, reason: TransitionReason, *, by_llm: bool = False) -> None:
        """Take a transition: report it, then enter ``to`` (which speaks its prompt)."""
        self.emit(
            TransitionTaken(
                from_node=self.state.current, to_node=to, reason=reason, by_llm=by_llm, at=self.now
            )
        )
        self.runner.enter(self, to)

    def go_back(self, to: str, text: str) -> None:
        """Return to ``to`` (the node a clarify node asks for) and let it read ``text``."""
        event = TransitionTaken(
            from_node=self.state.current, to_node=to, reason="returned", at=self.now
        )
        self.emit(event)
        self.entered(to)
        clarifying = self.state.clarifying
        if not self.runner.hear(self, text):
            self.runner.retry(self, silent=False)
        if self.state.clarifying is clarifying:  # not a new clarification
            self.update(clarifying=None)

    def entered(self, node_id: str) -> None:
        """Record entering ``node_id``: path, visits, fresh counters."""
        node = self.node(node_id)
        if len(self.state.path) - self.entered_before > 4 * len(self.flow.nodes):
            raise self.error("the flow moves without waiting for the caller (a loop)")
        visits = {**self.state.visits, node_id: self.state.visits.get(node_id, 0) + 1}
        self.update(
            current=node_id,
            path=(*self.state.path, node_id),
            retries=0,
            no_inputs=0,
            step=0,
            follow_up=False,
            low_confidence=0,
            llm_turns=0,
            visits=visits,
        )
        self.emit(NodeEntered(node=node_id, kind=node.kind, at=self.now))

    # --- slots ------------------------------------------------------------------------

    def fill(self, slot: str, answer: Answer, raw: str) -> None:
        slots = {**self.state.slots, slot: answer.value}
        spoken = {**self.state.spoken, slot: answer.spoken}
        self.update(slots=slots, spoken=spoken)
        self.emit(
            SlotSet(slot=slot, value=answer.value, raw_text=raw, spoken=answer.spoken, at=self.now)
        )

    def clear(self, slot: str, reason: str) -> None:
        """Drop ``slot``'s value (it is not to be kept: ``reason``)."""
        if slot not in self.state.slots:
            return
        slots = {k: v for k, v in self.state.slots.items() if k != slot}
        spoken = {k: v for k, v in self.state.spoken.items() if k != slot}
        self.update(slots=slots, spoken=spoken)
        self.emit(SlotCleared(slot=slot, reason=reason, at=self.now))

    def env(self) -> Env:
        started = self.state.started_at
        tenant = self.services.context.tenant
        return condition_env(self.state.slots, started=started, now=self.now, tenant=tenant)

    # --- retries ----------------------------------------------------------------------

    def retry(
        self,
        node: ListeningAnyNode,
        prompt: str,
        *,
        silent: bool,
        give_up: Callable[[bool], None],
        reason: RepromptReason | None = None,
        instead: str | None = None,
    ) -> None:
        """Reprompt (``node``'s reprompts, else ``prompt``; or the text ``instead``) and
        listen again, or, past the node's limits, call ``give_up(silent)``."""
        retries, no_inputs = self.state.retries + 1, self.state.no_inputs + int(silent)
        if retries > node.max_retries or no_inputs > node.max_no_input:
            give_up(silent)
            return
        why: RepromptReason = reason or ("no_input" if silent else "no_match")
        self.update(retries=retries, no_inputs=no_inputs)
        self.emit(Reprompt(node=self.state.current, attempt=retries, reason=why, at=self.now))
        if instead is None:
            self.say(node.reprompt_for(retries, prompt))
        else:
            self.say_text(instead)
        self.listen(node)

    def remember(self, role: str, text: str) -> None:
        """Keep ``text`` in the recent history (and, for the caller, in ``heard``)."""
        history = (*self.state.history, (role, text))[-HISTORY_TURNS:]
        heard = (*self.state.heard, text) if role == "user" else self.state.heard
        self.update(history=history, heard=heard)

    def error(self, message: str) -> FlowRuntimeError:
        flow, node = self.flow.id, self.state.current
        return FlowRuntimeError(f"flow {flow!r}, node {node!r}: {message}")
