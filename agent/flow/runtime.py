"""The flow graph executed on a livekit ``AgentSession``.

``FlowAgent`` is a livekit ``Agent`` that drives no LLM: every user turn goes to the pure
:class:`~agent.flow.machine.FlowMachine`, and the actions it returns are carried out on
the session: speak, give the recognizer the next node's phrase hints, wait for an answer
with a no-input timer, or hang up.

Barge-in: the machine moves state in one step when a turn arrives, so interrupting the
agent's speech never leaves a transition half done; the interrupting words are handled
by whichever node is current when they arrive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from livekit.agents import Agent, StopResponse, llm
from livekit.agents.voice import SpeechHandle
from livekit.agents.voice.events import UserStateChangedEvent

from .machine import Action, FlowMachine, Hangup, Listen, Say

logger = logging.getLogger("frontdesk.flow")

HintSetter = Callable[[Sequence[str] | None], None]
Hangup_ = Callable[[], Awaitable[None]]


class FlowAgent(Agent):
    """Runs one flow graph on the session it is started in."""

    def __init__(self, machine: FlowMachine, *, set_hints: HintSetter, hang_up: Hangup_) -> None:
        super().__init__(instructions="Follow the flow graph.")
        self._machine = machine
        self._set_hints = set_hints
        self._hang_up = hang_up
        self._speech: SpeechHandle | None = None
        self._timer: asyncio.Task[None] | None = None
        self._listen: Listen | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def machine(self) -> FlowMachine:
        return self._machine

    async def on_enter(self) -> None:
        self.session.on("user_state_changed", self._on_user_state)
        self._perform(self._machine.start())

    async def on_exit(self) -> None:
        self._cancel_timer()

    async def on_user_turn_completed(
        self, turn_ctx: llm.ChatContext, new_message: llm.ChatMessage
    ) -> None:
        text = (new_message.text_content or "").strip()
        if text:
            self._cancel_timer()
            self._interrupt_pending()
            logger.info("user turn", extra={"node": self._machine.state.current, "text": text})
            self._perform(self._machine.on_user_text(text))
        raise StopResponse()  # the flow already answered; no LLM reply

    def _perform(self, actions: list[Action]) -> None:
        texts = [a.text for a in actions if isinstance(a, Say)]
        listen = next((a for a in actions if isinstance(a, Listen)), None)
        hang_up = any(isinstance(a, Hangup) for a in actions)
        if listen is not None:
            self._set_hints(listen.hints)
        self._listen = listen
        speech = None
        if texts:
            speech = self.session.say(" ".join(texts), allow_interruptions=not hang_up)
            self._speech = speech
        if hang_up:
            self._spawn(self._finish(speech))
        elif listen is not None:
            self._spawn(self._arm_timer_after(speech, listen))

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
        elif event.new_state == "listening" and self._listen is not None and self._timer is None:
            # speech that produced no words: give the caller the full timeout again
            self._start_timer(self._listen)

    def _interrupt_pending(self) -> None:
        if self._speech is not None and not self._speech.done():
            with contextlib.suppress(RuntimeError):
                self._speech.interrupt()

    async def _finish(self, speech: SpeechHandle | None) -> None:
        self._cancel_timer()
        if speech is not None:
            await speech.wait_for_playout()
        await asyncio.sleep(0.5)  # let the last audio leave the transport
        logger.info("flow ended, hanging up", extra={"node": self._machine.state.current})
        await self._hang_up()
