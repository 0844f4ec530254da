"""What a meeting request says (HTTP and CLI), validated at the boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from ..tenants.model import Email, MeetingMode

Mode = MeetingMode
Status = Literal["scheduled", "reminded", "started", "completed", "no-show", "cancelled"]
STATUSES: dict[str, Status] = {s: s for s in get_args(Status)}


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=120)
    email: Email


class MeetingTime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime = Field(description="Start, ISO 8601 with its UTC offset")
    duration_min: int = Field(30, ge=5, le=480, description="Length in minutes")


class MeetingRequest(MeetingTime):
    tenant: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1, max_length=200)
    timezone: str = Field("UTC", description="IANA zone the attendees see, e.g. Europe/London")
    attendees: list[Attendee] = Field(min_length=1, max_length=20)
    mode: Mode = Field("discovery", description="discovery: the tenant's meeting flow")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {value!r}") from e
        return value


class MeetingBody(BaseModel):
    """A meeting as the API returns it."""

    id: str
    tenant: str
    title: str
    start: datetime
    duration_min: int
    timezone: str
    attendees: list[Attendee]
    mode: Mode
    status: Status
    sequence: int
    room: str | None


class JoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=4096, description="The join link's token")


class JoinBody(BaseModel):
    url: str = Field(description="LiveKit server URL")
    token: str = Field(description="LiveKit access token for the meeting's room")
    room: str
    identity: str
