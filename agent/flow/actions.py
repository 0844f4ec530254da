"""What the flow machine asks its driver to do, and what LLM assistance answers.

The machine returns :data:`Action` lists: speak (:class:`Say`), wait for the caller
(:class:`Listen`), end the call (:class:`Hangup`), transfer a phone call
(:class:`Transfer`, answered with a :class:`TransferResult`) or, in LLM-assisted mode
only, ask the LLM (:class:`Consult`) and come back with an :data:`Assist`. A ``Consult`` commits
nothing: the driver calls ``on_user_text(text, assist=...)`` again with the LLM's result
(or :class:`AssistError`), and that turn commits as any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ..phrases import Pattern

ParameterType = Literal["string", "number", "boolean"]


@dataclass(frozen=True)
class Say:
    """Speak ``text`` (rendered) on behalf of ``node``."""

    text: str
    node: str


@dataclass(frozen=True)
class Listen:
    """Wait for the caller; bias the recognizer with ``hints`` (phrases), and for a typed
    answer with its ``pattern`` (how such answers are worded); no input after
    ``timeout_s``."""

    node: str
    hints: tuple[str, ...]
    timeout_s: float
    pattern: Pattern | None = None


@dataclass(frozen=True)
class Hangup:
    """End the call (after the preceding speech has played)."""

    node: str


@dataclass(frozen=True)
class Transfer:
    """Transfer the phone call to ``to`` (E.164) once the preceding speech has played,
    then report how it went (``FlowMachine.on_transfer``)."""

    to: str
    node: str


@dataclass(frozen=True)
class TransferResult:
    """How a :class:`Transfer` went: ``ok``, or failed with the SIP status (if any)."""

    ok: bool
    sip_status: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class ToolSpec:
    """A function the LLM may call: ``parameters`` maps names to (type, description)."""

    name: str
    description: str
    parameters: Mapping[str, tuple[ParameterType, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Consult:
    """Ask the LLM what ``text`` means at ``node``: call one of ``tools`` or, when
    ``may_reply``, answer in words. ``instructions`` and ``history`` (recent turns as
    (role, text)) give it the context."""

    node: str
    text: str
    instructions: str
    tools: tuple[ToolSpec, ...]
    may_reply: bool
    history: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ToolCalled:
    """The LLM called ``name`` with ``arguments`` (as strings)."""

    name: str
    arguments: Mapping[str, str]


@dataclass(frozen=True)
class Replied:
    """The LLM answered in words (an ``llm`` node's conversation)."""

    text: str


@dataclass(frozen=True)
class AssistError:
    """The LLM failed, timed out or answered nonsense: run the turn scripted."""

    error: str


@dataclass(frozen=True)
class AwaitHuman:
    """Hold the call for a person (a waiting handoff node): the driver waits the tenant's
    wait time, then tells the machine who came (``handed_back``) or that nobody did
    (``handoff_timed_out``). The caller's words meanwhile do not move the flow."""

    node: str


Action = Say | Listen | Hangup | Consult | AwaitHuman | Transfer
Assist = ToolCalled | Replied | AssistError
