"""Scheduled outbound calls: when they ring (the tenant's calling hours, else its opening
hours), and the dispatcher's API to schedule, list and cancel them (SQLite store, the
dispatcher's scheduler; nothing falls due during the test)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from agent.config import ROOT, Settings
from agent.control.app import create_app
from agent.errors import TenantError
from agent.sip.calling_hours import rings_at
from agent.tenants import Tenant, load_tenant
from tests.staff import staff_headers

pytestmark = pytest.mark.unit

LONDON, NEW_YORK = ZoneInfo("Europe/London"), ZoneInfo("America/New_York")


def tenant(tmp_path: Path, extra: str = "", hours: str = "") -> Tenant:
    folder = tmp_path / "t"
    folder.mkdir(exist_ok=True)
    (folder / "tenant.yaml").write_text(
        f"name: T\ntimezone: America/New_York\nflow: receptionist\n{hours}{extra}"
    )
    return load_tenant(tmp_path, "t")


OFFICE = 'hours: {mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00"}\n'


def local(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def test_a_call_inside_the_opening_hours_rings_when_asked() -> None:
    crumb = load_tenant(ROOT / "tenants", "crumb-and-co")
    at = local(LONDON, 2027, 1, 5, 12, 0)  # a Tuesday, open 07:30-18:00
    assert rings_at(crumb, at) == at


@pytest.mark.parametrize(
    ("asked", "rings"),
    [
        ((2027, 1, 5, 6, 0), (2027, 1, 5, 7, 30)),  # before opening: that morning
        ((2027, 1, 5, 18, 0), (2027, 1, 6, 7, 30)),  # at closing: the next morning
        ((2027, 1, 3, 15, 0), (2027, 1, 5, 7, 30)),  # Sunday afternoon; Monday is closed
        ((2027, 7, 3, 23, 0), (2027, 7, 4, 9, 0)),  # summer time: Sunday opens at nine
    ],
)
def test_outside_the_hours_a_call_rings_at_their_next_start(
    asked: tuple[int, ...], rings: tuple[int, ...]
) -> None:
    crumb = load_tenant(ROOT / "tenants", "crumb-and-co")
    assert rings_at(crumb, local(LONDON, *asked)) == local(LONDON, *rings)


def test_calling_hours_win_over_the_opening_hours(tmp_path: Path) -> None:
    calling = 'routing: {calling_hours: {thu: "10:00-12:00"}}\n'
    office = tenant(tmp_path, calling, OFFICE)
    assert rings_at(office, local(NEW_YORK, 2027, 1, 4, 9, 30)) == local(NEW_YORK, 2027, 1, 7, 10)
    # the time is the tenant's: 14:00 UTC is 09:00 in New York (EST)
    asked = datetime(2027, 1, 7, 16, 0, tzinfo=UTC)
    assert rings_at(office, asked) == asked


def test_calling_hours_keep_their_holidays_and_exceptions(tmp_path: Path) -> None:
    calling = (
        "country: US\nrouting:\n  calling_hours:\n    mon: '09:00-17:00'\n    tue: '09:00-17:00'\n"
        "    holidays: {only: [New Year's Day]}\n"
        "    exceptions: [{date: 2027-01-04, open: '13:00-14:00'}]\n"
    )
    office = tenant(tmp_path, calling)
    # Friday 1 January is New Year's Day; Monday the 4th opens at one only
    assert rings_at(office, local(NEW_YORK, 2026, 12, 31, 18, 0)) == local(
        NEW_YORK, 2027, 1, 4, 13, 0
    )


def test_a_tenant_without_hours_may_ring_any_time(tmp_path: Path) -> None:
    asked = local(NEW_YORK, 2027, 1, 3, 3, 0)
    assert rings_at(tenant(tmp_path), asked) == asked


def test_calling_hours_that_never_open_are_refused_naming_the_file(tmp_path: Path) -> None:
    calling = (
        "routing: {calling_hours: {thu: '10:00-12:00', "
        "exceptions: [{from: 2027-01-01, to: 2029-01-01}]}}\n"
    )
    closed = tenant(tmp_path, calling, OFFICE)
    with pytest.raises(TenantError, match=r"tenant\.yaml: routing\.calling_hours: no calling"):
        rings_at(closed, local(NEW_YORK, 2027, 1, 4, 9, 30))


# --- the dispatcher's API ----------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The dispatcher's API, signed in as the bakery's staff."""
    settings = Settings.model_validate({"LIVEKIT_URL": "ws://127.0.0.1:9", "data_dir": tmp_path})
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        c.headers.update(asyncio.run(staff_headers(settings, "crumb-and-co")))
        c.app_state_settings = settings  # type: ignore[attr-defined]
        yield c


