"""``lead_gate``: an email (unless already known), then consent in the configured words.

The consent is recorded (:class:`~..events.ConsentRecorded`: who, the exact wording
spoken, granted or not, when) and kept in the consent slot as yes/no. Refusing the email
or the consent takes ``on_refusal``, and so does running out of retries (no consent);
without consent the email is not kept (:class:`~..events.SlotCleared`), and the post-call
pipeline keeps no email of that call either.
"""

from __future__ import annotations

from ..answers import Answer
from ..events import ConsentRecorded
from ..match import match_yes_no
from ..model import LeadGateNode, YesNo
from ..slots import SlotContext, extract_email
from ..turn import Turn
from .base import ListeningHandler

EMAIL, CONSENT = 0, 1


class LeadGateHandler(ListeningHandler[LeadGateNode]):
    def enter(self, turn: Turn, node: LeadGateNode) -> None:
        known = node.skip_known_email and node.email_slot in turn.state.slots
        self._ask(turn, node, CONSENT if known else EMAIL)

    def _ask(self, turn: Turn, node: LeadGateNode, step: int) -> None:
        turn.update(step=step, retries=0, no_inputs=0)
        turn.say(self.prompt(turn, node))
        turn.listen(node)

    def prompt(self, turn: Turn, node: LeadGateNode) -> str:
        return node.email_prompt if turn.state.step == EMAIL else node.consent

    def hear(self, turn: Turn, node: LeadGateNode, text: str) -> bool:
        answer = match_yes_no(text)
        if turn.state.step == EMAIL:
            ctx = SlotContext(now=turn.now, timezone=turn.services.context.tz)
            email = extract_email(text, ctx)
            if email is not None:
                turn.fill(node.email_slot, Answer(str(email.value), email.display), text)
                self._ask(turn, node, CONSENT)
                return True
            if answer is YesNo.NO:
                self._decided(turn, node, text, granted=False, wording=node.email_prompt)
                return True
            return False
        if answer is None:
            return False
        self._decided(turn, node, text, granted=answer is YesNo.YES, wording=node.consent)
        return True

    def _decided(
        self, turn: Turn, node: LeadGateNode, text: str, *, granted: bool, wording: str
    ) -> None:
        slots = turn.state.slots
        who = slots.get(node.email_slot, "")
        name = slots.get("name")
        who = f"{name} <{who}>" if name and who else (who or name or "unknown caller")
        value = YesNo.YES if granted else YesNo.NO
        turn.emit(
            ConsentRecorded(
                node=turn.node_id,
                who=who,
                wording=turn.render(wording),
                granted=granted,
                at=turn.now,
            )
        )
        turn.fill(node.consent_slot, Answer(value, value), text)
        if not granted:  # the consent asks to keep the email: declined, it is not kept
            turn.clear(node.email_slot, "consent declined")
        if granted:
            turn.go(node.on_consent, "consented")
        else:
            turn.go(node.on_refusal, "refused")

    def give_up(self, turn: Turn, node: LeadGateNode, silent: bool) -> None:
        turn.fill(node.consent_slot, Answer(YesNo.NO, YesNo.NO), "")
        turn.clear(node.email_slot, "no consent")
        turn.go(node.on_refusal, "no_input" if silent else "retries_exhausted")
