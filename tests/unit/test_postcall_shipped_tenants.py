"""Every shipped tenant's analyzer, scoring rules and templates work with the pipeline:
its notifications render from a sample call (a typo in a template fails here, not after
a real call)."""

from __future__ import annotations

import pytest

from agent.config import ROOT
from agent.postcall.analyse import analyse_call
from agent.postcall.messages import MESSAGE, EmailMessage
from agent.postcall.notify import Scored, plan_notifications
from agent.postcall.score import contact_for, score_call
from agent.tenants import known_tenants, load_tenant
from tests.postcall_support import facts

pytestmark = pytest.mark.unit

TENANTS = known_tenants(ROOT / "tenants")


def test_there_are_shipped_tenants() -> None:
    assert "crumb-and-co" in TENANTS


@pytest.mark.parametrize("tenant_id", TENANTS)
async def test_notifications_render_for_a_sample_call(tenant_id: str) -> None:
    tenant = load_tenant(ROOT / "tenants", tenant_id)
    call = facts()
    outcome = await analyse_call(call, tenant, model=None)
    scored = Scored(
        score=score_call(call, outcome.analysis, tenant.config.lead_scoring),
        contact=contact_for(call, outcome.analysis),
    )
    notes = plan_notifications(call, tenant, outcome, scored)
    config = tenant.config.notifications
    expected = bool(config.owner_email) + len(config.webhooks)
    expected += bool(config.customer_confirmation and scored.contact and scored.contact.email)
    assert len(notes) == expected
    for note in notes:
        message = MESSAGE.validate_python(note.payload)
        if isinstance(message, EmailMessage):
            assert message.subject.strip() and message.text.strip()
            assert "{{" not in message.text and "{%" not in message.text