def post(client: TestClient, **body: str) -> tuple[int, dict[str, object]]:
    resp = client.post("/v1/calls", content=json.dumps({"tenant": "crumb-and-co", **body}))
    return resp.status_code, resp.json()


def test_a_call_asked_for_outside_the_hours_says_when_it_will_ring(client: TestClient) -> None:
    asked = "2030-01-07T03:00:00+00:00"  # a Monday night: the bakery is closed on Mondays
    status, body = post(client, phone_number="+15550001234", at=asked)
    assert status == 202, body
    assert (body["status"], body["moved"], body["phone_number"]) == (
        "scheduled",
        True,
        "+15550001234",
    )
    assert datetime.fromisoformat(str(body["rings_at"])) == datetime(2030, 1, 8, 7, 30, tzinfo=UTC)
    listed = client.get("/v1/calls/scheduled", params={"tenant": "crumb-and-co"}).json()
    assert [c["id"] for c in listed] == [body["id"]]
    cancelled = client.post(f"/v1/calls/scheduled/{body['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/v1/calls/scheduled/{body['id']}/cancel")
    assert again.status_code == 409 and "cancelled" in again.json()["error"]
    assert client.post("/v1/calls/scheduled/0123456789abcdef/cancel").status_code == 404
    # another tenant's staff neither list nor cancel it
    salon = asyncio.run(staff_headers(client.app_state_settings, "lumen-salon"))  # type: ignore[attr-defined]
    listed = client.get("/v1/calls/scheduled", params={"tenant": "crumb-and-co"}, headers=salon)
    assert listed.status_code == 403
    assert client.get("/v1/calls/scheduled", headers=salon).json() == []
    cancel = client.post(f"/v1/calls/scheduled/{body['id']}/cancel", headers=salon)
    assert cancel.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"at": "2030-01-08T09:00:00+00:00"},  # no phone number: nothing to schedule
        {"phone_number": "+15550001234", "at": "2030-01-08T09:00:00"},  # no offset
    ],
)
def test_a_bad_time_is_named(client: TestClient, body: dict[str, str]) -> None:
    status, answer = post(client, **body)
    assert status == 422
    assert [f["field"] for f in answer["fields"]] == ["at"]  # type: ignore[union-attr, index]


def test_calling_hours_with_no_open_day_are_refused(tmp_path: Path) -> None:
    with pytest.raises(
        TenantError, match=r"tenant\.yaml:\d+: routing: calling_hours: no weekday is open"
    ):
        tenant(tmp_path, "routing: {calling_hours: {mon: closed}}\n", OFFICE)


def test_a_tenant_with_no_number_to_call_from_is_refused_at_once(
    client: TestClient, tmp_path: Path
) -> None:
    status, body = post(client, phone_number="+15550001234", at="2030-01-08T09:00:00+00:00")
    assert status == 202, body  # crumb-and-co has a number
    settings = Settings.model_validate(
        {"LIVEKIT_URL": "ws://127.0.0.1:9", "data_dir": tmp_path / "d", "tenants_dir": tmp_path}
    )
    (tmp_path / "mute").mkdir()
    (tmp_path / "mute" / "tenant.yaml").write_text("name: Mute\nflow: receptionist\n")
    with TestClient(create_app(settings), raise_server_exceptions=False) as other:
        other.headers.update(asyncio.run(staff_headers(settings, "mute")))
        resp = other.post(
            "/v1/calls",
            content=json.dumps(
                {"tenant": "mute", "phone_number": "+15550001234", "at": "2030-01-08T09:00:00Z"}
            ),
        )
    assert resp.status_code == 409
    assert resp.json()["field"] == "phone_number" and "tenant.yaml" not in resp.text
