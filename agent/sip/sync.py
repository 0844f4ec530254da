"""Make LiveKit's SIP service hold exactly the planned trunks and rules (``frontdesk sip
sync``), through livekit-api.

Only objects Frontdesk manages (named ``frontdesk...`` with :data:`~.plan.MANAGED`
metadata) are touched: one that matches its spec is left alone, one that differs is
replaced, a missing one is created, and one no longer planned is deleted. A second run
therefore changes nothing. Deletions go first, then updates, then creations, so a number
that moves from one tenant's trunk to another's is free before it is claimed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from livekit import api
from livekit.protocol import sip as sip_pb

from ..errors import SipError
from .plan import MANAGED, OUTBOUND, OutboundSpec, RuleSpec, SipPlan, TrunkSpec

Action = Literal["created", "updated", "deleted", "unchanged"]


@dataclass(frozen=True)
class Change:
    kind: Literal["trunk", "rule", "outbound trunk"]
    name: str
    action: Action
    id: str


async def managed_trunks(lkapi: api.LiveKitAPI) -> list[sip_pb.SIPInboundTrunkInfo]:
    found = await lkapi.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())
    return [t for t in found.items if _managed(t.name, t.metadata)]


async def managed_outbound(lkapi: api.LiveKitAPI) -> list[sip_pb.SIPOutboundTrunkInfo]:
    found = await lkapi.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())
    return [t for t in found.items if _managed(t.name, t.metadata)]


async def outbound_trunk_id(lkapi: api.LiveKitAPI) -> str | None:
    """The id of the outbound trunk ``frontdesk sip sync`` made, if any."""
    found = [t for t in await managed_outbound(lkapi) if t.name == OUTBOUND]
    return found[0].sip_trunk_id if found else None


async def managed_rules(lkapi: api.LiveKitAPI) -> list[sip_pb.SIPDispatchRuleInfo]:
    found = await lkapi.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())
    return [r for r in found.items if _managed(r.name, r.metadata)]


def _managed(name: str, metadata: str) -> bool:
    return (name == "frontdesk" or name.startswith("frontdesk:")) and metadata == MANAGED


async def sync(lkapi: api.LiveKitAPI, plan: SipPlan) -> list[Change]:
    """Apply ``plan``; the changes made, in order (``unchanged`` ones too). Raises
    SipError naming what was done before LiveKit refused a change (a second run picks
    up from there)."""
    changes: list[Change] = []
    try:
        await _sync(lkapi, plan, changes)
    except api.TwirpError as e:
        made = [f"{c.action} {c.kind} {c.name}" for c in changes if c.action != "unchanged"]
        before = f" (after: {', '.join(made)})" if made else " (nothing changed)"
        raise SipError(f"LiveKit's SIP service refused a change: {e.message}{before}") from e
    return changes


async def _sync(lkapi: api.LiveKitAPI, plan: SipPlan, changes: list[Change]) -> None:
    trunks = {t.name: t for t in await managed_trunks(lkapi)}
    rules = {r.name: r for r in await managed_rules(lkapi)}
    wanted_trunks = {t.name for t in plan.trunks}
    wanted_rules = {r.name for r in plan.rules}
    # rules first: a trunk a rule still names cannot go
    for name, rule in sorted(rules.items()):
        if name not in wanted_rules:
            await lkapi.sip.delete_dispatch_rule(
                api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rule.sip_dispatch_rule_id)
            )
            changes.append(Change("rule", name, "deleted", rule.sip_dispatch_rule_id))
    for name, trunk in sorted(trunks.items()):
        if name not in wanted_trunks:
            await lkapi.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
            changes.append(Change("trunk", name, "deleted", trunk.sip_trunk_id))
    ids: dict[str, str] = {}
    for spec in sorted(plan.trunks, key=lambda s: s.name not in trunks):  # updates first
        change = await _apply_trunk(lkapi, spec, trunks.get(spec.name))
        ids[spec.name] = change.id
        changes.append(change)
    for rule_spec in plan.rules:
        changes.append(await _apply_rule(lkapi, rule_spec, rules.get(rule_spec.name), ids))
    changes += await _sync_outbound(lkapi, plan.outbound)


async def _sync_outbound(lkapi: api.LiveKitAPI, spec: OutboundSpec | None) -> list[Change]:
    changes = []
    current = None
    for trunk in await managed_outbound(lkapi):
        if spec is not None and trunk.name == spec.name and current is None:
            current = trunk
            continue
        await lkapi.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
        changes.append(Change("outbound trunk", trunk.name, "deleted", trunk.sip_trunk_id))
    if spec is None:
        return changes
    wanted = sip_pb.SIPOutboundTrunkInfo(
        name=spec.name,
        metadata=MANAGED,
        address=spec.address,
        numbers=list(spec.numbers),
        auth_username=spec.auth_username,
        auth_password=spec.auth_password,
    )
    if current is None:
        made = await lkapi.sip.create_outbound_trunk(
            api.CreateSIPOutboundTrunkRequest(trunk=wanted)
        )
        return [*changes, Change("outbound trunk", spec.name, "created", made.sip_trunk_id)]
    trunk_id = current.sip_trunk_id
    if _outbound_fields(current) == _outbound_fields(wanted):
        return [*changes, Change("outbound trunk", spec.name, "unchanged", trunk_id)]
    await lkapi.sip.update_outbound_trunk(trunk_id, wanted)
    return [*changes, Change("outbound trunk", spec.name, "updated", trunk_id)]


async def _apply_trunk(
    lkapi: api.LiveKitAPI, spec: TrunkSpec, current: sip_pb.SIPInboundTrunkInfo | None
) -> Change:
    wanted = sip_pb.SIPInboundTrunkInfo(
        name=spec.name,
        metadata=MANAGED,
        numbers=list(spec.numbers),
        allowed_addresses=list(spec.allowed_addresses),
        auth_username=spec.auth_username,
        auth_password=spec.auth_password,
    )
    if current is None:
        made = await lkapi.sip.create_inbound_trunk(
            sip_pb.CreateSIPInboundTrunkRequest(trunk=wanted)
        )
        return Change("trunk", spec.name, "created", made.sip_trunk_id)
    trunk_id = current.sip_trunk_id
    if _trunk_fields(current) == _trunk_fields(wanted):
        return Change("trunk", spec.name, "unchanged", trunk_id)
    await lkapi.sip.update_inbound_trunk(trunk_id, wanted)
    return Change("trunk", spec.name, "updated", trunk_id)


def _outbound_fields(t: sip_pb.SIPOutboundTrunkInfo) -> tuple[object, ...]:
    return (t.address, sorted(t.numbers), t.auth_username, t.auth_password)


def _trunk_fields(t: sip_pb.SIPInboundTrunkInfo) -> tuple[object, ...]:
    return (
        sorted(t.numbers),
        sorted(t.allowed_addresses),
        t.auth_username,
        t.auth_password,
    )


async def _apply_rule(
    lkapi: api.LiveKitAPI,
    spec: RuleSpec,
    current: sip_pb.SIPDispatchRuleInfo | None,
    trunk_ids: dict[str, str],
) -> Change:
    wanted = sip_pb.SIPDispatchRuleInfo(
        name=spec.name,
        metadata=MANAGED,
        trunk_ids=sorted(trunk_ids[name] for name in spec.trunks),
        rule=sip_pb.SIPDispatchRule(
            dispatch_rule_individual=sip_pb.SIPDispatchRuleIndividual(room_prefix=spec.room_prefix)
        ),
        room_config=api.RoomConfiguration(
            agents=[
                api.RoomAgentDispatch(agent_name=spec.agent_name, metadata=spec.dispatch_metadata)
            ]
        ),
    )
    if current is None:
        made = await lkapi.sip.create_dispatch_rule(
            api.CreateSIPDispatchRuleRequest(dispatch_rule=wanted)
        )
        return Change("rule", spec.name, "created", made.sip_dispatch_rule_id)
    rule_id = current.sip_dispatch_rule_id
    if _rule_fields(current) == _rule_fields(wanted):
        return Change("rule", spec.name, "unchanged", rule_id)
    await lkapi.sip.update_dispatch_rule(rule_id, wanted)
    return Change("rule", spec.name, "updated", rule_id)


def _rule_fields(r: sip_pb.SIPDispatchRuleInfo) -> tuple[object, ...]:
    agents = [(a.agent_name, a.metadata) for a in r.room_config.agents]
    return (sorted(r.trunk_ids), r.rule.SerializeToString(deterministic=True), agents)


def describe(
    trunks: list[sip_pb.SIPInboundTrunkInfo], rules: list[sip_pb.SIPDispatchRuleInfo]
) -> list[str]:
    """``frontdesk sip show``: the managed trunks and rules, one line each (no secrets)."""
    names = {t.sip_trunk_id: t.name for t in trunks}
    lines = []
    for t in sorted(trunks, key=lambda t: t.name):
        auth = []
        if t.allowed_addresses:
            auth.append(f"from {', '.join(t.allowed_addresses)}")
        if t.auth_username:
            auth.append(f"user {t.auth_username} (password set)")
        numbers = ", ".join(t.numbers) or "any other number"
        lines.append(
            f"trunk {t.name} ({t.sip_trunk_id}): {numbers}; {'; '.join(auth) or 'no auth'}"
        )
    for r in sorted(rules, key=lambda r: r.name):
        on = ", ".join(names.get(i, i) for i in r.trunk_ids)
        agents = ", ".join(
            a.agent_name + (f" {json.loads(a.metadata)}" if a.metadata else "")
            for a in r.room_config.agents
        )
        lines.append(f"rule {r.name} ({r.sip_dispatch_rule_id}): on {on}; agent {agents}")
    return lines
