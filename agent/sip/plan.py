"""What LiveKit's SIP service should hold for the tenants' numbers: the desired inbound
trunks and dispatch rules, computed from the tenant files and the settings.

- ``deployment`` trunks (the default): one trunk with every tenant's numbers, and one rule
  on it; the worker finds the tenant from the number the caller dialled.
- ``tenant`` trunks: a trunk and a rule per tenant that lists numbers; the rule's
  dispatch names the tenant.

Either way each caller gets a room of their own (an individual rule) and the agent is
dispatched to it. With unknown numbers answered, a catch-all trunk (no numbers) takes
calls to any other number; its calls reach the worker, which tells the caller politely
that the number is not set up and hangs up. LiveKit wants such a trunk authenticated:
it gets the configured addresses or credentials, else only loopback callers.

Everything Frontdesk creates is named ``frontdesk`` or ``frontdesk:<something>`` and
carries :data:`MANAGED` in its metadata: a sync changes only those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from ..config import Settings
from ..errors import TenantError
from ..tenants import Tenant
from ..tenants.load import known_tenants, load_tenant

MANAGED = json.dumps({"managed_by": "frontdesk"})
DEPLOYMENT = "frontdesk"
UNKNOWN_NUMBERS = "frontdesk:unknown-numbers"
OUTBOUND = "frontdesk:outbound"
ROOM_PREFIX = "call"
LOOPBACK = ("127.0.0.0/8",)


@dataclass(frozen=True)
class TrunkSpec:
    name: str
    numbers: tuple[str, ...]  # E.164, sorted; empty: any number (the catch-all)
    allowed_addresses: tuple[str, ...]
    auth_username: str
    auth_password: str


@dataclass(frozen=True)
class RuleSpec:
    name: str
    trunks: tuple[str, ...]  # trunk names
    agent_name: str
    dispatch_metadata: str  # JSON the agent's job gets; names the tenant in tenant mode
    room_prefix: str = ROOM_PREFIX


@dataclass(frozen=True)
class OutboundSpec:
    """The trunk outbound calls leave by: the provider's address, and the numbers calls
    may come from (every tenant's)."""

    address: str
    numbers: tuple[str, ...]
    auth_username: str
    auth_password: str
    name: str = OUTBOUND


@dataclass(frozen=True)
class SipPlan:
    trunks: tuple[TrunkSpec, ...]
    rules: tuple[RuleSpec, ...]
    outbound: OutboundSpec | None = None


def tenant_trunk_name(tenant_id: str) -> str:
    return f"frontdesk:{tenant_id}"


def load_all_tenants(settings: Settings) -> list[Tenant]:
    """Every tenant; a tenant that does not load stops the sync (raises TenantError naming
    its file), as leaving it out would take its numbers away."""
    return [load_tenant(settings.tenants_dir, t) for t in known_tenants(settings.tenants_dir)]


def plan_for(settings: Settings, tenants: list[Tenant]) -> SipPlan:
    """The trunks and rules the tenants' ``routing.phone_numbers`` call for; raises
    TenantError when two tenants list the same number."""
    owners: dict[str, str] = {}
    for tenant in tenants:
        for number in tenant.config.routing.phone_numbers:
            other = owners.setdefault(number, tenant.id)
            if other != tenant.id:
                raise TenantError(
                    f"{tenant.folder / 'tenant.yaml'}: routing.phone_numbers: {number} is "
                    f"listed by tenant {other!r} too; a number routes to one tenant"
                )
    numbered = [t for t in sorted(tenants, key=lambda t: t.id) if t.config.routing.phone_numbers]
    trunks: list[TrunkSpec] = []
    rules: list[RuleSpec] = []
    if settings.sip_trunks == "deployment":
        numbers = sorted({n for t in numbered for n in t.config.routing.phone_numbers})
        if numbers:
            trunks.append(_trunk(settings, DEPLOYMENT, numbers))
    else:
        for tenant in numbered:
            name = tenant_trunk_name(tenant.id)
            trunks.append(_trunk(settings, name, sorted(tenant.config.routing.phone_numbers)))
            metadata = json.dumps({"tenant": tenant.id, "source": "sip"})
            rules.append(RuleSpec(name, (name,), settings.agent_name, metadata))
    if settings.sip_unknown_numbers == "answer":
        catch_all = _trunk(settings, UNKNOWN_NUMBERS, [])
        if not (catch_all.allowed_addresses or catch_all.auth_username):
            # LiveKit takes a trunk for any number only with authentication: with none
            # configured, only this machine's callers reach the catch-all
            catch_all = replace(catch_all, allowed_addresses=LOOPBACK)
        trunks.append(catch_all)
    if settings.sip_trunks == "deployment" and trunks:
        # one rule on the numbers' trunk and the catch-all: the number decides the tenant
        names = tuple(t.name for t in trunks)
        rules.append(RuleSpec(DEPLOYMENT, names, settings.agent_name, ""))
    elif settings.sip_unknown_numbers == "answer":
        rules.append(RuleSpec(UNKNOWN_NUMBERS, (UNKNOWN_NUMBERS,), settings.agent_name, ""))
    return SipPlan(tuple(trunks), tuple(rules), _outbound(settings, numbered))


def _outbound(settings: Settings, tenants: list[Tenant]) -> OutboundSpec | None:
    if settings.sip_outbound_address is None:
        return None
    password = settings.sip_outbound_password
    return OutboundSpec(
        address=settings.sip_outbound_address,
        numbers=tuple(sorted({n for t in tenants for n in t.config.routing.phone_numbers})),
        auth_username=settings.sip_outbound_username or "",
        auth_password=password.get_secret_value() if password else "",
    )


def _trunk(settings: Settings, name: str, numbers: list[str]) -> TrunkSpec:
    password = settings.sip_auth_password
    return TrunkSpec(
        name=name,
        numbers=tuple(numbers),
        allowed_addresses=settings.sip_allowed_addresses,
        auth_username=settings.sip_auth_username or "",
        auth_password=password.get_secret_value() if password else "",
    )
