"""What a fired meeting job does: remind, join, check for a no-show, complete. Each
happens once: the meeting's status moves by compare-and-set (:func:`advance`), the
emails carry idempotency keys, and a job made for an older version of the meeting
(``sequence``) does nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from livekit import api

from ..config import Settings
from ..control.errors import LIVEKIT_ERRORS
from ..store import Store
from ..store import meetings as repo
from ..store.tables import Meeting, utcnow
from . import mail

logger = logging.getLogger("frontdesk.meetings")

Action = Literal["remind", "join", "no_show", "complete"]


def room_name(meeting_id: str) -> str:
    return f"meeting-{meeting_id}"


def room_metadata(meeting: Meeting, *, wait_s: float | None = None) -> str:
    """The room's and dispatch's metadata: tenant, source, meeting id and mode; the dispatch
    also tells the agent how long to wait for an attendee (the no-show grace)."""
    keys: dict[str, object] = {
        "tenant": meeting.tenant,
        "source": "meeting",
        "meeting": meeting.id,
        "mode": meeting.mode,
    }
    if wait_s is not None:
        keys["wait_s"] = wait_s
    return json.dumps(keys)


@dataclass
class MeetingRunner:
    settings: Settings
    store: Store
    lkapi: api.LiveKitAPI
    # set by the scheduler: plan another try of a join that LiveKit refused
    retry_join: Callable[[Meeting], Awaitable[None]] | None = None

    async def run(self, meeting_id: str, action: Action, sequence: int) -> None:
        async with self.store.transaction() as s:
            meeting = await repo.get(s, meeting_id)
        if meeting is None or meeting.sequence != sequence:
            logger.info("stale meeting job skipped", extra={"meeting": meeting_id, "job": action})
            return
        await getattr(self, f"_{action}")(meeting)

    async def _remind(self, meeting: Meeting) -> None:
        """Remind the attendees; late too (a dispatcher that was down until after the start
        fires both jobs at once, in either order) while the meeting is on. Once each:
        the emails' idempotency keys."""
        async with self.store.transaction() as s:
            await repo.advance(s, meeting.id, from_=(repo.SCHEDULED,), to=repo.REMINDED)
            now = await repo.get(s, meeting.id)
            if now is None or now.status not in (repo.REMINDED, repo.STARTED):
                return
            await mail.enqueue_for_attendees(s, self.settings, meeting, "meeting_reminder")
        logger.info("meeting reminders enqueued", extra={"meeting": meeting.id})

    async def _join(self, meeting: Meeting) -> None:
        room = room_name(meeting.id)
        async with self.store.transaction() as s:
            won = await repo.advance(
                s, meeting.id, from_=repo.UPCOMING, to=repo.STARTED, room=room, joined_at=utcnow()
            )
        if not won:
            logger.info("meeting already joined", extra={"meeting": meeting.id})
            return
        try:
            await self._dispatch(meeting, room)
        except LIVEKIT_ERRORS as e:  # give the join back, and try again shortly
            async with self.store.transaction() as s:
                await repo.advance(
                    s,
                    meeting.id,
                    from_=(repo.STARTED,),
                    to=repo.SCHEDULED,
                    room=None,
                    joined_at=None,
                )
            logger.warning("meeting join failed", extra={"meeting": meeting.id, "error": repr(e)})
            if self.retry_join is not None:
                await self.retry_join(meeting)
            return
        logger.info("agent dispatched to meeting", extra={"meeting": meeting.id, "room": room})

    async def _dispatch(self, meeting: Meeting, room: str) -> None:
        await self.open_room(meeting)
        await self.lkapi.agent_dispatch.create_dispatch(
            api.CreateAgentDispatchRequest(
                agent_name=self.settings.agent_name,
                room=room,
                metadata=room_metadata(
                    meeting,
                    wait_s=self.settings.meeting_no_show_s + self.settings.meeting_join_lead_s,
                ),
            )
        )

    async def open_room(self, meeting: Meeting) -> None:
        """Create the meeting's room (idempotent: an existing room is kept)."""
        timeout = int(self.settings.meeting_no_show_s) + 60
        await self.lkapi.room.create_room(
            api.CreateRoomRequest(
                name=room_name(meeting.id),
                metadata=room_metadata(meeting),
                empty_timeout=timeout,
                departure_timeout=60,
            )
        )

    async def attendee_joined(self, meeting: Meeting) -> bool:
        """Someone is in the room now, or the store has them in its call."""
        room = room_name(meeting.id)
        try:
            listing = await self.lkapi.room.list_participants(
                api.ListParticipantsRequest(room=room)
            )
        except api.TwirpError as e:  # the room is gone (the call ended): ask the store
            logger.info("meeting room not listed", extra={"meeting": meeting.id, "error": str(e)})
        else:
            if any(p.kind != api.ParticipantInfo.Kind.AGENT for p in listing.participants):
                return True
        async with self.store.transaction() as s:
            return await repo.anyone_came(s, meeting.tenant, room)

    async def _no_show(self, meeting: Meeting) -> None:
        if meeting.status != repo.STARTED or await self.attendee_joined(meeting):
            return
        async with self.store.transaction() as s:
            if not await repo.advance(s, meeting.id, from_=(repo.STARTED,), to=repo.NO_SHOW):
                return
            await mail.enqueue_no_show(s, self.settings, meeting)
        # deleting the room takes the agent out of it (a room already gone is fine)
        try:
            await self.lkapi.room.delete_room(api.DeleteRoomRequest(room=room_name(meeting.id)))
        except api.TwirpError as e:
            if e.code != api.TwirpErrorCode.NOT_FOUND:
                raise
        logger.info("meeting no-show", extra={"meeting": meeting.id})

    async def _complete(self, meeting: Meeting) -> None:
        async with self.store.transaction() as s:
            await repo.advance(s, meeting.id, from_=(repo.STARTED,), to=repo.COMPLETED)
