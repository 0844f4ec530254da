"""The models of ``tenants/<id>/tenant.yaml`` (every section but ``name`` and ``flow`` optional).

Every model forbids unknown fields, so a typo is an error naming its line (with a "did
you mean" hint, see :mod:`.hints`). :func:`tenant_json_schema` is the committed
``tenants/schema.json``.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, available_timezones

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..config import LLMName, STTName, TTSName
from ..expr import Expression, ExpressionError, parse_expression
from ..phones import is_region, region_for
from ..record.vocabulary import Source
from .hours import DaySpec, HolidayLookup, PublicHolidays, SpecialDay, holiday_lookup

E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")]
EventName = Annotated[str, StringConstraints(pattern=r"^[a-z]+(\.[a-z_]+)+$")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$")


@cache
def known_timezones() -> frozenset[str]:
    """The IANA timezone names this machine knows (``zoneinfo.available_timezones``).
    Checking the name against it, not opening it, is what refuses ``Europe`` (a folder
    of the database: ``ZoneInfo`` raised ``IsADirectoryError``) and paths."""
    return frozenset(available_timezones()) | {"UTC"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _chain(value: object) -> object:
    """``"deepgram,local"`` -> ``("deepgram", "local")``, like the deployment settings."""
    if isinstance(value, str):
        return tuple(p.strip().lower() for p in value.split(",") if p.strip())
    return value


class Providers(_Strict):
    """Speech and LLM providers for this tenant; ``null`` means the deployment default."""

    stt: tuple[STTName, ...] | None = None
    tts: tuple[TTSName, ...] | None = None
    llm: LLMName | None = None
    voice: str | None = Field(None, min_length=1, description="TTS voice name or id")

    @field_validator("stt", "tts", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _chain(value)


def parse_range(value: str) -> tuple[time, time] | None:
    """``"07:30-18:00"`` -> (07:30, 18:00); ``"closed"`` -> None. Raises ValueError."""
    if value.strip().lower() == "closed":
        return None
    match = _RANGE.match(value.strip())
    if not match:
        raise ValueError(f'{value!r} is neither "closed" nor "HH:MM-HH:MM"')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    opens, closes = time(h1, m1), (time(23, 59, 59) if h2 == 24 else time(h2, m2))
    if closes <= opens:
        raise ValueError(f"{value!r}: closing time must be after opening time")
    return opens, closes


DayHours = Annotated[str, Field(examples=["07:30-18:00", "closed"])] | DaySpec


class Hours(_Strict):
    """Business hours, tenant-local: ``"closed"`` or ``"HH:MM-HH:MM"``, or
    ``{open: "09:00-12:00", note: "emergencies only", appointments: false}``; a day not
    listed is closed. ``holidays``: closed on public holidays; ``exceptions``: closures
    and special hours on given dates (see :mod:`.hours`)."""

    mon: DayHours = "closed"
    tue: DayHours = "closed"
    wed: DayHours = "closed"
    thu: DayHours = "closed"
    fri: DayHours = "closed"
    sat: DayHours = "closed"
    sun: DayHours = "closed"
    holidays: PublicHolidays | None = Field(
        None, description="Closed on public holidays (of the tenant's country by default)"
    )
    exceptions: tuple[SpecialDay, ...] = Field(
        (), description="Holidays and exceptional days: closed, or open as 'open' says"
    )

    @field_validator(*WEEKDAYS)
    @classmethod
    def _valid_range(cls, value: str | DaySpec) -> str | DaySpec:
        parse_range(value.open if isinstance(value, DaySpec) else value)
        return value

    @field_validator("exceptions")
    @classmethod
    def _valid_exceptions(cls, value: tuple[SpecialDay, ...]) -> tuple[SpecialDay, ...]:
        for special in value:
            parse_range(special.open)
        return value

    def day(self, day: Weekday) -> DaySpec:
        """``day``'s hours, note and whether it takes appointments."""
        value = getattr(self, day)
        return value if isinstance(value, DaySpec) else DaySpec(open=value)

    def opening(self, day: Weekday) -> tuple[time, time] | None:
        """When the business opens and closes on ``day``, or None when closed."""
        return parse_range(self.day(day).open)

    def spans(self) -> tuple[tuple[time, time] | None, ...]:
        """Opening and closing time per weekday, Monday first (None: closed)."""
        return tuple(self.opening(day) for day in WEEKDAYS)

    def is_open(self, at: datetime, tz: ZoneInfo) -> bool:
        """Whether the business is open at ``at`` (converted to the tenant's timezone)."""
        local = at.astimezone(tz)
        span = self.opening(WEEKDAYS[local.weekday()])
        return span is not None and span[0] <= local.time() < span[1]


