"""The flow state machine: pure, synchronous, deterministic, with no audio or livekit.

Tell it what happened (``start``, ``on_user_text``, ``on_no_input``); it returns what to
do (:data:`Action`) and reports :mod:`.events` to an :class:`~.events.EventSink`. The
voice adapter and text-mode tests drive the same machine. A turn is computed on a copy
of the state, committed in one step, then its events are emitted: a failing turn changes
nothing, and an interrupted prompt never leaves a transition half done (the caller's
words go to the current node).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial

from jinja2 import TemplateError

from ..errors import FlowRuntimeError
from .answers import Answer, condition_env, read_answer, slot_context
from .conditions import Keyword
from .events import (
    Ended,
    EventSink,
    FlowEvent,
    GlobalIntent,
    NodeEntered,
    Reprompt,
    RepromptReason,
    SlotSet,
    TransitionReason,
    TransitionTaken,
)
from .match import exit_transition, fill_target, hints_for, match_global_intent
from .model import AskNode, EndNode, Flow, GlobalIntentName, SayNode
from .templates import TemplateContext, TemplateRenderer


@dataclass(frozen=True)
class Say:
    """Speak ``text`` (rendered) on behalf of ``node``."""

    text: str
    node: str


@dataclass(frozen=True)
class Listen:
    """Wait for the caller; bias the recognizer with ``hints``; no input after ``timeout_s``."""

    node: str
    hints: tuple[str, ...]
    timeout_s: float


@dataclass(frozen=True)
class Hangup:
    """End the call (after the preceding speech has played)."""

    node: str


Action = Say | Listen | Hangup


@dataclass(frozen=True)
class FlowState:
    """Where a call is; ``retries``/``no_inputs``: failed/silent turns at the current ask.
    ``slots`` holds values, ``spoken`` how templates say them (see :mod:`.answers`)."""

    current: str
    path: tuple[str, ...] = ()
    slots: Mapping[str, str] = field(default_factory=dict)
    spoken: Mapping[str, str] = field(default_factory=dict)
    started_at: datetime | None = None
    retries: int = 0
    no_inputs: int = 0
    ended: bool = False
    last_prompt: str = ""
    last_turn: tuple[Say, ...] = ()


_UTC_NOW = partial(datetime.now, UTC)


@dataclass
class _Turn:
    """One turn being computed: the next state, and what to emit and do if it commits."""

    state: FlowState
    now: datetime
    events: list[FlowEvent] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


class FlowMachine:
    """Runs one call through ``flow``. Not thread-safe: drive it from one task."""

    def __init__(
        self,
        flow: Flow,
        context: TemplateContext,
        *,
        sink: EventSink | None = None,
        clock: Callable[[], datetime] = _UTC_NOW,
    ) -> None:
        self._flow = flow
        self._context = context
        self._renderer = TemplateRenderer(context)
        self._sink = sink
        self._clock = clock
        self._state = FlowState(current=flow.start)

    @property
    def state(self) -> FlowState:
        return self._state

    def start(self) -> list[Action]:
        """Enter the start node and run until the first ask (Listen) or end (Hangup)."""
        if self._state.path:
            raise FlowRuntimeError(f"flow {self._flow.id!r}: start() was already called")
        turn = self._turn()
        turn.state = replace(turn.state, started_at=turn.now)
        self._enter(turn, self._flow.start)
        return self._commit(turn)

    def on_user_text(self, text: str) -> list[Action]:
        """Handle what the caller said: a global intent, an answer, or a retry."""
        if self._state.ended:
            return []
        if not text.strip():
            return self.on_no_input()
        turn, ask = self._turn(), self._current_ask()
        intent = match_global_intent(text, self._flow.globals)
        ctx = slot_context(ask, self._flow, now=turn.now, timezone=self._context.tz)
        answer = read_answer(ask, text, ctx) if intent is None else None
        if intent is not None:
            self._global_intent(turn, ask, intent)
        elif answer is not None:
            self._fill(turn, ask, answer, text)
        else:
            self._retry(turn, ask, silent=False)
        return self._commit(turn)

    def on_no_input(self) -> list[Action]:
        """Handle the caller's silence after a Listen's timeout."""
        if self._state.ended:
            return []
        turn, ask = self._turn(), self._current_ask()
        self._retry(turn, ask, silent=True)
        return self._commit(turn)

    def _enter(self, turn: _Turn, node_id: str) -> None:
        node = self._flow.nodes.get(node_id)
        entered = len(turn.state.path) - len(self._state.path)
        if node is None or entered > len(self._flow.nodes):  # load() rules out both
            raise self._error(node_id, "no such node" if node is None else "say nodes loop")
        path = (*turn.state.path, node_id)
        turn.state = replace(turn.state, current=node_id, path=path, retries=0, no_inputs=0)
        turn.events.append(NodeEntered(node=node_id, kind=node.kind, at=turn.now))
        text = node.prompt if isinstance(node, AskNode) else node.text
        turn.actions.append(Say(self._render(turn, text), node_id))
        match node:
            case SayNode(next=target):
                self._go(turn, target, "next")
            case AskNode():
                self._listen(turn, node)
            case EndNode():
                turn.state = replace(turn.state, ended=True)
                turn.events.append(Ended(node=node_id, at=turn.now))
                turn.actions.append(Hangup(node_id))

    def _fill(self, turn: _Turn, ask: AskNode, answer: Answer, raw: str) -> None:
        state, value = turn.state, answer.value
        slots, spoken = {**state.slots, ask.slot: value}, {**state.spoken, ask.slot: answer.spoken}
        turn.state = replace(state, slots=slots, spoken=spoken)
        turn.events.append(SlotSet(slot=ask.slot, value=value, raw_text=raw, at=turn.now))
        tenant, started = self._context.tenant, state.started_at
        env = condition_env(slots, started=started, now=turn.now, tenant=tenant)
        target = fill_target(ask, slots, env)
        if target is None:
            raise self._error(state.current, f"no transition for the answer {value!r}")
        self._go(turn, target, "matched")

    def _retry(self, turn: _Turn, ask: AskNode, *, silent: bool) -> None:
        retries, no_inputs = turn.state.retries + 1, turn.state.no_inputs + int(silent)
        if retries > ask.max_retries or no_inputs > ask.max_no_input:
            self._give_up(turn, ask, silent=silent)
        else:
            node_id = turn.state.current
            reason: RepromptReason = "no_input" if silent else "no_match"
            turn.state = replace(turn.state, retries=retries, no_inputs=no_inputs)
            turn.events.append(Reprompt(node=node_id, attempt=retries, reason=reason, at=turn.now))
            turn.actions.append(Say(self._render(turn, ask.reprompt(retries)), node_id))
            self._listen(turn, ask)

    def _give_up(self, turn: _Turn, ask: AskNode, *, silent: bool) -> None:
        taken = exit_transition(ask, silent=silent)
        if taken is None:
            raise self._error(turn.state.current, "no 'retries_exhausted' transition")
        exhausted = taken.when is Keyword.RETRIES_EXHAUSTED
        self._go(turn, taken.to, "retries_exhausted" if exhausted else "no_input")

    def _global_intent(self, turn: _Turn, ask: AskNode, intent: GlobalIntentName) -> None:
        turn.events.append(GlobalIntent(name=intent, at=turn.now))
        goodbye = self._flow.globals.goodbye
        if intent is GlobalIntentName.GOODBYE and goodbye is not None:
            self._go(turn, goodbye.to, "global_intent")
        elif intent is GlobalIntentName.REPEAT:
            turn.actions.extend(turn.state.last_turn)
            self._listen(turn, ask)

    def _listen(self, turn: _Turn, ask: AskNode) -> None:
        node_id = turn.state.current
        prompt = next((a.text for a in reversed(turn.actions) if isinstance(a, Say)), "")
        turn.state = replace(turn.state, last_prompt=prompt)
        hints = hints_for(ask, self._flow.globals)
        turn.actions.append(Listen(node_id, hints, ask.no_input_timeout))

    def _go(self, turn: _Turn, to: str, reason: TransitionReason) -> None:
        src = turn.state.current
        turn.events.append(TransitionTaken(from_node=src, to_node=to, reason=reason, at=turn.now))
        self._enter(turn, to)

    def _render(self, turn: _Turn, template: str) -> str:
        try:
            slots = {**turn.state.slots, **turn.state.spoken}
            return self._renderer.render(template, slots=slots, now=turn.now)
        except TemplateError as e:
            raise self._error(turn.state.current, f"template failed: {e}") from e

    def _turn(self) -> _Turn:
        now = self._clock()
        if now.tzinfo is None:
            raise FlowRuntimeError(f"flow {self._flow.id!r}: the clock must be timezone-aware")
        return _Turn(self._state, now)

    def _commit(self, turn: _Turn) -> list[Action]:
        said = tuple(a for a in turn.actions if isinstance(a, Say))
        self._state = replace(turn.state, last_turn=said)
        if self._sink is not None:
            for event in turn.events:
                self._sink.emit(event)
        return turn.actions

    def _current_ask(self) -> AskNode:
        node = self._flow.nodes.get(self._state.current)
        if not self._state.path or not isinstance(node, AskNode):
            raise self._error(self._state.current, "not waiting for an answer (call start())")
        return node

    def _error(self, node_id: str, message: str) -> FlowRuntimeError:
        return FlowRuntimeError(f"flow {self._flow.id!r}, node {node_id!r}: {message}")
