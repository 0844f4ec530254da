"""``clarify``: ask a follow-up, then hand the caller's reply back to the node that asked.

The reply goes back (a ``returned`` transition) to the node recorded in
``FlowState.clarifying`` (an ask with an ambiguous choice, or an answer node that could
not answer), which reads it as if it had asked. Entered more than ``max_visits`` times in
a call, or out of retries, it goes to ``otherwise``: no caller goes round in circles.
"""

from __future__ import annotations

from ..model import ClarifyNode
from ..state import Clarifying
from ..turn import Turn
from .base import ListeningHandler


class ClarifyHandler(ListeningHandler[ClarifyNode]):
    def enter(self, turn: Turn, node: ClarifyNode) -> None:
        if turn.state.visits.get(turn.node_id, 0) > node.max_visits:
            turn.update(clarifying=None)
            turn.go(node.otherwise, "retries_exhausted")
            return
        if turn.state.clarifying is None:  # came from an answer node (or any other)
            came_from = turn.state.path[-2] if len(turn.state.path) > 1 else turn.flow.start
            heard = turn.state.heard[-1] if turn.state.heard else ""
            turn.update(clarifying=Clarifying(return_to=came_from, heard=heard))
        turn.say(node.prompt)
        turn.listen(node)

    def prompt(self, turn: Turn, node: ClarifyNode) -> str:
        return node.prompt

    def hear(self, turn: Turn, node: ClarifyNode, text: str) -> bool:
        clarifying = turn.state.clarifying
        if clarifying is None:  # not reachable: enter() always sets it
            raise turn.error("clarify node without a node to return to")
        turn.go_back(clarifying.return_to, text)
        return True

    def give_up(self, turn: Turn, node: ClarifyNode, silent: bool) -> None:
        turn.update(clarifying=None)
        turn.go(node.otherwise, "no_input" if silent else "retries_exhausted")
