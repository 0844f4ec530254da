"""The flow state machine: pure, synchronous, deterministic, with no audio or livekit.

Tell it what happened (``start``, ``on_user_text``, ``on_no_input``); it returns what to
do (:data:`~.actions.Action`) and reports :mod:`.events` to an
:class:`~.events.EventSink`. The voice adapter and text-mode tests drive the same machine.

A turn is computed on a copy of the state (:class:`~.turn.Turn`), committed in one
step, then its events are emitted: a failing turn changes nothing, and an interrupted
prompt never leaves a transition half done (the caller's words go to the current node).

On every caller turn: a global intent (goodbye, a human, repeat) first, then the node's
intent transitions, then the node's own reading (:mod:`.handlers`). In LLM-assisted mode
a turn no matcher understood returns a :class:`~.actions.Consult` and commits nothing;
the driver calls again with the LLM's :data:`~.actions.Assist`, and an
:class:`~.actions.AssistError` makes the turn run scripted (a reprompt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from ..errors import FlowRuntimeError
from ..knowledge.base import KnowledgeSearch
from .actions import (
    Action,
    Assist,
    AssistError,
    Consult,
    Hangup,
    Listen,
    Replied,
    Say,
    ToolCalled,
    Transfer,
    TransferResult,
)
from .answers import read_answer, slot_context
from .conditions import IntentCondition
from .endpoint import NOTHING, Completeness, Expectation
from .events import (
    AssistFailed,
    CallResumed,
    EventSink,
    GlobalIntent,
    HandedBack,
    HandoffTimedOut,
    HumanJoined,
)
from .handlers import HANDLERS, Handler, ListeningHandler
from .handlers.speaking import HandoffHandler
from .match import intent_spec, match_global_intent, match_intent, word_transition
from .model import (
    LISTENING_KINDS,
    AskNode,
    Flow,
    GlobalIntentName,
    HandoffNode,
    ListeningAnyNode,
)
from .resume import RESUME_LINE
from .state import Clarifying, FlowState
from .templates import TemplateContext, TemplateRenderer
from .turn import CallServices, Turn

__all__ = [
    "Action",
    "Clarifying",
    "Consult",
    "FlowMachine",
    "FlowState",
    "Hangup",
    "Listen",
    "Say",
    "Transfer",
    "TransferResult",
]

_UTC_NOW = partial(datetime.now, UTC)
HUMAN_REASON = "the caller asked for a person"


def with_tenant_choices(flow: Flow, context: TemplateContext) -> Flow:
    """``flow`` with each ``choices_from: services`` ask offering the tenant's services
    (``context.services``); raises FlowRuntimeError when the tenant lists none."""
    offering = [
        node_id
        for node_id, node in flow.nodes.items()
        if isinstance(node, AskNode) and node.choices_from == "services"
    ]
    if not offering:
        return flow
    if not context.services:
        raise FlowRuntimeError(
            f"flow {flow.id!r}: node(s) {', '.join(offering)} offer the tenant's services "
            "(choices_from: services), but the tenant lists none (tenant.yaml `services`)"
        )
    nodes = dict(flow.nodes)
    for node_id in offering:
        nodes[node_id] = nodes[node_id].model_copy(update={"choices": dict(context.services)})
    return flow.model_copy(update={"nodes": nodes})


class FlowMachine:
    """Runs one call through ``flow``. Not thread-safe: drive it from one task.

    ``knowledge`` answers ``answer`` nodes (required when the flow has any);
    ``assisted`` turns on LLM-assisted mode (the driver must then answer Consults);
    ``transfers``: the call can be transferred (a phone call), so a handoff node with
    ``transfer_to`` returns a :class:`Transfer` (the driver answers with
    :meth:`on_transfer`) instead of continuing as an ordinary handoff."""

    def __init__(
        self,
        flow: Flow,
        context: TemplateContext,
        *,
        sink: EventSink | None = None,
        clock: Callable[[], datetime] = _UTC_NOW,
        knowledge: KnowledgeSearch | None = None,
        knowledge_threshold: float = 0.5,
        assisted: bool = False,
        transfers: bool = False,
    ) -> None:
        flow = with_tenant_choices(flow, context)
        if flow.uses_knowledge() and knowledge is None:
            nodes = ", ".join(flow.uses_knowledge())
            raise FlowRuntimeError(
                f"flow {flow.id!r}: answer node(s) {nodes} need a knowledge base, none given"
            )
        self._services = CallServices(
            flow=flow,
            context=context,
            renderer=TemplateRenderer(context),
            knowledge=knowledge,
            knowledge_threshold=knowledge_threshold,
            assisted=assisted,
            transfers=transfers,
        )
        self._flow = flow
        self._sink = sink
        self._clock = clock
        self._state = FlowState(current=flow.start)
        self._expectation = NOTHING

    @property
    def state(self) -> FlowState:
        return self._state

    @property
    def flow(self) -> Flow:
        return self._flow

    @property
    def assisted(self) -> bool:
        return self._services.assisted

    @property
    def expectation(self) -> Expectation:
        """What the listening node expects (built when it was entered; NOTHING when the
        machine is not waiting for an answer)."""
        return self._expectation

    def completeness(self, text: str) -> Completeness:
        """Whether ``text`` (the caller's words so far) is a whole answer to the listening
        node, the start of one, or neither (see :mod:`.endpoint`)."""
        return self._expectation.judge(text)

    def may_search(self, text: str) -> bool:
        """Whether the caller's turn ``text`` may run a knowledge search (so the search's
        model inference is worth doing before the turn): not at an ask, unless an intent
        of its carries the words on to a node that is not an ask (an answer node)."""
        node = self._flow.nodes.get(self._state.current)
        if not isinstance(node, AskNode):
            return True
        taken = word_transition(node.transitions, text, self._flow)
        return taken is not None and not isinstance(self._flow.nodes.get(taken.to), AskNode)

    def start(self) -> list[Action]:
        """Enter the start node and run until the first Listen (or Hangup)."""
        if self._state.path:
            raise FlowRuntimeError(f"flow {self._flow.id!r}: start() was already called")
        turn = self._turn()
        turn.update(started_at=turn.now)
        self.enter(turn, self._flow.start)
        return self._commit(turn)

    def resume(
        self, state: FlowState, *, last_record_at: datetime | None = None, line: str = RESUME_LINE
    ) -> list[Action]:
        """Go on with a call another job started (its state rebuilt from the store, see
        :mod:`.resume`): say ``line`` and the current node's question, and listen there."""
        if self._state.path:
            raise FlowRuntimeError(f"flow {self._flow.id!r}: resume() after the call started")
        self._state = state
        turn = self._turn()
        node = self._listening(turn)
        turn.emit(CallResumed(node=turn.node_id, last_record_at=last_record_at, at=turn.now))
        turn.say_text(line)
        turn.say(self._listener(node).prompt(turn, node))
        turn.listen(node)
        return self._commit(turn)

    def on_user_text(self, text: str, *, assist: Assist | None = None) -> list[Action]:
        """Handle what the caller said; ``assist`` answers an earlier Consult. Words said
        while a transfer is under way are not for the flow."""
        if self._state.ended or self._state.transferring:
            return []
        if not text.strip():
            return self.on_no_input()
        turn = self._turn()
        node = self._listening(turn)
        turn.remember("user", text)
        intent = match_global_intent(text, self._flow.globals)
        transition = word_transition(getattr(node, "transitions", ()), text, self._flow)
        if intent is not None:
            self._global_intent(turn, node, intent)
        elif transition is not None:
            self._listener(node).keep(turn, node, text)
            turn.carried = text
            turn.go(transition.to, "intent")
        elif not self.hear(turn, text):
            consult = self._consult(turn, node, text) if assist is None else None
            if consult is not None:
                return [consult]  # nothing committed: call again with the LLM's answer
            if not self._assisted(turn, node, text, assist):
                self.retry(turn, silent=False)
        return self._commit(turn)

    def on_no_input(self) -> list[Action]:
        """Handle the caller's silence after a Listen's timeout."""
        if self._state.ended or self._state.transferring:
            return []
        turn = self._turn()
        self._listening(turn)
        self.retry(turn, silent=True)
        return self._commit(turn)

    # --- a person in the call (a waiting handoff) -------------------------------------

    def human_joined(self, identity: str) -> None:
        """A person joined: reported; the flow stays where it is while they talk."""
        turn = self._turn()
        turn.emit(HumanJoined(node=turn.node_id, identity=identity, at=turn.now))
        self._commit(turn)

    def handed_back(self, identity: str) -> list[Action]:
        """The person left the caller to the agent: resume at the waiting handoff's
        ``next``, else where the flow was (its prompt again)."""
        if self._state.ended:
            return []
        turn = self._turn()
        node = self._flow.nodes[turn.node_id]
        waiting = isinstance(node, HandoffNode) and node.on_timeout is not None
        to = node.next if isinstance(node, HandoffNode) and waiting else turn.node_id
        turn.emit(HandedBack(node=turn.node_id, identity=identity, to_node=to, at=turn.now))
        turn.go(to, "handed_back")
        return self._commit(turn)

    def handoff_timed_out(self, waited_s: float) -> list[Action]:
        """Nobody took the waiting handoff: continue at its ``on_timeout``."""
        turn = self._turn()
        node = self._flow.nodes[turn.node_id]
        if not isinstance(node, HandoffNode) or node.on_timeout is None or self._state.ended:
            return []
        turn.emit(HandoffTimedOut(node=turn.node_id, waited_s=waited_s, at=turn.now))
        turn.go(node.on_timeout, "handoff_timeout")
        return self._commit(turn)

    def on_transfer(self, result: TransferResult) -> list[Action]:
        """Handle the outcome of the :class:`Transfer` the last step asked for."""
        if not self._state.transferring:
            raise FlowRuntimeError(f"flow {self._flow.id!r}: no transfer is under way")
        turn = self._turn()
        node = turn.node()
        assert isinstance(node, HandoffNode)  # only a handoff node transfers
        handler = self._handler(node)
        assert isinstance(handler, HandoffHandler)
        handler.transferred(turn, node, result)
        return self._commit(turn)

    # --- the NodeRunner the handlers reach through a Turn ------------------------------

    def enter(self, turn: Turn, node_id: str) -> None:
        turn.entered(node_id)
        node = turn.node()
        self._handler(node).enter(turn, node)

    def hear(self, turn: Turn, text: str) -> bool:
        node = self._listening(turn)
        return self._listener(node).hear(turn, node, text)

    def retry(self, turn: Turn, *, silent: bool) -> None:
        node = self._listening(turn)
        self._listener(node).retry(turn, node, silent=silent)

    # --- helpers ----------------------------------------------------------------------

    def _consult(self, turn: Turn, node: ListeningAnyNode, text: str) -> Consult | None:
        if not self._services.assisted:
            return None
        handler = self._listener(node)
        tools = handler.tools(turn, node)
        if not tools and not handler.may_reply(node):
            return None
        instructions = node.instructions or ""
        return Consult(
            node=turn.node_id,
            text=text,
            instructions=instructions,
            tools=tools,
            may_reply=handler.may_reply(node),
            history=self._state.history,
        )

    def _assisted(
        self, turn: Turn, node: ListeningAnyNode, text: str, assist: Assist | None
    ) -> bool:
        if isinstance(assist, AssistError):
            turn.emit(AssistFailed(node=turn.node_id, error=assist.error, at=turn.now))
            return False
        if isinstance(assist, ToolCalled | Replied):
            used = self._listener(node).assisted(turn, node, text, assist)
            if not used:
                error = f"the LLM's answer was of no use here: {assist!r}"
                turn.emit(AssistFailed(node=turn.node_id, error=error, at=turn.now))
            return used
        return False

    def _global_intent(self, turn: Turn, node: ListeningAnyNode, intent: GlobalIntentName) -> None:
        turn.emit(GlobalIntent(name=intent, at=turn.now))
        globals_ = self._flow.globals
        if intent is GlobalIntentName.GOODBYE and globals_.goodbye is not None:
            turn.update(clarifying=None)
            turn.go(globals_.goodbye.to, "global_intent")
        elif intent is GlobalIntentName.HUMAN and globals_.human is not None:
            turn.update(clarifying=None, pending_reason=HUMAN_REASON)
            turn.go(globals_.human.to, "global_intent")
        elif intent is GlobalIntentName.REPEAT:
            turn.actions.extend(turn.state.last_turn)
            turn.listen(node)

    def _handler(self, node: Any) -> Handler[Any]:
        return HANDLERS[type(node)]

    def _listener(self, node: ListeningAnyNode) -> ListeningHandler[Any]:
        handler = HANDLERS[type(node)]
        assert isinstance(handler, ListeningHandler)
        return handler

    def _listening(self, turn: Turn) -> ListeningAnyNode:
        node = self._flow.nodes.get(turn.state.current)
        if not turn.state.path or not isinstance(node, LISTENING_KINDS):
            raise turn.error("not waiting for the caller (call start())")
        return node

    def _expect(self, listen: Listen) -> Expectation:
        node = self._flow.nodes.get(listen.node)
        reader = None
        if isinstance(node, AskNode):
            context = self._services.context

            # the intents that take the words elsewhere; not "any question" ones: a
            # question is free speech, and its end is not known from its start
            intents = [
                spec
                for t in node.transitions
                if isinstance(t.when, IntentCondition)
                and not (spec := intent_spec(t.when, self._flow)).questions
            ]

            def reader(text: str, node: AskNode = node) -> bool:
                """Whether the flow takes ``text`` as it is: an answer, an intent."""
                ctx = slot_context(
                    node,
                    self._flow,
                    now=self._clock(),
                    timezone=context.tz,
                    country_code=context.country_code,
                )
                return (
                    read_answer(node, text, ctx) is not None
                    or any(match_intent(spec, text) for spec in intents)
                    or match_global_intent(text, self._flow.globals) is not None
                )

        return Expectation.of(listen.hints, listen.pattern, reader)

    def _turn(self) -> Turn:
        now = self._clock()
        if now.tzinfo is None:
            raise FlowRuntimeError(f"flow {self._flow.id!r}: the clock must be timezone-aware")
        return Turn(self._services, self._state, now, self)

    def _commit(self, turn: Turn) -> list[Action]:
        said = tuple(a for a in turn.actions if isinstance(a, Say))
        if said:
            turn.remember("agent", " ".join(a.text for a in said))
        self._state = replace(turn.state, last_turn=said or turn.state.last_turn)
        listen = next((a for a in turn.actions if isinstance(a, Listen)), None)
        self._expectation = NOTHING if listen is None else self._expect(listen)
        if self._sink is not None:
            for event in turn.events:
                self._sink.emit(event)
        return turn.actions
