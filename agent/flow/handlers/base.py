"""The handler of a node kind: what entering it does, and how it takes the caller's turn.

The machine (:mod:`..machine`) finds the handler of the current node's kind in
:data:`~.HANDLERS` and calls it with the :class:`~..turn.Turn` under way. Global intents
and intent transitions are matched by the machine before ``hear`` is called.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from ..actions import Replied, ToolCalled, ToolSpec
from ..model import AnyNode, ListeningAnyNode
from ..turn import Turn

N = TypeVar("N", bound=AnyNode)
L = TypeVar("L", bound=ListeningAnyNode)


class Handler(Generic[N]):
    """Runs one node kind. Speaking-only kinds implement ``enter`` alone."""

    def enter(self, turn: Turn, node: N) -> None:
        raise NotImplementedError


class ListeningHandler(Handler[L]):
    """A node that waits for the caller."""

    def prompt(self, turn: Turn, node: L) -> str:
        """The template the node reprompts with by default."""
        raise NotImplementedError

    def hear(self, turn: Turn, node: L, text: str) -> bool:
        """Take the caller's words; False (changing nothing) when they match nothing."""
        raise NotImplementedError

    def keep(self, turn: Turn, node: L, text: str) -> None:
        """Keep what ``text`` says for this node when an intent moves the call on anyway
        (an ask fills its slot if the words hold an answer)."""

    def give_up(self, turn: Turn, node: L, silent: bool) -> None:
        """Leave after too many failed or silent turns."""
        raise NotImplementedError

    def retry(self, turn: Turn, node: L, *, silent: bool) -> None:
        """Reprompt, or give up past the node's limits."""
        turn.retry(
            node,
            self.prompt(turn, node),
            silent=silent,
            give_up=lambda quiet: self.give_up(turn, node, quiet),
        )

    def tools(self, turn: Turn, node: L) -> tuple[ToolSpec, ...]:
        """LLM-assisted mode: what the LLM may do when no matcher understood (() = none)."""
        return ()

    def may_reply(self, node: L) -> bool:
        """LLM-assisted mode: whether the LLM may answer in words instead of a tool."""
        return False

    def assisted(self, turn: Turn, node: L, text: str, assist: ToolCalled | Replied) -> bool:
        """Apply the LLM's result; False when it is of no use (the turn then reprompts)."""
        return False
