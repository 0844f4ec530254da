"""Rescheduling and cancelling a meeting through the dispatcher's API: the attendees get
the ICS update (same UID, SEQUENCE up, new time) and the cancellation (METHOD:CANCEL),
delivered by the outbox to the real SMTP sink; the scheduler's jobs in the store move
and go. Bad requests are refused naming the field."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from agent.config import load_settings
from agent.stack import free_port
from agent.stack.mail import MailSink
from agent.store import Store
from tests.meetings_support import deliver_mail, dispatcher, join_token, read_mail

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _start(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)


async def _job_times(settings_url: str, meeting_id: str) -> dict[str, float]:
    store = Store.from_url(settings_url)
    try:
        async with store.transaction() as s:
            rows = await s.execute(
                text("SELECT id, next_run_time FROM apscheduler_jobs WHERE id LIKE :m"),
                {"m": f"meeting:{meeting_id}:%"},
            )
            return {str(r[0]).rsplit(":", 1)[1]: float(r[1]) for r in rows}
    finally:
        await store.close()


async def test_reschedule_and_cancel_send_the_matching_ics(tmp_path: Path) -> None:
    with MailSink(tmp_path / "mail") as sink:
        settings = load_settings(check_keys=False).model_copy(
            update={"data_dir": tmp_path, "smtp_host": sink.host, "smtp_port": sink.port}
        )
        db = f"sqlite:///{tmp_path / 'frontdesk.db'}"
        async with dispatcher(settings) as http:
            first, moved = _start(2), _start(5)
            made = await http.post(
                "/v1/meetings",
                json={
                    "tenant": "crumb-and-co",
                    "title": "Tasting",
                    "start": first.isoformat(),
                    "timezone": "Europe/London",
                    "attendees": [
                        {"name": "Ada", "email": "ada@example.org"},
                        {"name": "Bob", "email": "bob@example.org"},
                    ],
                },
            )
            assert made.status_code == 201, made.text
            meeting_id = made.json()["id"]
            before = await _job_times(db, meeting_id)
            assert set(before) == {"remind", "join", "no_show", "complete"}
            assert before["remind"] == pytest.approx((first - timedelta(minutes=15)).timestamp())

            again = await http.post(
                f"/v1/meetings/{meeting_id}/reschedule",
                json={"start": moved.isoformat(), "duration_min": 45},
            )
            assert again.status_code == 200, again.text
            assert again.json()["sequence"] == 1
            after = await _job_times(db, meeting_id)
            assert after["join"] - before["join"] == pytest.approx(3 * 3600)

            await deliver_mail(settings, sink)
            _, invitation = read_mail(sink.messages()[0])
            assert invitation is not None
            token = join_token(invitation)  # its use is in tests/e2e/test_scheduled_meeting.py
            forged = await http.post("/v1/meetings/join", json={"token": token[:-4] + "AAAA"})
            assert (forged.status_code, forged.json()["field"]) == (401, "token")

            gone = await http.post(f"/v1/meetings/{meeting_id}/cancel")
            assert gone.json()["status"] == "cancelled"
            assert await _job_times(db, meeting_id) == {}
            twice = await http.post(f"/v1/meetings/{meeting_id}/cancel")
            assert twice.status_code == 409 and twice.json()["field"] == "meeting_id"
            late = await http.post("/v1/meetings/join", json={"token": token})
            assert (late.status_code, late.json()["error"]) == (409, "this meeting is cancelled")

        assert await deliver_mail(settings, sink) == 2  # the cancellations; the rest went above
    sent = [read_mail(p) for p in sink.messages()]
    to_ada = [(m["Subject"], c) for m, c in sent if m["To"] == "ada@example.org"]
    # the outbox sends a batch at once, so the invitation and its update may land in
    # either order; a calendar orders them by SEQUENCE, and so does this test
    assert all(c is not None for _, c in to_ada)
    to_ada.sort(key=lambda sc: int(next(iter(sc[1].walk("VEVENT")))["SEQUENCE"]))  # type: ignore[union-attr]
    assert [s for s, _ in to_ada] == [
        "Invitation: Tasting",
        "Updated: Tasting",
        "Cancelled: Tasting",
    ]
    events = []
    for _, calendar in to_ada:
        assert calendar is not None
        (event,) = calendar.walk("VEVENT")
        events.append((str(calendar["METHOD"]), int(event["SEQUENCE"]), event))
    assert [(m, n) for m, n, _ in events] == [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)]
    assert len({str(e["UID"]) for _, _, e in events}) == 1
    assert events[1][2].decoded("DTSTART") == moved
    assert events[1][2].decoded("DTEND") - moved == timedelta(minutes=45)
    assert str(events[2][2]["STATUS"]) == "CANCELLED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"attendees": [{"name": "Ada", "email": "not-an-email"}]}, "attendees.0.email"),
        ({"start": "2026-12-24T10:00:00"}, "start"),  # no UTC offset
        ({"tenant": "no-such-bakery"}, "tenant"),
    ],
)
async def test_a_bad_meeting_request_names_its_field(
    tmp_path: Path, body: dict[str, object], field: str
) -> None:
    settings = load_settings(check_keys=False).model_copy(update={"data_dir": tmp_path})
    request = {
        "tenant": "crumb-and-co",
        "title": "Tasting",
        "start": _start(1).isoformat(),
        "attendees": [{"name": "Ada", "email": "ada@example.org"}],
        **body,
    }
    async with dispatcher(settings) as http:
        answer = await http.post("/v1/meetings", json=request)
    # another tenant than the login's is a 403 (an unknown one too: nothing is told)
    assert answer.status_code in (403, 404, 422), answer.text
    data = answer.json()
    named = data.get("field") or data["fields"][0]["field"]
    assert named == field, data


async def test_a_join_livekit_refuses_is_given_back_and_tried_again(tmp_path: Path) -> None:
    dead = f"ws://127.0.0.1:{free_port()}"  # nothing listens: LiveKit is down at the start
    settings = load_settings(check_keys=False).model_copy(
        update={"data_dir": tmp_path, "livekit_url": dead, "meeting_join_lead_s": 0.0}
    )
    db = f"sqlite:///{tmp_path / 'frontdesk.db'}"
    async with dispatcher(settings) as http:
        start = datetime.now(UTC) + timedelta(seconds=1)
        made = await http.post(
            "/v1/meetings",
            json={
                "tenant": "crumb-and-co",
                "title": "Tasting",
                "start": start.isoformat(),
                "attendees": [{"name": "Ada", "email": "ada@example.org"}],
            },
        )
        meeting_id = made.json()["id"]
        deadline = time.monotonic() + 30
        while "join-retry" not in (jobs := await _job_times(db, meeting_id)):
            assert time.monotonic() < deadline, jobs
            await asyncio.sleep(0.2)
        state = (await http.get(f"/v1/meetings/{meeting_id}")).json()
        assert (state["status"], state["room"]) == ("scheduled", None)
        assert jobs["join-retry"] > start.timestamp()
        await http.post(f"/v1/meetings/{meeting_id}/cancel")
        assert await _job_times(db, meeting_id) == {}
