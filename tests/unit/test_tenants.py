"""Tenant files: loading, file:line errors, and resolving a room to its tenant."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ROOT
from agent.errors import TenantError
from agent.tenants import load_tenant, tenant_id_for_room

pytestmark = pytest.mark.unit


def write(tmp_path: Path, body: str, tenant: str = "bakery") -> Path:
    folder = tmp_path / tenant
    folder.mkdir()
    (folder / "tenant.yaml").write_text(body)
    return tmp_path


def test_shipped_tenant_loads() -> None:
    tenant = load_tenant(ROOT / "tenants", "crumb-and-co")
    assert tenant.name == "Crumb & Co"
    assert tenant.config.flow == "demo_bakery"
    assert str(tenant.tz) == "Europe/London"


def test_typo_in_a_field_is_an_error_with_its_line(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\ntimezon: UTC\n")
    with pytest.raises(TenantError, match=r"tenant\.yaml:3: timezon: unknown field"):
        load_tenant(root, "bakery")


def test_bad_timezone_names_the_line(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\ntimezone: Mars/Olympus\n")
    with pytest.raises(TenantError, match=r"tenant\.yaml:3: timezone: unknown timezone"):
        load_tenant(root, "bakery")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: [demo_bakery\n")
    with pytest.raises(TenantError, match=r"tenant\.yaml:\d+: invalid YAML"):
        load_tenant(root, "bakery")


def test_unknown_tenant_lists_the_known_ones(tmp_path: Path) -> None:
    root = write(tmp_path, "name: Bakery\nflow: demo_bakery\n")
    with pytest.raises(TenantError, match=r"unknown tenant 'salon'.*known tenants: bakery"):
        load_tenant(root, "salon")
    with pytest.raises(TenantError, match="invalid tenant id"):
        load_tenant(root, "../etc")


@pytest.mark.parametrize(
    ("metadata", "expected"),
    [(None, "default"), ("", "default"), ('{"tenant": "salon"}', "salon"), ("{}", "default")],
)
def test_room_metadata_resolves_the_tenant(metadata: str | None, expected: str) -> None:
    assert tenant_id_for_room(metadata, "default") == expected


@pytest.mark.parametrize("metadata", ["not json", "[1, 2]", '{"tenant": 7}'])
def test_bad_room_metadata_is_refused(metadata: str) -> None:
    with pytest.raises(TenantError):
        tenant_id_for_room(metadata, "default")
