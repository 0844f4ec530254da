"""The call store's tables (SQLAlchemy 2 declarative, one class per table).

Every table carries ``tenant`` so that Postgres row-level security can scope each row
to its tenant without joins (see the migrations). Times are timezone-aware UTC. Every
string and JSON value is cleaned on its way in (:mod:`.clean`): ``Str(n)`` is an
identifier or a short code, refused when too long; ``Clipped(n)`` is descriptive text,
cut to fit; ``Text`` and ``JSONType`` lose NULs and lone surrogates.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..record.vocabulary import CallStatus, Source, Speaker
from .clean import clean_json, clean_text


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Str(TypeDecorator[str]):
    """``VARCHAR(length)`` of an identifier or code: cleaned of NUL, never cut (a value
    too long is refused by Postgres, so two ids can never be merged by cutting)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else clean_text(str(value))


class Clipped(Str):
    """``VARCHAR(length)`` of descriptive text (a name, a room, a reason): cleaned and cut
    to fit, so it never costs the record it is in."""

    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        length = getattr(self.impl, "length", None)
        return None if value is None else clean_text(str(value), limit=length)


class CleanText(TypeDecorator[str]):
    """``TEXT``, cleaned of NUL and lone surrogates."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else clean_text(str(value))


class CleanJSON(TypeDecorator[Any]):
    """JSON (``JSONB`` on Postgres) whose strings are cleaned (jsonb refuses ``\u0000``)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return clean_json(value)


JSONType = CleanJSON()
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
    }


def _call_fk() -> Any:
    return ForeignKey("calls.id", ondelete="CASCADE")


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[str] = mapped_column(Str(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(Str(64), index=True)
    source: Mapped[Source] = mapped_column(Str(16))
    room: Mapped[str] = mapped_column(Clipped(255))
    caller_identity: Mapped[str | None] = mapped_column(Clipped(255))
    caller_number: Mapped[str | None] = mapped_column(Clipped(32))
    called_number: Mapped[str | None] = mapped_column(Clipped(32))  # the number dialled (SIP)
    sip_status: Mapped[int | None] = mapped_column(Integer)  # an outbound call's failure: 486
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    duration_s: Mapped[float | None] = mapped_column(Float)
    status: Mapped[CallStatus] = mapped_column(Str(16), default="active")
    end_reason: Mapped[str | None] = mapped_column(Clipped(255))
    flow_id: Mapped[str | None] = mapped_column(Str(128))
    campaign: Mapped[str | None] = mapped_column(Str(128))  # the web widget's campaign id
    end_node: Mapped[str | None] = mapped_column(Str(128))
    error_count: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index(None, "tenant", "started_at"),)


class Participant(Base):
    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk(), index=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    identity: Mapped[str] = mapped_column(Clipped(255))
    role: Mapped[str] = mapped_column(Str(16))  # caller | agent | human
    name: Mapped[str | None] = mapped_column(Clipped(255))
    joined_at: Mapped[datetime]
    left_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("call_id", "identity"),)


class Turn(Base):
    __tablename__ = "turns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk())
    tenant: Mapped[str] = mapped_column(Str(64))
    seq: Mapped[int] = mapped_column(Integer)  # order within the call; makes writes idempotent
    speaker: Mapped[Speaker] = mapped_column(Str(16))
    # the participant who spoke, where several may (a meeting's attendees)
    speaker_identity: Mapped[str | None] = mapped_column(Str(128))
    text: Mapped[str] = mapped_column(CleanText)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    stt_confidence: Mapped[float | None] = mapped_column(Float)
    interrupted: Mapped[bool] = mapped_column(Boolean, default=False)
    latency: Mapped[dict[str, Any]] = mapped_column(default=dict)

    __table_args__ = (UniqueConstraint("call_id", "seq"),)


