"""The kinds that speak and move on without waiting: ``say``, ``handoff`` and ``end``."""

from __future__ import annotations

from ..actions import AwaitHuman, Hangup
from ..events import Ended, HandoffRequested
from ..model import EndNode, HandoffNode, SayNode
from ..turn import Turn
from .base import Handler


class SayHandler(Handler[SayNode]):
    def enter(self, turn: Turn, node: SayNode) -> None:
        turn.say(node.text)
        turn.go(node.next, "next")


class HandoffHandler(Handler[HandoffNode]):
    """Records the request (why, a summary for the person taking over), tells the caller
    what happens next, and continues. A "human" global intent gives the reason."""

    def enter(self, turn: Turn, node: HandoffNode) -> None:
        reason = turn.state.pending_reason or turn.render(node.reason)
        summary = turn.render(node.summary) if node.summary else _summary(turn)
        slots = dict(turn.state.slots)
        node_id = turn.node_id
        turn.emit(
            HandoffRequested(node=node_id, reason=reason, summary=summary, slots=slots, at=turn.now)
        )
        turn.update(pending_reason="")
        turn.say(node.text)
        if node.on_timeout is not None:  # wait for a person (the driver holds the call)
            turn.actions.append(AwaitHuman(node_id))
        else:
            turn.go(node.next, "next")


def _summary(turn: Turn) -> str:
    """What the caller gave so far, and the last thing they said."""
    slots = ", ".join(f"{name}: {value}" for name, value in turn.state.slots.items())
    said = turn.state.heard[-1] if turn.state.heard else ""
    parts = [f"collected {slots}" if slots else "nothing collected yet"]
    if said:
        parts.append(f"last said: {said!r}")
    return "; ".join(parts)


class EndHandler(Handler[EndNode]):
    def enter(self, turn: Turn, node: EndNode) -> None:
        turn.say(node.text)
        turn.update(ended=True)
        turn.emit(Ended(node=turn.node_id, at=turn.now))
        turn.actions.append(Hangup(turn.node_id))
