"""The flow graph executed on a livekit ``AgentSession``.

``FlowAgent`` is a livekit ``Agent`` that drives no LLM: every user turn goes to the pure
:class:`~agent.flow.machine.FlowMachine`, and the actions it returns are carried out on
the session: speak, give the recognizer the next node's phrase hints, wait for an answer
with a no-input timer, or hang up.

Barge-in: the machine moves state in one step when a turn arrives, so interrupting the
agent's speech never leaves a transition half done; the interrupting words are handled
by whichever node is current when they arrive.

LLM-assisted mode (an :class:`~.assist.LlmAssistant` given): a turn no matcher understood
comes back as a :class:`~.actions.Consult`, answered by the assistant and fed back to the
machine; nothing is committed meanwhile, so words the caller adds during a consult are
joined to the words under consideration and the turn is read again, once. Lines of nodes
with ``instructions`` are reworded by the LLM before they are spoken; a reply made stale
by a newer turn is dropped, never spoken late.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from livekit.agents import Agent, StopResponse, llm
from livekit.agents.voice import SpeechHandle
from livekit.agents.voice.events import UserStateChangedEvent

from ..phrases import Pattern
from .actions import AssistError, AwaitHuman, Consult, Transfer, TransferResult
from .assist import LlmAssistant
from .endpoint import NOTHING, Expectation
from .machine import Action, FlowMachine, Hangup, Listen, Say
from .resume import ResumePoint

logger = logging.getLogger("frontdesk.flow")


class HintSetter(Protocol):
    """Gives the recognizer the phrases the flow expects (see ``apply_hints``)."""

    def __call__(
        self, phrases: Sequence[str] | None, *, pattern: Pattern | None = None
    ) -> None: ...


class AnswerListener(Protocol):
    """Told what the listening node expects (expected-answer endpointing: the session's
    turn detector, see :mod:`agent.endpointing`)."""

    def expect(self, expectation: Expectation) -> None: ...


Hangup_ = Callable[[], Awaitable[None]]
TransferCall = Callable[[str], Awaitable[TransferResult]]  # transfer the caller to a number
TurnListener = Callable[[llm.ChatMessage], None]


class FlowAgent(Agent):
    """Runs one flow graph on the session it is started in."""

    def __init__(
        self,
        machine: FlowMachine,
        *,
        set_hints: HintSetter,
        hang_up: Hangup_,
        assistant: LlmAssistant | None = None,
        on_turn: TurnListener | None = None,
        prepare: Callable[[str], None] | None = None,
        handoff_wait_s: float = 60.0,
        on_handoff_timeout: Callable[[], None] | None = None,
        transfer: TransferCall | None = None,
        resume: ResumePoint | None = None,
        endpointing: AnswerListener | None = None,
    ) -> None:
        """``on_turn`` gets each completed caller turn as livekit built it (text, STT
        confidence, timing metrics) before the flow reads it: livekit never commits it to
        the chat context, as the flow answers instead of an LLM. ``prepare`` does the
        blocking work a turn's text needs (a knowledge search's model inference) in a
        thread, before the flow reads it on the event loop. A waiting handoff holds the
        call ``handoff_wait_s`` for a person; nobody in time runs its timeout path and
        calls ``on_handoff_timeout``. ``transfer`` transfers the
        call to a number (a phone call; the machine asks only when it may). ``resume``: go on
        with a call a dead job started, from where it was (see :mod:`.resume`), instead of
        greeting. ``endpointing`` is told what each listening node expects, so the
        caller's turn ends as soon as the answer is whole."""
        super().__init__(instructions="Follow the flow graph.")
        self._endpointing = endpointing
        self._on_turn = on_turn
        self._prepare = prepare
        self._machine = machine
        self._set_hints = set_hints
        self._hang_up = hang_up
        self._transfer = transfer
        self._assistant = assistant
        self._consulting: tuple[str, asyncio.Task[None]] | None = None
        self._generation = 0  # counts caller turns: work for an older one is dropped
        self._speech: SpeechHandle | None = None
        self._timer: asyncio.Task[None] | None = None
        self._listen: Listen | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._wrapping_up = False
        self._handoff_wait_s = handoff_wait_s
        self._on_handoff_timeout = on_handoff_timeout
        self._holding: asyncio.Task[None] | None = None  # waiting for a person
        self._human: str | None = None  # the person in the call; the agent only listens
        self._resume = resume

    @property
    def machine(self) -> FlowMachine:
        return self._machine

    @property
    def waiting(self) -> bool:
        """Whether the agent has said its piece and waits for the caller."""
        speech = self._speech
        busy = self._consulting is not None or (speech is not None and not speech.done())
        return self._listen is not None and not busy

    @property
    def consulting(self) -> bool:
        """Whether an LLM is being consulted about the caller's last turn."""
        return self._consulting is not None

    async def on_enter(self) -> None:
        self.session.on("user_state_changed", self._on_user_state)
        if self._resume is not None:
            point = self._resume
            logger.info("resuming the call", extra={"node": point.state.current})
            actions = self._machine.resume(point.state, last_record_at=point.last_record_at)
            self._perform(actions)
        else:
            self._perform(self._machine.start())

    async def on_exit(self) -> None:
        self._cancel_timer()
        self._stop_holding()
        if self._consulting is not None:
            self._consulting[1].cancel()

    async def on_user_turn_completed(
        self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage
    ) -> None:
        text = (new_message.text_content or "").strip()
        if text:
            if self._on_turn is not None:
                self._on_turn(new_message)
            if self._prepare is not None and self._machine.may_search(text):
                # an answer to an ask searches nothing: no model inference in its turn
                await asyncio.to_thread(self._prepare, text)
            self.user_said(text)
        raise StopResponse()  # the flow already answered; no LLM reply

    def stop_assisting(self) -> None:
        """Run the rest of the call scripted: no more LLM requests (a budget nears its cap)."""
        self._assistant = None

    def wrap_up(self, line: str) -> None:
        """End the call now, politely: stop what is under way, say ``line`` (which the
        caller cannot interrupt), then hang up; later turns are ignored (a budget cap)."""
        if self._wrapping_up:
            return
        self._wrapping_up = True
        self._generation += 1
        self._cancel_timer()
        self._interrupt_pending()
        if self._consulting is not None:
            self._consulting[1].cancel()
            self._consulting = None
        node = self._machine.state.current
        self._carry_out([Say(line, node), Hangup(node)])

    @property
    def human(self) -> str | None:
        """The identity of the person who took the call, while they are in it."""
        return self._human

    def human_joined(self, identity: str, announce: str | None) -> None:
        """A person took the call: stop speaking and answering (the caller's words are
        still recorded), say ``announce`` if given, and stop holding."""
        if self._human is not None or self._wrapping_up:
            return
        self._human = identity
        self._generation += 1
        self._cancel_timer()
        self._interrupt_pending()
        self._stop_holding()
        if self._consulting is not None:
            self._consulting[1].cancel()
            self._consulting = None
        self._listen = None
        self._set_hints(None)  # transcribe whatever is said, not the last question's answers
        if self._endpointing is not None:
            self._endpointing.expect(NOTHING)
        self._machine.human_joined(identity)
        logger.info("person joined; listening only", extra={"node": self._machine.state.current})
        if announce:
            self._speech = self.session.say(announce, allow_interruptions=False)

    def human_left(self, identity: str) -> None:
        """The person handed the caller back: the flow resumes (see ``handed_back``)."""
        if self._human != identity:
            return
        self._human = None
        logger.info("person handed back", extra={"node": self._machine.state.current})
        self._perform(self._machine.handed_back(identity))

    def user_said(self, text: str) -> None:
        """Hand a caller's turn to the flow (interrupting whatever is under way). While
        a person is in the call, or the call is held for one, the flow does not move."""
        if self._wrapping_up or self._human is not None or self._holding is not None:
            return
        self._generation += 1
        self._cancel_timer()
        self._interrupt_pending()
        if self._consulting is not None:  # the caller went on while the LLM thought
            earlier, task = self._consulting
            task.cancel()
            self._consulting = None
            text = f"{earlier} {text}"
        logger.info("user turn", extra={"node": self._machine.state.current, "text": text})
        self._perform(self._machine.on_user_text(text))

    def _perform(self, actions: list[Action], *, phrase: bool = True) -> None:
        consult = next((a for a in actions if isinstance(a, Consult)), None)
        if consult is not None:
            if self._assistant is None:  # not reachable: the machine is not assisted
                error = AssistError("no LLM configured")
                actions = self._machine.on_user_text(consult.text, assist=error)
            else:
                task = asyncio.ensure_future(self._consult(consult, self._assistant))
                self._consulting = (consult.text, task)
                return
        if phrase and self._assistant is not None and self._phrased_nodes(actions):
            self._spawn(self._phrase(actions, self._assistant, self._generation))
            return
        self._carry_out(actions)

    async def _consult(self, consult: Consult, assistant: LlmAssistant) -> None:
        assist = await assistant.consult(consult)
        self._consulting = None
        # the LLM failed: the whole turn runs scripted, its lines as written
        actions = self._machine.on_user_text(consult.text, assist=assist)
        self._perform(actions, phrase=not isinstance(assist, AssistError))

    def _phrased_nodes(self, actions: list[Action]) -> bool:
        nodes = self._machine.flow.nodes
        return any(isinstance(a, Say) and nodes[a.node].instructions for a in actions)

    async def _phrase(
        self, actions: list[Action], assistant: LlmAssistant, generation: int
    ) -> None:
        nodes, history = self._machine.flow.nodes, self._machine.state.history
        phrased: list[Action] = []
        failed = False  # after one failed request the step's other lines are said as written
        for action in actions:
            instructions = nodes[action.node].instructions if isinstance(action, Say) else None
            if isinstance(action, Say) and instructions and not failed:
                text = await assistant.try_phrase(action.text, instructions, history)
                failed = text is None
                phrased.append(Say(text or action.text, action.node))
            else:
                phrased.append(action)
        if generation == self._generation:  # else a newer caller turn made these stale
            self._carry_out(phrased)

    def _carry_out(self, actions: list[Action]) -> None:
        texts = [a.text for a in actions if isinstance(a, Say)]
        listen = next((a for a in actions if isinstance(a, Listen)), None)
        transfer = next((a for a in actions if isinstance(a, Transfer)), None)
        hang_up = any(isinstance(a, Hangup) for a in actions)
        hold = any(isinstance(a, AwaitHuman) for a in actions)
        if listen is not None:
            self._set_hints(listen.hints, pattern=listen.pattern)
        if self._endpointing is not None:
            self._endpointing.expect(self._machine.expectation if listen else NOTHING)
        self._listen = listen
        speech = None
        if texts:
            final = hang_up or transfer is not None  # the caller hears it whole
            speech = self.session.say(" ".join(texts), allow_interruptions=not final)
            self._speech = speech
        if transfer is not None:
            self._spawn(self._transfer_after(speech, transfer))
        elif hang_up:
            self._spawn(self._finish(speech))
        elif listen is not None:
            self._spawn(self._arm_timer_after(speech, listen))
        elif hold and self._human is None:
            self._holding = asyncio.ensure_future(self._hold(speech))

    async def _hold(self, speech: SpeechHandle | None) -> None:
        """Wait the tenant's time for a person after the hold line; then the timeout path."""
        if speech is not None:
            await speech.wait_for_playout()
        await asyncio.sleep(self._handoff_wait_s)
        self._holding = None
        if self._human is not None:
            return
        logger.info("nobody took the call", extra={"waited_s": self._handoff_wait_s})
        self._perform(self._machine.handoff_timed_out(self._handoff_wait_s))
        if self._on_handoff_timeout is not None:
            self._on_handoff_timeout()

    def _stop_holding(self) -> None:
        if self._holding is not None:
            self._holding.cancel()
            self._holding = None

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _arm_timer_after(self, speech: SpeechHandle | None, listen: Listen) -> None:
        if speech is not None:
            await speech.wait_for_playout()
            if speech.interrupted:
                return  # the caller spoke over the prompt: their turn is on its way
        if self._listen is listen:
            self._start_timer(listen)

    def _start_timer(self, listen: Listen) -> None:
        self._cancel_timer()
        self._timer = asyncio.create_task(self._no_input_after(listen))

    async def _no_input_after(self, listen: Listen) -> None:
        await asyncio.sleep(listen.timeout_s)
        if self._listen is listen:
            logger.info("no input", extra={"node": listen.node, "timeout_s": listen.timeout_s})
            self._perform(self._machine.on_no_input())

    def _cancel_timer(self) -> None:
        if self._timer is not None and self._timer is not asyncio.current_task():
            self._timer.cancel()
        self._timer = None

    def _on_user_state(self, event: UserStateChangedEvent) -> None:
        if event.new_state == "speaking":
            self._cancel_timer()
        elif (
            event.new_state == "listening"
            and self._listen is not None
            and self._timer is None
            and self._played_out()
        ):
            # speech that produced no words: give the caller the full timeout again
            self._start_timer(self._listen)

    def _played_out(self) -> bool:
        """Whether the agent's last speech has finished playing (livekit's playout, as
        the caller hears it): the caller's silence counts only from then, never while
        the agent is still talking (``_arm_timer_after`` starts it at the playout's end)."""
        return self._speech is None or self._speech.done()

    def _interrupt_pending(self) -> None:
        if self._speech is not None and not self._speech.done():
            with contextlib.suppress(RuntimeError):
                self._speech.interrupt()

    async def _transfer_after(self, speech: SpeechHandle | None, transfer: Transfer) -> None:
        """Transfer the call once the handoff line has played, then let the flow go on
        with the outcome (the call ends, or the caller is told it failed)."""
        self._cancel_timer()
        if speech is not None:
            await speech.wait_for_playout()
        await asyncio.sleep(0.5)  # let the last audio leave the transport
        if self._transfer is None:  # not reachable: the machine was told it may not
            result = TransferResult(ok=False, reason="this call cannot be transferred")
        else:
            logger.info("transferring the call", extra={"node": transfer.node, "to": transfer.to})
            result = await self._transfer(transfer.to)
        logger.info(
            "transfer ended",
            extra={"node": transfer.node, "ok": result.ok, "sip_status": result.sip_status},
        )
        actions = self._machine.on_transfer(result)  # recorded even while wrapping up
        if not self._wrapping_up:  # else the call is ending already (a budget cap)
            self._perform(actions, phrase=False)

    async def _finish(self, speech: SpeechHandle | None) -> None:
        self._cancel_timer()
        if speech is not None:
            await speech.wait_for_playout()
        await asyncio.sleep(0.5)  # let the last audio leave the transport
        logger.info("flow ended, hanging up", extra={"node": self._machine.state.current})
        await self._hang_up()
