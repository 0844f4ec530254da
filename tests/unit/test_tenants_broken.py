"""One bad tenant breaks nothing else: an unknown timezone (``Europe`` is a folder of
the tz database, and ``ZoneInfo`` raised ``IsADirectoryError`` for it) is an error
naming its line; a tenant that fails to load is skipped and reported while the others
keep their routing (phone numbers, campaigns), their calls and ``tenant check``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import ROOT, load_settings
from agent.errors import TenantError
from agent.session import prepare_call
from agent.tenants import RoomKeys, TenantRegistry, load_tenant, parse_tenant

pytestmark = pytest.mark.unit

GOOD = "name: Good\nflow: demo_bakery\nrouting:\n  phone_numbers: ['+442071234567']\n"
BAD = "name: Bad\nflow: demo_bakery\ntimezone: {tz}\nrouting:\n  campaigns: [spring]\n"


@pytest.mark.parametrize(
    "tz",
    ["Europe", "America", "Mars/Olympus", "'../../etc/passwd'", "'Europe/'", "''", "right"],
)
def test_an_unknown_timezone_names_its_line(tz: str) -> None:
    with pytest.raises(TenantError, match=r"^t\.yaml:3: timezone: unknown timezone"):
        parse_tenant(BAD.format(tz=tz), "t.yaml")


@pytest.mark.parametrize("tz", ["UTC", "Europe/London", "America/Argentina/Buenos_Aires"])
def test_known_timezones_load(tz: str) -> None:
    assert parse_tenant(BAD.format(tz=tz), "t.yaml").timezone == tz


def _tenants(tmp_path: Path) -> Path:
    for name, text in (("good", GOOD), ("bad", BAD.format(tz="Europe"))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "tenant.yaml").write_text(text)
    (tmp_path / "Not_An_Id").mkdir()  # a folder whose name is no tenant id
    (tmp_path / "Not_An_Id" / "tenant.yaml").write_text(GOOD)
    return tmp_path


def test_a_broken_tenant_is_skipped_and_reported_and_routing_goes_on(tmp_path: Path) -> None:
    registry = TenantRegistry(_tenants(tmp_path))
    assert [t.id for t in registry.all()] == ["good"]
    assert registry.resolve(RoomKeys(called_number="+44 20 7123 4567")).id == "good"
    skipped = registry.skipped()
    assert sorted(skipped) == ["Not_An_Id", "bad"]
    assert re.search(r"bad/tenant\.yaml:3: timezone: unknown timezone 'Europe'", skipped["bad"])
    with pytest.raises(TenantError, match="unknown timezone 'Europe'"):
        registry.resolve(RoomKeys(tenant="bad"))


def test_the_worker_refuses_a_broken_tenants_call_with_a_tenant_error(tmp_path: Path) -> None:
    settings = load_settings(check_keys=False, tenants_dir=_tenants(tmp_path))
    with pytest.raises(TenantError, match="unknown timezone"):
        prepare_call(settings, RoomKeys(tenant="bad"))
    assert prepare_call(settings, RoomKeys(tenant="good")).tenant.id == "good"


def test_tenant_check_reports_the_broken_tenant_and_passes_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(_tenants(tmp_path)))
    monkeypatch.setenv("FRONTDESK_FLOWS_DIR", str(ROOT / "flows"))
    result = CliRunner().invoke(app, ["tenant", "check"])
    assert result.exit_code == 1, result.output
    assert "good: ok" in result.output
    assert re.search(r"bad: 1 problem\(s\)\n  .*bad/tenant\.yaml:3: timezone", result.output)
    assert "Not_An_Id: 1 problem(s)" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert load_tenant(tmp_path, "good").name == "Good"