class Service(_Strict):
    """One thing the business offers: ``name`` as it is said ("a cleaning and check-up"),
    and other words callers use for it (``also``)."""

    name: str = Field(min_length=1, max_length=80)
    also: tuple[Annotated[str, StringConstraints(min_length=1, max_length=80)], ...] = ()


class Routing(_Strict):
    """Keys that route a room to this tenant (see :mod:`.resolve`)."""

    phone_numbers: list[E164] = Field(default_factory=list, description="E.164 numbers (SIP)")
    campaigns: list[Slug] = Field(default_factory=list, description="Web widget campaign ids")
    meeting_owners: list[Email] = Field(default_factory=list)
    calling_hours: Hours | None = Field(
        None,
        description="When outbound calls may ring (tenant-local, like `hours`); a "
        "scheduled call due outside them rings at their next start. Default: `hours`",
    )


# a meeting's mode: the tenant's meeting flow (discovery), or the meeting assistant
MeetingMode = Literal["discovery", "assistant"]
MEETING_MODES: tuple[MeetingMode, ...] = ("discovery", "assistant")


class FlowRoutes(_Strict):
    """Flows other than the tenant's ``flow`` for some rooms: by how the room came in, or
    by the web widget's campaign (which wins over ``web``)."""

    sip: str | None = Field(None, min_length=1, description="Flow for phone calls")
    web: str | None = Field(None, min_length=1, description="Flow for web widget visitors")
    meeting: str | None = Field(None, min_length=1, description="Flow for meetings")
    campaigns: dict[Slug, str] = Field(
        default_factory=dict, description="Flow per campaign id (listed in routing.campaigns)"
    )


class Knowledge(_Strict):
    threshold: float = Field(0.5, ge=0, le=1, description="Default answer-confidence threshold")


FieldType = Literal["text", "datetime", "date", "name", "phone", "email", "number", "boolean"]


class AnalyzerField(_Strict):
    type: FieldType = "text"
    description: str = ""
    required: bool = False


class CallType(_Strict):
    description: str = Field(min_length=1)
    fields: dict[Slug, AnalyzerField] = Field(default_factory=dict)


class Analyzer(_Strict):
    """Post-call analysis: the call types, and the fields to extract for each."""

    call_types: dict[Slug, CallType] = Field(default_factory=dict)


