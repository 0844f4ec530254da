"""``frontdesk sip sync`` against a real livekit-server, livekit-sip and Redis: it creates
the trunks and dispatch rules the tenants' numbers call for, changes nothing when run
again, follows the tenant files when numbers or tenants go, sets the trunk
authentication, and leaves alone what it does not manage."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from livekit import api
from typer.testing import CliRunner

from agent.cli import app
from agent.config import ROOT, Settings, load_settings
from agent.control.dispatch import livekit_api
from agent.errors import TenantError
from agent.sip.plan import DEPLOYMENT, OUTBOUND, UNKNOWN_NUMBERS, load_all_tenants, plan_for
from agent.sip.sync import Change, managed_outbound, managed_rules, managed_trunks, sync
from agent.stack import LocalStack, StackPorts

pytestmark = [pytest.mark.integration, pytest.mark.realtime, pytest.mark.timeout(180)]

CRUMB, HUDSON = "+442071234567", "+12125550100"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def sip_stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalStack]:
    """livekit-server with Redis and livekit-sip; no worker (nothing is called here)."""
    settings = load_settings(check_keys=False)
    stack = LocalStack(
        settings,
        ports=StackPorts.ephemeral(),
        log_dir=tmp_path_factory.mktemp("sip-sync-logs"),
        with_worker=False,
        with_dispatcher=False,
        sip=True,
    )
    async with stack:
        yield stack


@pytest_asyncio.fixture(loop_scope="session")
async def lkapi(sip_stack: LocalStack) -> AsyncIterator[api.LiveKitAPI]:
    client = livekit_api(load_settings(check_keys=False, LIVEKIT_URL=sip_stack.url))
    yield client
    # each test starts from an empty SIP service
    for rule in (await client.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())).items:
        await client.sip.delete_dispatch_rule(
            api.DeleteSIPDispatchRuleRequest(sip_dispatch_rule_id=rule.sip_dispatch_rule_id)
        )
    inbound = await client.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())
    outbound = await client.sip.list_outbound_trunk(api.ListSIPOutboundTrunkRequest())
    for trunk in [*inbound.items, *outbound.items]:
        await client.sip.delete_trunk(api.DeleteSIPTrunkRequest(sip_trunk_id=trunk.sip_trunk_id))
    await client.aclose()


@pytest.fixture
def tenants(tmp_path: Path) -> Path:
    folder = tmp_path / "tenants"
    for tenant in ("crumb-and-co", "hudson-dental"):
        shutil.copytree(ROOT / "tenants" / tenant, folder / tenant)
    return folder


def _settings(sip_stack: LocalStack, tenants: Path, **env: str) -> Settings:
    return load_settings(
        check_keys=False, LIVEKIT_URL=sip_stack.url, FRONTDESK_TENANTS_DIR=str(tenants), **env
    )


async def _sync(settings: Settings, lkapi: api.LiveKitAPI) -> list[Change]:
    return await sync(lkapi, plan_for(settings, load_all_tenants(settings)))


def _actions(changes: list[Change]) -> dict[str, str]:
    return {f"{c.kind} {c.name}": c.action for c in changes}


def _drop_number(tenants: Path, tenant: str, number: str) -> None:
    path = tenants / tenant / "tenant.yaml"
    text = path.read_text()
    assert f'"{number}"' in text
    path.write_text(text.replace(f'"{number}"', ""))


async def test_deployment_trunk_is_created_once_and_follows_the_tenants(
    sip_stack: LocalStack, lkapi: api.LiveKitAPI, tenants: Path
) -> None:
    settings = _settings(sip_stack, tenants)
    first = await _sync(settings, lkapi)
    assert set(_actions(first).values()) == {"created"}
    trunks = {t.name: t for t in await managed_trunks(lkapi)}
    assert sorted(trunks[DEPLOYMENT].numbers) == sorted([CRUMB, HUDSON])
    assert list(trunks[UNKNOWN_NUMBERS].numbers) == []  # the polite catch-all
    (rule,) = await managed_rules(lkapi)
    assert sorted(rule.trunk_ids) == sorted(t.sip_trunk_id for t in trunks.values())
    assert rule.rule.dispatch_rule_individual.room_prefix == "call"
    assert [a.agent_name for a in rule.room_config.agents] == [settings.agent_name]

    again = await _sync(settings, lkapi)
    assert set(_actions(again).values()) == {"unchanged"}
    assert [c.id for c in again] == [c.id for c in first]

    _drop_number(tenants, "hudson-dental", HUDSON)
    after = _actions(await _sync(settings, lkapi))
    assert after == {
        f"trunk {DEPLOYMENT}": "updated",
        f"trunk {UNKNOWN_NUMBERS}": "unchanged",
        f"rule {DEPLOYMENT}": "unchanged",
    }
    (trunk,) = [t for t in await managed_trunks(lkapi) if t.name == DEPLOYMENT]
    assert list(trunk.numbers) == [CRUMB]


async def test_tenant_trunks_go_with_their_tenant(
    sip_stack: LocalStack, lkapi: api.LiveKitAPI, tenants: Path
) -> None:
    settings = _settings(
        sip_stack, tenants, FRONTDESK_SIP_TRUNKS="tenant", FRONTDESK_SIP_UNKNOWN_NUMBERS="reject"
    )
    created = _actions(await _sync(settings, lkapi))
    assert created == {
        "trunk frontdesk:crumb-and-co": "created",
        "trunk frontdesk:hudson-dental": "created",
        "rule frontdesk:crumb-and-co": "created",
        "rule frontdesk:hudson-dental": "created",
    }
    rules = {r.name: r for r in await managed_rules(lkapi)}
    metadata = rules["frontdesk:hudson-dental"].room_config.agents[0].metadata
    assert '"tenant": "hudson-dental"' in metadata

    shutil.rmtree(tenants / "hudson-dental")
    removed = _actions(await _sync(settings, lkapi))
    assert removed["trunk frontdesk:hudson-dental"] == "deleted"
    assert removed["rule frontdesk:hudson-dental"] == "deleted"
    assert removed["trunk frontdesk:crumb-and-co"] == "unchanged"
    assert {t.name for t in await managed_trunks(lkapi)} == {"frontdesk:crumb-and-co"}
    assert {r.name for r in await managed_rules(lkapi)} == {"frontdesk:crumb-and-co"}


async def test_trunk_authentication_is_set_and_updated(
    sip_stack: LocalStack, lkapi: api.LiveKitAPI, tenants: Path
) -> None:
    auth = {
        "FRONTDESK_SIP_ALLOWED_ADDRESSES": "203.0.113.0/24",
        "FRONTDESK_SIP_AUTH_USERNAME": "provider",
        "FRONTDESK_SIP_AUTH_PASSWORD": "pw-one",
    }
    await _sync(_settings(sip_stack, tenants, **auth), lkapi)
    trunk = next(t for t in await managed_trunks(lkapi) if t.name == DEPLOYMENT)
    assert list(trunk.allowed_addresses) == ["203.0.113.0/24"]
    assert (trunk.auth_username, trunk.auth_password) == ("provider", "pw-one")
    assert set(_actions(await _sync(_settings(sip_stack, tenants, **auth), lkapi)).values()) == {
        "unchanged"
    }

    changed = _settings(sip_stack, tenants, **{**auth, "FRONTDESK_SIP_AUTH_PASSWORD": "pw-two"})
    assert _actions(await _sync(changed, lkapi))[f"trunk {DEPLOYMENT}"] == "updated"
    trunk = next(t for t in await managed_trunks(lkapi) if t.name == DEPLOYMENT)
    assert trunk.auth_password == "pw-two"


async def test_the_outbound_trunk_follows_the_setting(
    sip_stack: LocalStack, lkapi: api.LiveKitAPI, tenants: Path
) -> None:
    out = {"FRONTDESK_SIP_OUTBOUND_ADDRESS": "198.51.100.7:5060"}
    made = _actions(await _sync(_settings(sip_stack, tenants, **out), lkapi))
    assert made[f"outbound trunk {OUTBOUND}"] == "created"
    (trunk,) = await managed_outbound(lkapi)
    assert trunk.address == "198.51.100.7:5060"
    assert sorted(trunk.numbers) == sorted([CRUMB, HUDSON])  # the numbers calls come from
    again = _actions(await _sync(_settings(sip_stack, tenants, **out), lkapi))
    assert again[f"outbound trunk {OUTBOUND}"] == "unchanged"
    gone = _actions(await _sync(_settings(sip_stack, tenants), lkapi))
    assert gone[f"outbound trunk {OUTBOUND}"] == "deleted"
    assert await managed_outbound(lkapi) == []


async def test_what_frontdesk_does_not_manage_is_left_alone(
    sip_stack: LocalStack, lkapi: api.LiveKitAPI, tenants: Path
) -> None:
    theirs = await lkapi.sip.create_inbound_trunk(
        api.CreateSIPInboundTrunkRequest(
            trunk=api.SIPInboundTrunkInfo(name="someone-else", numbers=["+15550001111"])
        )
    )
    shutil.rmtree(tenants / "hudson-dental")
    shutil.rmtree(tenants / "crumb-and-co")
    settings = _settings(sip_stack, tenants, FRONTDESK_SIP_UNKNOWN_NUMBERS="reject")
    assert await _sync(settings, lkapi) == []
    listed = await lkapi.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())
    assert [t.sip_trunk_id for t in listed.items] == [theirs.sip_trunk_id]


def test_a_number_two_tenants_list_is_refused_naming_the_file(tenants: Path) -> None:
    path = tenants / "hudson-dental" / "tenant.yaml"
    path.write_text(path.read_text().replace(HUDSON, CRUMB))
    settings = load_settings(check_keys=False, FRONTDESK_TENANTS_DIR=str(tenants))
    with pytest.raises(TenantError, match=r"hudson-dental/tenant\.yaml: routing\.phone_numbers"):
        plan_for(settings, load_all_tenants(settings))


def test_the_cli_syncs_then_reports_nothing_to_do(
    sip_stack: LocalStack, lkapi: api.LiveKitAPI, tenants: Path
) -> None:
    env = {"LIVEKIT_URL": sip_stack.url, "FRONTDESK_TENANTS_DIR": str(tenants)}
    runner = CliRunner()
    first = runner.invoke(app, ["sip", "sync"], env=env)
    assert first.exit_code == 0, first.output
    assert f"created trunk {DEPLOYMENT}" in first.output and "3 change(s)" in first.output
    second = runner.invoke(app, ["sip", "sync", "--quiet"], env=env)
    assert second.exit_code == 0, second.output
    assert second.output.strip() == "already in sync"
    shown = runner.invoke(app, ["sip", "show"], env=env)
    assert shown.exit_code == 0, shown.output
    assert CRUMB in shown.output and "any other number" in shown.output