class FlowEventRow(Base):
    __tablename__ = "flow_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk())
    tenant: Mapped[str] = mapped_column(Str(64))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(Str(64))
    node: Mapped[str | None] = mapped_column(Str(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("call_id", "seq"),)


class Consent(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk(), index=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    who: Mapped[str | None] = mapped_column(Clipped(255))
    wording: Mapped[str] = mapped_column(CleanText)
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[datetime]


class Analysis(Base):
    __tablename__ = "analyses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk(), index=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    method: Mapped[str] = mapped_column(Str(16))  # llm | deterministic
    call_type: Mapped[str | None] = mapped_column(Str(64))
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    summary: Mapped[str | None] = mapped_column(CleanText)
    sentiment: Mapped[float | None] = mapped_column(Float)
    meeting: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(CleanText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Lead(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    contact_key: Mapped[str] = mapped_column(Str(255))  # normalised email or phone
    name: Mapped[str | None] = mapped_column(Clipped(255))
    email: Mapped[str | None] = mapped_column(Str(255))
    phone: Mapped[str | None] = mapped_column(Str(32))
    campaign: Mapped[str | None] = mapped_column(Str(128))
    score: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(Str(32), default="new")
    priority: Mapped[str] = mapped_column(Str(16), default="low")  # high | medium | low
    last_call_id: Mapped[str | None] = mapped_column(Str(64), index=True)
    signals: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("tenant", "contact_key"),)


class Handoff(Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk(), index=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    reason: Mapped[str | None] = mapped_column(CleanText)
    summary: Mapped[str | None] = mapped_column(CleanText)
    status: Mapped[str] = mapped_column(Str(16), default="requested")
    at: Mapped[datetime]


class Usage(Base):
    __tablename__ = "usage"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk(), index=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    kind: Mapped[str] = mapped_column(Str(8))  # stt | tts | llm
    provider: Mapped[str] = mapped_column(Clipped(64))
    model: Mapped[str] = mapped_column(Clipped(128))
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    audio_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    characters: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    at: Mapped[datetime]

    # one row per model per call (the session's totals), so a replayed write changes nothing
    __table_args__ = (UniqueConstraint("call_id", "kind", "provider", "model"),)


class Recording(Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    call_id: Mapped[str] = mapped_column(Str(64), _call_fk(), index=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    storage: Mapped[str] = mapped_column(Str(16))  # local | supabase
    uri: Mapped[str] = mapped_column(CleanText)
    format: Mapped[str] = mapped_column(Str(8))  # wav | ogg
    channels: Mapped[int] = mapped_column(Integer, default=2)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("call_id", "uri"),)


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    call_id: Mapped[str | None] = mapped_column(Str(64), _call_fk(), index=True)
    channel: Mapped[str] = mapped_column(Str(16))  # email | webhook
    target: Mapped[str] = mapped_column(CleanText)
    template: Mapped[str | None] = mapped_column(Str(128))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    idempotency_key: Mapped[str] = mapped_column(Str(255), unique=True)
    status: Mapped[str] = mapped_column(Str(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(CleanText)
    claimed_by: Mapped[str | None] = mapped_column(Str(128))
    claimed_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revived_at: Mapped[datetime | None]  # `outbox retry`: the retry horizon starts again
    timeouts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (Index(None, "status", "next_attempt_at"),)


class WebVisit(Base):
    """A web visitor who asked for a call (the widget's token request), per campaign."""

    __tablename__ = "web_visits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    campaign: Mapped[str] = mapped_column(Str(128))
    room: Mapped[str] = mapped_column(Clipped(255))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "tenant", "campaign", "at"),)


class Meeting(Base):
    """A scheduled meeting the agent joins (``agent/meetings/``). ``sequence`` is the
    invitation's ICS SEQUENCE: it grows with each reschedule and the cancellation."""

    __tablename__ = "meetings"

    id: Mapped[str] = mapped_column(Str(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    title: Mapped[str] = mapped_column(Clipped(255))
    starts_at: Mapped[datetime]
    duration_min: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(Str(64))
    attendees: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "email"}]
    organizer: Mapped[str | None] = mapped_column(Str(255))  # told of a no-show
    mode: Mapped[str] = mapped_column(Str(16), default="discovery")  # discovery | assistant
    # scheduled | reminded | started | completed | no-show | cancelled
    status: Mapped[str] = mapped_column(Str(16), default="scheduled")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    room: Mapped[str | None] = mapped_column(Clipped(255))
    joined_at: Mapped[datetime | None]  # when the agent was dispatched to the room
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "tenant", "starts_at"),)


class StaffUser(Base):
    """A person of a tenant's staff who signs in to the console and the control API.
    ``password_hash`` is argon2id's encoded hash (argon2-cffi), never the password."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    email: Mapped[str] = mapped_column(Str(255))  # lower-cased
    password_hash: Mapped[str] = mapped_column(Str(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("tenant", "email"),)


class StaffToken(Base):
    """A bearer credential of a staff user: a login session (expires) or an API key.
    Only the SHA-256 of the random token is kept, so a stolen row opens nothing."""

    __tablename__ = "staff_tokens"

    token_hash: Mapped[str] = mapped_column(Str(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_users.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[str] = mapped_column(Str(64))
    kind: Mapped[str] = mapped_column(Str(16))  # session | api_key
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ScheduledCall(Base):
    """An outbound phone call the dispatcher places later (``POST /v1/calls`` with
    ``at``): asked for ``requested_at``, ringing at ``rings_at`` (the tenant's calling
    hours moved it there when the request fell outside them). Once placed it has the
    room and outcome of :func:`agent.sip.outbound.dial_out`."""

    __tablename__ = "scheduled_calls"

    id: Mapped[str] = mapped_column(Str(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(Str(64))
    phone_number: Mapped[str] = mapped_column(Str(32))
    requested_at: Mapped[datetime]
    rings_at: Mapped[datetime]
    # scheduled | dialing | placed | failed | cancelled
    status: Mapped[str] = mapped_column(Str(16), default="scheduled")
    room: Mapped[str | None] = mapped_column(Clipped(255))
    outcome: Mapped[str | None] = mapped_column(Str(16))  # answered, busy, no-answer, ...
    sip_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(CleanText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "tenant", "rings_at"),)


TENANT_TABLES = tuple(sorted(Base.metadata.tables))

# The dispatcher's meeting scheduler keeps its jobs here (APScheduler's SQLAlchemyJobStore
# reads and writes it; the migrations create it, with the columns APScheduler gives it).
# It has no tenant: it is the service's alone (see migration 0007_meetings).
SCHEDULER_METADATA = MetaData(naming_convention=NAMING)
SCHEDULER_JOBS = Table(
    "apscheduler_jobs",
    SCHEDULER_METADATA,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)
