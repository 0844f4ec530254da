"""Resolving a room to its tenant, and reloading tenant files without a restart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agent.config import load_settings
from agent.errors import TenantError, UnknownTenantError
from agent.session import prepare_call
from agent.tenants import RoomKeys, TenantRegistry, normalize_number

pytestmark = pytest.mark.unit

BAKERY = """name: Bakery
flow: demo_bakery
routing:
  phone_numbers: ["+442071234567"]
  campaigns: [spring-cakes]
  meeting_owners: [Owner@Bakery.example]
"""
SALON = """name: Salon
flow: demo_bakery
routing:
  phone_numbers: ["+442079990000"]
  campaigns: [summer-cuts]
"""


@pytest.fixture
def registry(tmp_path: Path) -> TenantRegistry:
    for tenant_id, body in (("bakery", BAKERY), ("salon", SALON)):
        (tmp_path / tenant_id).mkdir()
        (tmp_path / tenant_id / "tenant.yaml").write_text(body)
    return TenantRegistry(tmp_path, default="bakery")


@pytest.mark.parametrize(
    ("metadata", "attributes", "expected"),
    [
        ('{"tenant": "salon"}', {}, "salon"),
        (None, {"sip.trunkPhoneNumber": "+44 20 7999 0000"}, "salon"),
        (None, {"sip.trunkPhoneNumber": "00442071234567"}, "bakery"),
        ('{"campaign": "summer-cuts"}', {}, "salon"),
        ('{"phone_number": "+442079990000"}', {}, "salon"),
        (None, {}, "bakery"),  # no key at all: the default
        ('{"tenant": "salon", "campaign": "spring-cakes"}', {}, "salon"),  # id decides
        ('{"meeting_owner": "owner@bakery.example"}', {}, "bakery"),  # any case
    ],
)
def test_room_keys_find_the_tenant(
    registry: TenantRegistry, metadata: str | None, attributes: dict[str, str], expected: str
) -> None:
    assert registry.resolve(RoomKeys.from_room(metadata, attributes)).id == expected


@pytest.mark.parametrize(
    ("metadata", "attributes", "kind"),
    [
        ('{"tenant": "dentist"}', {}, "tenant"),
        ('{"tenant": "../etc"}', {}, "tenant"),
        (None, {"sip.trunkPhoneNumber": "+15550001111"}, "phone_number"),
        ('{"campaign": "black-friday"}', {}, "campaign"),
    ],
)
def test_unknown_key_is_refused_not_defaulted(
    registry: TenantRegistry,
    metadata: str | None,
    attributes: dict[str, str],
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(UnknownTenantError) as caught:
        registry.resolve(RoomKeys.from_room(metadata, attributes))
    assert caught.value.kind == kind
    assert any(r.getMessage() == "call refused: unknown tenant key" for r in caplog.records)


def test_no_key_and_no_default_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnknownTenantError):
        TenantRegistry(tmp_path).resolve(RoomKeys())


def test_a_number_claimed_twice_is_an_error_not_a_guess(registry: TenantRegistry) -> None:
    salon = registry.tenants_dir / "salon" / "tenant.yaml"
    salon.write_text(SALON.replace("+442079990000", "+442071234567"))
    with pytest.raises(TenantError, match="claimed by several tenants"):
        registry.resolve(RoomKeys(called_number="+442071234567"))


def _bump(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_changed_file_reloads_and_held_tenant_keeps_its_config(registry: TenantRegistry) -> None:
    running = registry.get("bakery")
    assert registry.get("bakery") is running  # cached
    path = registry.tenants_dir / "bakery" / "tenant.yaml"
    path.write_text(BAKERY.replace("name: Bakery", "name: Bakery Two"))
    _bump(path)
    fresh = registry.get("bakery")
    assert fresh.name == "Bakery Two"
    assert running.name == "Bakery"  # the running call's object is unchanged


def test_touched_but_unchanged_file_keeps_the_same_object(registry: TenantRegistry) -> None:
    first = registry.get("salon")
    _bump(registry.tenants_dir / "salon" / "tenant.yaml")
    assert registry.get("salon") is first


def test_prompt_change_reloads_too(registry: TenantRegistry) -> None:
    first = registry.get("salon")
    prompts = registry.tenants_dir / "salon" / "prompts"
    prompts.mkdir()
    (prompts / "assistant.txt").write_text("Be brief.")
    second = registry.get("salon")
    assert second is not first
    assert second.prompt("assistant") == "Be brief."


def test_broken_edit_raises_and_others_still_route(registry: TenantRegistry) -> None:
    path = registry.tenants_dir / "bakery" / "tenant.yaml"
    path.write_text(BAKERY + "colour: red\n")
    _bump(path)
    with pytest.raises(TenantError, match="colour: unknown field"):
        registry.get("bakery")
    assert registry.resolve(RoomKeys(campaign="summer-cuts")).id == "salon"


async def test_async_resolve_runs_off_the_loop(registry: TenantRegistry) -> None:
    tenant = await registry.aresolve(RoomKeys(campaign="spring-cakes"))
    assert tenant.id == "bakery"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+44 20 7123 4567", "+442071234567"),
        ("0044-20-7123-4567", "+442071234567"),
        ("442071234567", "+442071234567"),
        ("", ""),
    ],
)
def test_numbers_are_normalized(raw: str, e164: str) -> None:
    assert normalize_number(raw) == e164


@pytest.mark.parametrize(
    ("metadata", "attributes", "source"),
    [
        ('{"tenant": "salon"}', {}, "web"),  # not said: the web widget
        ('{"tenant": "salon", "source": "meeting"}', {}, "meeting"),
        ('{"meeting_owner": "owner@bakery.example"}', {}, "meeting"),
        (None, {"sip.trunkPhoneNumber": "+442079990000"}, "sip"),
        ('{"tenant": "salon", "source": "web"}', {"sip.trunkPhoneNumber": "+4420"}, "sip"),
        ('{"phone_number": "+442079990000"}', {}, "sip"),
    ],
)
def test_room_keys_say_how_the_room_came_in(
    metadata: str | None, attributes: dict[str, str], source: str
) -> None:
    assert RoomKeys.from_room(metadata, attributes).call_source == source


def test_an_unknown_source_is_an_error_naming_the_field() -> None:
    with pytest.raises(TenantError, match="'source' must be one of sip, web, meeting, not 'fax'"):
        RoomKeys.from_room('{"tenant": "salon", "source": "fax"}')


def test_an_unknown_meeting_owner_is_refused(registry: TenantRegistry) -> None:
    with pytest.raises(UnknownTenantError) as e:
        registry.resolve(RoomKeys.from_room('{"meeting_owner": "nobody@else.example"}'))
    assert e.value.kind == "meeting_owner"


@pytest.mark.parametrize(
    ("metadata", "attributes", "flow", "source"),
    [
        ('{"tenant": "crumb-and-co"}', {}, "receptionist", "web"),
        (None, {"sip.trunkPhoneNumber": "+442071234567"}, "receptionist", "sip"),
        ('{"meeting_owner": "owner@crumbandco.example"}', {}, "discovery_meeting", "meeting"),
        ('{"tenant": "crumb-and-co", "source": "meeting"}', {}, "discovery_meeting", "meeting"),
    ],
)
def test_a_call_runs_the_flow_its_room_routes_to(
    metadata: str | None, attributes: dict[str, str], flow: str, source: str
) -> None:
    """The shipped bakery: the receptionist answers the phone and the web, its wholesale
    discovery flow runs in the owner's meetings; the call records how it came in."""
    settings = load_settings(check_keys=False)
    plan = prepare_call(settings, RoomKeys.from_room(metadata, attributes))
    assert (plan.tenant.id, plan.flow.id, plan.source) == ("crumb-and-co", flow, source)


def test_a_campaign_room_carries_its_campaign_into_the_call() -> None:
    settings = load_settings(check_keys=False)
    plan = prepare_call(settings, RoomKeys.from_room('{"campaign": "spring-cakes"}'))
    assert (plan.tenant.id, plan.source, plan.campaign) == ("crumb-and-co", "web", "spring-cakes")
