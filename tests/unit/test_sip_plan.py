"""What ``frontdesk sip sync`` asks for, from the shipped tenants and the settings: one
deployment trunk or one per tenant, the catch-all for unknown numbers (authenticated, or
loopback only), and the outbound trunk."""

from __future__ import annotations

import pytest

from agent.config import Settings, load_settings
from agent.sip.plan import (
    DEPLOYMENT,
    LOOPBACK,
    OUTBOUND,
    UNKNOWN_NUMBERS,
    SipPlan,
    load_all_tenants,
    plan_for,
)

pytestmark = pytest.mark.unit

NUMBERS = ("+12125550100", "+441179460000", "+442071234567")  # hudson, lumen, crumb


def _plan(**env: str) -> tuple[Settings, SipPlan]:
    settings = load_settings(check_keys=False, **env)
    return settings, plan_for(settings, load_all_tenants(settings))


def test_one_deployment_trunk_with_every_number_and_a_loopback_catch_all() -> None:
    settings, plan = _plan()
    trunks = {t.name: t for t in plan.trunks}
    assert trunks[DEPLOYMENT].numbers == NUMBERS
    assert trunks[DEPLOYMENT].allowed_addresses == ()  # no auth configured
    assert trunks[UNKNOWN_NUMBERS].numbers == ()
    assert trunks[UNKNOWN_NUMBERS].allowed_addresses == LOOPBACK
    (rule,) = plan.rules
    assert (rule.name, rule.trunks) == (DEPLOYMENT, (DEPLOYMENT, UNKNOWN_NUMBERS))
    assert (rule.agent_name, rule.dispatch_metadata) == (settings.agent_name, "")
    assert plan.outbound is None


def test_tenant_trunks_name_their_tenant_and_unknown_numbers_can_be_rejected() -> None:
    _, plan = _plan(FRONTDESK_SIP_TRUNKS="tenant", FRONTDESK_SIP_UNKNOWN_NUMBERS="reject")
    assert [t.name for t in plan.trunks] == [
        "frontdesk:crumb-and-co",
        "frontdesk:hudson-dental",
        "frontdesk:lumen-salon",
    ]
    rule = next(r for r in plan.rules if r.name == "frontdesk:hudson-dental")
    assert rule.trunks == ("frontdesk:hudson-dental",)
    assert '"tenant": "hudson-dental"' in rule.dispatch_metadata
    assert UNKNOWN_NUMBERS not in {t.name for t in plan.trunks}


def test_the_catch_all_takes_the_configured_authentication() -> None:
    _, plan = _plan(FRONTDESK_SIP_AUTH_USERNAME="provider", FRONTDESK_SIP_AUTH_PASSWORD="pw-one")
    catch_all = next(t for t in plan.trunks if t.name == UNKNOWN_NUMBERS)
    assert (catch_all.auth_username, catch_all.auth_password) == ("provider", "pw-one")
    assert catch_all.allowed_addresses == ()


def test_the_outbound_trunk_calls_from_the_tenants_numbers() -> None:
    _, plan = _plan(FRONTDESK_SIP_OUTBOUND_ADDRESS="198.51.100.7:5060")
    assert plan.outbound is not None
    assert (plan.outbound.name, plan.outbound.address) == (OUTBOUND, "198.51.100.7:5060")
    assert plan.outbound.numbers == NUMBERS
