"""The kinds that speak and move on without waiting: ``say``, ``handoff`` and ``end``."""

from __future__ import annotations

from ..actions import AwaitHuman, Hangup, Transfer, TransferResult
from ..events import CallTransferred, Ended, HandoffRequested
from ..model import EndNode, HandoffNode, SayNode
from ..turn import Turn
from .base import Handler


class SayHandler(Handler[SayNode]):
    def enter(self, turn: Turn, node: SayNode) -> None:
        turn.say(node.text)
        turn.go(node.next, "next")


class HandoffHandler(Handler[HandoffNode]):
    """Records the request (why, a summary for the person taking over), tells the caller
    what happens next, and continues. A "human" global intent gives the reason.

    With ``transfer_to`` on a call that can be transferred (a phone call), it asks the
    driver to transfer the call instead and waits at the node for the result
    (:meth:`transferred`)."""

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
        if node.transfer_to and turn.services.transfers:
            turn.update(transferring=True)
            turn.actions.append(Transfer(node.transfer_to, node_id))
            return
        if node.on_timeout is not None:  # wait for a person (the driver holds the call)
            turn.actions.append(AwaitHuman(node_id))
        else:
            turn.go(node.next, "next")

    def transferred(self, turn: Turn, node: HandoffNode, result: TransferResult) -> None:
        """The transfer's outcome: the caller left for the other phone (the call ends
        here), or they are told it failed and the flow goes on at ``next``."""
        turn.update(transferring=False)
        turn.emit(
            CallTransferred(
                node=turn.node_id,
                to=node.transfer_to or "",
                outcome="ok" if result.ok else "failed",
                sip_status=result.sip_status,
                reason=result.reason,
                at=turn.now,
            )
        )
        if result.ok:
            turn.update(ended=True)
            turn.emit(Ended(node=turn.node_id, at=turn.now))
            turn.actions.append(Hangup(turn.node_id))
            return
        turn.say(node.transfer_failed)
        turn.go(node.next, "transfer_failed")


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