class ScoreRule(_Strict):
    """Adds ``points`` when its one signal is present: ``keywords`` said in the call, a
    ``slot`` filled, or an ``if`` flow expression over ``slots`` that holds."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    label: str = Field(min_length=1)
    points: int
    keywords: list[Annotated[str, StringConstraints(min_length=1)]] | None = None
    slot: str | None = Field(None, min_length=1)
    if_: str | None = Field(None, alias="if", min_length=1)

    @field_validator("if_")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_expression(value, roots=frozenset({"slots"}))
            except ExpressionError as e:
                raise ValueError(str(e)) from e
        return value

    @model_validator(mode="after")
    def _one_signal(self) -> ScoreRule:
        given = [n for n in ("keywords", "slot", "if_") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("a rule needs exactly one of keywords, slot or if")
        return self

    def expression(self) -> Expression | None:
        """The parsed ``if`` condition (evaluate with ``{"slots": {...}}``)."""
        return None if self.if_ is None else parse_expression(self.if_, roots={"slots"})


class Priorities(_Strict):
    high: int = 60
    medium: int = 30

    @model_validator(mode="after")
    def _ordered(self) -> Priorities:
        if self.medium > self.high:
            raise ValueError("medium must not be above high")
        return self

    def for_score(self, score: int) -> Literal["high", "medium", "low"]:
        return "high" if score >= self.high else "medium" if score >= self.medium else "low"


class LeadScoring(_Strict):
    rules: list[ScoreRule] = Field(default_factory=list)
    priorities: Priorities = Field(default_factory=Priorities)


class Webhook(_Strict):
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/]+")]
    secret_env: EnvName | None = Field(None, description="Environment variable with the secret")
    allow_unsigned: bool = Field(
        False,
        description="Send it without a signature when it has no secret_env (refused otherwise)",
    )
    events: list[EventName] = Field(default_factory=lambda: ["call.analyzed"], min_length=1)


class Notifications(_Strict):
    owner_email: Email | None = None
    customer_confirmation: bool = False
    webhooks: list[Webhook] = Field(default_factory=list)


class Recording(_Strict):
    enabled: bool = False
    retention_days: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="Days to keep recordings (default FRONTDESK_RETENTION_DAYS, 90)",
    )
    requires_consent: bool = False


class MeetingAssistant(_Strict):
    """The meeting assistant (a meeting in ``assistant`` mode): it transcribes everyone and
    speaks only when a line starts with one of its ``names``."""

    names: list[str] = Field(
        default_factory=lambda: ["assistant"],
        min_length=1,
        description="What attendees call the assistant to address it ('assistant, ...')",
    )

    @field_validator("names")
    @classmethod
    def _plain_words(cls, names: list[str]) -> list[str]:
        for name in names:
            if not name.strip() or not all(w.isalpha() for w in name.split()):
                raise ValueError(f"{name!r}: a name is words of letters, as an attendee says it")
        return [" ".join(n.lower().split()) for n in names]


class Budget(_Strict):
    per_call_usd: float | None = Field(None, gt=0, description="null = no limit")
    monthly_usd: float | None = Field(None, gt=0, description="null = no limit")


class Handoff(_Strict):
    """Handing a call to a person of the tenant's staff (the handoff console)."""

    wait_s: float = Field(
        60.0,
        gt=0,
        le=1800,
        description="How long a waiting handoff node holds the caller for a person to "
        "take the call before its on_timeout path runs (and the owner is told)",
    )
    announce: str | None = Field(
        "I'm putting you through to a member of our team now.",
        description="The one line the agent says when a person joins (null: nothing)",
    )


