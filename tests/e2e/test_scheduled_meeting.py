"""A scheduled meeting through the real livekit-server and worker: created a few seconds
ahead (a shortened clock: the reminder 4 s before), the attendee invited by email (the
real SMTP sink, the ICS parsed back), reminded once, the agent in the room at the start,
the attendee (the simulated caller) joining with the link's token and answering the
discovery flow; the stored call is a meeting with its MeetingAnalysis. And the no-show
path: nobody comes, the meeting is marked no-show and its owner emailed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from livekit import api

from agent.config import Settings
from agent.control.dispatch import livekit_api
from agent.demo.caller import SimulatedCaller
from agent.demo.lines import expected_phrases
from agent.providers.pocketsphinx_stt import PocketSphinxSTT
from agent.session import prepare_call
from agent.stack import LocalStack
from agent.stack.mail import MailSink
from tests.callers import agent_in_room, wait_for_agent_speech
from tests.e2e.test_meeting_call import _analysed
from tests.meetings_support import deliver_mail, dispatcher, join_token, read_mail

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

TENANT = "crumb-and-co"


def _settings(stack: LocalStack, stack_settings: Settings, tmp: Path, sink: MailSink) -> Settings:
    return stack_settings.model_copy(
        update={
            "livekit_url": stack.url,
            "data_dir": tmp / "dispatcher",  # the meetings and their outbox
            "smtp_host": sink.host,
            "smtp_port": sink.port,
            "meeting_reminder_min": 4 / 60,
            "meeting_join_lead_s": 1.0,
            "meeting_poll_s": 0.5,
        }
    )


def _request(start: datetime, *emails: str) -> dict[str, object]:
    return {
        "tenant": TENANT,
        "title": "Wholesale discovery",
        "start": start.isoformat(),
        "duration_min": 15,
        "timezone": "Europe/London",
        "attendees": [{"name": e.split("@")[0].title(), "email": e} for e in emails],
    }


async def test_a_meeting_is_invited_reminded_joined_on_time_and_analysed(
    stack: LocalStack, stack_settings: Settings, tmp_path: Path
) -> None:
    with MailSink(tmp_path / "mail") as sink:
        settings = _settings(stack, stack_settings, tmp_path, sink)
        async with dispatcher(settings) as http:
            start = (datetime.now(UTC) + timedelta(seconds=10)).replace(microsecond=0)
            made = await http.post("/v1/meetings", json=_request(start, "peter@example.org"))
            assert made.status_code == 201, made.text
            meeting = made.json()
            assert await deliver_mail(settings, sink) == 1
            (invite_path,) = sink.messages()
            invite, calendar = read_mail(invite_path)
            assert invite["To"] == "peter@example.org" and calendar is not None
            assert str(calendar["METHOD"]) == "REQUEST"
            (event,) = calendar.walk("VEVENT")
            assert event.decoded("DTSTART") == start

            lkapi = livekit_api(settings)
            room = f"meeting-{meeting['id']}"
            try:
                assert await agent_in_room(lkapi, room, timeout=40), "the agent never joined"
                dispatches = await lkapi.agent_dispatch.list_dispatch(room_name=room)
            finally:
                await lkapi.aclose()
            # livekit-server lists its own automatic dispatch (no agent name) too
            ours = [d for d in dispatches if d.agent_name == settings.agent_name]
            assert len(ours) == 1, ours
            joined = await http.post("/v1/meetings/join", json={"token": join_token(calendar)})
            assert joined.status_code == 200, joined.text
            await _attendee_converses(settings, joined.json())
            state = (await http.get(f"/v1/meetings/{meeting['id']}")).json()
            assert (state["status"], state["room"]) == ("started", room)

            await deliver_mail(settings, sink)
            subjects = [read_mail(p)[0]["Subject"] for p in sink.messages()]
            assert subjects == ["Invitation: Wholesale discovery", "Reminder: Wholesale discovery"]
    data = (await _analysed(stack_settings, room)).as_dict()
    assert (data["call"]["source"], data["call"]["flow_id"]) == ("meeting", "discovery_meeting")
    (analysis,) = data["analyses"]
    assert analysis["meeting"] is not None, analysis


async def _attendee_converses(settings: Settings, session: dict[str, str]) -> None:
    ear = PocketSphinxSTT()
    caller = SimulatedCaller(ear)
    metadata = json.dumps({"tenant": TENANT, "source": "meeting"})
    plan = await asyncio.to_thread(prepare_call, settings, metadata)
    caller.expect(expected_phrases(plan))
    try:
        await caller.join(session["url"], session["token"])
        start = await wait_for_agent_speech(caller)
        assert await caller.agent_turn_done(start, timeout=60)
        said_at = time.time()
        await caller.say("my name is peter smith")
        assert await caller.agent_turn_done(said_at, timeout=60)
        for _attempt in range(2):
            await caller.say("goodbye")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(caller.disconnected.wait(), timeout=30)
                break
        assert caller.disconnected.is_set(), "the agent did not hang up after goodbye"
    finally:
        await caller.leave()
        await ear.aclose()


async def test_nobody_comes_the_meeting_is_a_no_show_and_the_owner_is_told(
    stack: LocalStack, stack_settings: Settings, tmp_path: Path
) -> None:
    with MailSink(tmp_path / "mail") as sink:
        settings = _settings(stack, stack_settings, tmp_path, sink).model_copy(
            update={"meeting_no_show_s": 6.0}
        )
        async with dispatcher(settings) as http:
            start = datetime.now(UTC) + timedelta(seconds=3)
            made = await http.post("/v1/meetings", json=_request(start, "nobody@example.org"))
            meeting_id = made.json()["id"]
            deadline = time.monotonic() + 60
            while (state := (await http.get(f"/v1/meetings/{meeting_id}")).json())[
                "status"
            ] != "no-show":
                assert time.monotonic() < deadline, state
                await asyncio.sleep(0.5)
            lkapi = livekit_api(settings)
            try:
                rooms = await lkapi.room.list_rooms(api.ListRoomsRequest(names=[state["room"]]))
            finally:
                await lkapi.aclose()
            assert not rooms.rooms, "the agent's room is still open"
            await deliver_mail(settings, sink)
            mails = [read_mail(p)[0] for p in sink.messages()]
            owner = [m for m in mails if m["To"] == "owner@crumbandco.example"]
            assert [m["Subject"] for m in owner] == ["No-show: Wholesale discovery"]