class TenantConfig(_Strict):
    """The validated contents of ``tenant.yaml``."""

    name: str = Field(min_length=1)
    language: str = "en-US"
    timezone: str = "UTC"
    country: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}$",
        description="ISO 3166 country (US, GB): phone numbers, public holidays; default: "
        "the timezone's country, else the language's region",
    )
    hours: Hours = Field(default_factory=Hours)
    greeting: str | None = Field(
        None,
        min_length=1,
        description="The opening line of flows that say {{ tenant.greeting }} (a template)",
    )
    services: dict[Slug, Service] = Field(
        default_factory=dict,
        description="What the business offers: said in prompts ({{ tenant.services }}) "
        "and offered as the choices of asks with choices_from: services",
    )
    flow: str = Field(min_length=1, description="The flow rooms run unless `flows` says else")
    providers: Providers = Field(default_factory=Providers)
    routing: Routing = Field(default_factory=Routing)
    flows: FlowRoutes = Field(default_factory=FlowRoutes)  # after routing: checked against it
    knowledge: Knowledge = Field(default_factory=Knowledge)
    analyzer: Analyzer = Field(default_factory=Analyzer)
    lead_scoring: LeadScoring = Field(default_factory=LeadScoring)
    notifications: Notifications = Field(default_factory=Notifications)
    recording: Recording = Field(default_factory=Recording)
    meeting_assistant: MeetingAssistant = Field(default_factory=MeetingAssistant)
    budget: Budget = Field(default_factory=Budget)
    handoff: Handoff = Field(default_factory=Handoff)

    @field_validator("flows")
    @classmethod
    def _campaign_flows_are_routed(cls, flows: FlowRoutes, info: ValidationInfo) -> FlowRoutes:
        routing = info.data.get("routing")
        routed = set(routing.campaigns) if isinstance(routing, Routing) else set()
        unrouted = sorted(set(flows.campaigns) - routed)
        if unrouted:
            raise ValueError(
                f"campaigns {unrouted} are not listed in routing.campaigns: no room of such "
                "a campaign would reach this tenant"
            )
        return flows

    def flow_for(self, source: Source | None = None, campaign: str | None = None) -> str:
        """The flow a room runs: its campaign's, else its source's, else ``flow``."""
        routes = self.flows
        by_source = getattr(routes, source) if source is not None else None
        return routes.campaigns.get(campaign or "") or by_source or self.flow

    def all_flows(self) -> list[str]:
        """Every flow id the tenant's rooms may run, ``flow`` first."""
        routes = self.flows
        named = [self.flow, routes.sip, routes.web, routes.meeting, *routes.campaigns.values()]
        return list(dict.fromkeys(f for f in named if f))

    @property
    def region(self) -> str | None:
        """The business's country (ISO 3166 alpha-2): ``country``, else the timezone's,
        else the language's region; None when none of them tells."""
        return region_for(self.country, self.timezone, self.language)

    def holiday_lookup(self, hours: Hours | None = None) -> HolidayLookup | None:
        """The public holiday on a date (its name), when ``hours.holidays`` (or those of
        the ``hours`` given) is set."""
        spec, region = (hours or self.hours).holidays, self.region
        if spec is None or (spec.country is None and region is None):
            return None
        return holiday_lookup(spec, spec.country or region or "")

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None and not is_region(value):
            raise ValueError(f"unknown country code {value!r} (ISO 3166, e.g. US or GB)")
        return value

    @field_validator("hours")
    @classmethod
    def _holidays_of_a_country(cls, hours: Hours, info: ValidationInfo) -> Hours:
        return _with_known_holidays(hours, info.data)

    @field_validator("routing")
    @classmethod
    def _calling_holidays_of_a_country(cls, routing: Routing, info: ValidationInfo) -> Routing:
        if routing.calling_hours is not None:
            if not any(routing.calling_hours.spans()):
                raise ValueError(
                    "calling_hours: no weekday is open, so no outbound call could ring "
                    "(leave calling_hours out to use `hours`)"
                )
            try:
                _with_known_holidays(routing.calling_hours, info.data)
            except ValueError as e:
                raise ValueError(f"calling_hours: {e}") from e
        return routing

    def calling_hours(self) -> Hours:
        """When outbound calls may ring: ``routing.calling_hours``, else ``hours``."""
        return self.routing.calling_hours or self.hours

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value not in known_timezones():
            raise ValueError(
                f"unknown timezone {value!r} (an IANA name such as 'Europe/London' or 'UTC')"
            )
        return value


def _with_known_holidays(hours: Hours, data: dict[str, Any]) -> Hours:
    """``hours``, once its public holidays are known for the tenant's country."""
    spec = hours.holidays
    if spec is None:
        return hours
    region = region_for(data.get("country"), data.get("timezone", ""), data.get("language", ""))
    if spec.country is None and region is None:
        raise ValueError(
            "holidays: set 'country' (here or at the top of tenant.yaml): the timezone "
            "and language do not tell the country"
        )
    try:
        holiday_lookup(spec, spec.country or region or "")
    except ValueError as e:
        raise ValueError(f"holidays: {e}") from e
    return hours


def tenant_json_schema() -> dict[str, Any]:
    """The JSON Schema of ``tenant.yaml`` (committed as ``tenants/schema.json``)."""
    schema = TenantConfig.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Frontdesk tenant",
        **schema,
    }
