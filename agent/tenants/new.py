"""``frontdesk tenant new ID``: a new business's tenant folder, ready to take calls.

:func:`scaffold` writes ``tenants/<id>/`` from a :class:`NewTenant` (the facts a
business gives: name, timezone, country, hours, phone number, services, documents):

- ``tenant.yaml``, commented, answering with the ``general_receptionist`` flow, with
  post-call call types matching that flow's slots;
- ``prompts/analyzer.txt`` (required once the analyzer has call types) and
  ``prompts/assistant.txt`` (used when an LLM is configured);
- ``knowledge/``: the documents given, copied; without any, ``about.md`` written from the
  facts above, so the tenant answers "when are you open?" at once.

The result passes ``frontdesk tenant check``. Hours are given compactly
(:func:`parse_hours`: ``"mon-fri 08:00-17:00; sat 09:00-12:00"``).
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from ..errors import TenantError
from ..phones import is_region
from .load import TENANT_FILE, TENANT_ID
from .model import WEEKDAYS, parse_range

DEFAULT_FLOW = "general_receptionist"
DEFAULT_SERVICES = ("an appointment",)
DEFAULT_GREETING = "{{ greeting_for_time_of_day }}, thank you for calling {{ tenant.name }}."
DEFAULT_GREETING = "{{ greeting_for_time_of_day }}, thank you for calling {{ tenant.name }}."
_DAY_NAMES = dict(zip(WEEKDAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                 "Saturday", "Sunday"), strict=True))  # fmt: skip


@dataclass(frozen=True)
class NewTenant:
    """What a business tells about itself to get a tenant."""

    id: str
    name: str
    timezone: str
    country: str
    hours: dict[str, str]  # weekday -> "HH:MM-HH:MM" (days not listed: closed)
    phone: str | None = None  # the number callers dial, E.164
    services: tuple[str, ...] = DEFAULT_SERVICES
    documents: tuple[Path, ...] = ()
    owner_email: str | None = None
    language: str = "en-US"
    flow: str = DEFAULT_FLOW
    greeting: str | None = None


@dataclass
class Scaffolded:
    """What :func:`scaffold` wrote."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    generated_about: bool = False


def parse_hours(text: str) -> dict[str, str]:
    """``"mon-fri 08:00-17:00; sat 09:00-12:00"`` -> ``{"mon": "08:00-17:00", ...}``.

    Entries are separated by ``;`` or ``,``; each is days (``mon``, ``mon-fri``,
    ``sat+sun``) and a range or ``closed``. Raises ValueError naming the bad entry."""
    hours: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in re.split(r"[;,]", text))):
        match = _ENTRY.fullmatch(entry.lower())
        if not match:
            raise ValueError(
                f"hours {entry!r}: write days and a range, e.g. 'mon-fri 08:00-17:00' "
                "or 'sun closed'"
            )
        days, h1, m1, h2, m2 = match.groups()
        span = "closed" if h1 is None else f"{int(h1):02d}:{m1}-{int(h2):02d}:{m2}"
        try:
            parse_range(span)  # "closing time must be after opening time" and the like
        except ValueError as e:
            raise ValueError(f"hours {entry!r}: {e}") from e
        for day in _days(days, entry):
            hours[day] = span
    return {day: hours[day] for day in WEEKDAYS if day in hours}


_ENTRY = re.compile(r"([a-z+\-]+)\s+(?:closed|(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2}))")


def _days(spec: str, entry: str) -> list[str]:
    found: list[str] = []
    for part in spec.split("+"):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"hours {entry!r}: days are mon, tue, wed, thu, fri, sat, sun")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise ValueError(f"hours {entry!r}: {first}-{last} runs backwards")
        found += WEEKDAYS[start : end + 1]
    return found


def normalize_phone(number: str, country: str) -> str:
    """The number callers dial, as E.164; raises ValueError when it cannot be one."""
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException as e:
        raise ValueError(f"phone number {number!r}: {e}") from e
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"phone number {number!r} is not a possible number in {country}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_timezone(zone: str) -> str:
    """``zone`` if the tz database knows it, else ValueError."""
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError(f"unknown timezone {zone!r} (e.g. America/New_York)") from e
    return zone


def check_country(country: str) -> str:
    """``country`` upper-cased if it is an ISO 3166 code libphonenumber knows."""
    if not is_region(country):
        raise ValueError(f"unknown country code {country!r} (ISO 3166, e.g. US or GB)")
    return country.upper()


def validate(new: NewTenant) -> None:
    """Raise ValueError for a fact that would make a broken tenant."""
    if not TENANT_ID.match(new.id):
        raise ValueError(f"tenant id {new.id!r}: use lowercase letters, digits and '-'")
    if not new.name.strip():
        raise ValueError("the business needs a name")
    check_timezone(new.timezone)
    check_country(new.country)
    if not any(span != "closed" for span in new.hours.values()):
        raise ValueError("give the opening hours of at least one day (e.g. mon-fri 09:00-17:00)")
    for path in new.documents:
        if not path.exists():
            raise ValueError(f"document {path} does not exist")


def scaffold(tenants_dir: Path, new: NewTenant) -> Scaffolded:
    """Write the tenant folder of ``new``; raises TenantError if it exists already."""
    validate(new)
    folder = tenants_dir / new.id
    if (folder / TENANT_FILE).exists():
        raise TenantError(f"{folder / TENANT_FILE} exists already: pick another id", path=None)
    done = Scaffolded(folder)
    _write(done, TENANT_FILE, tenant_yaml(new))
    _write(done, "prompts/analyzer.txt", ANALYZER_PROMPT.format(name=new.name))
    _write(done, "prompts/assistant.txt", ASSISTANT_PROMPT)
    knowledge = folder / "knowledge"
    knowledge.mkdir(parents=True, exist_ok=True)
    for source in new.documents:
        files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for file in files:
            target = knowledge / (file.relative_to(source) if source.is_dir() else file.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file, target)
            done.files.append(target)
    if not new.documents:
        _write(done, "knowledge/about.md", about_document(new))
        done.generated_about = True
    return done


def _write(done: Scaffolded, name: str, text: str) -> None:
    path = done.folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    done.files.append(path)


def _q(value: str) -> str:
    """A YAML scalar that stays a string whatever it holds (JSON strings are YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _slug(name: str, taken: set[str]) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    words = [w for w in words if w not in ("a", "an", "the", "and", "of", "for")] or ["service"]
    slug = "-".join(words)[:40].strip("-")
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    taken.add(candidate)
    return candidate


def tenant_yaml(new: NewTenant) -> str:
    """The commented ``tenant.yaml`` of a new tenant."""
    hours = "\n".join(f"  {day}: {_q(new.hours.get(day, 'closed'))}" for day in WEEKDAYS)
    taken: set[str] = set()
    services = "\n".join(
        f"  {_slug(s, taken)}: {{name: {_q(s)}}}  # also: [other words callers use]"
        for s in new.services
    )
    greeting = new.greeting or DEFAULT_GREETING
    phones = f"[{_q(new.phone)}]" if new.phone else "[]"
    owner = "# owner_email: you@example.com"
    if new.owner_email:
        owner = f"owner_email: {_q(new.owner_email)}"
    return TENANT_TEMPLATE.format(
        id=new.id, title=new.name.replace("\n", " "), name=_q(new.name),
        language=_q(new.language), timezone=_q(new.timezone), country=new.country.upper(),
        hours=hours, greeting=_q(greeting), flow=new.flow, services=services, phones=phones,
        owner=owner,
    )  # fmt: skip


def about_document(new: NewTenant) -> str:
    """A first knowledge document from the facts given (hours, phone, services)."""
    days = "\n".join(
        f"- {_DAY_NAMES[day]}: {_said_range(new.hours.get(day, 'closed'))}" for day in WEEKDAYS
    )
    phone = ""
    if new.phone:
        national = phonenumbers.format_number(
            phonenumbers.parse(new.phone, None), phonenumbers.PhoneNumberFormat.NATIONAL
        )
        phone = f"\n## Contact\n\nCall us on {national}.\n"
    offered = "\n".join(f"- {s[0].upper()}{s[1:]}" for s in new.services)
    return (
        f"# About {new.name}\n\n"
        "<!-- Written by `frontdesk tenant new` from what you told it. Add your own\n"
        "documents to this folder (.md .txt .html .pdf .docx): prices, policies, how to\n"
        "find you. Callers' questions are answered from them. -->\n\n"
        f"## Opening hours\n\n{days}\n{phone}\n## What we offer\n\n{offered}\n"
    )


def _said_range(span: str) -> str:
    return "closed" if span == "closed" else span.replace("-", " to ")


TENANT_TEMPLATE = """\
# {title}: scaffolded by `frontdesk tenant new {id}`.
# Schema: tenants/schema.json; check with `uv run frontdesk tenant check {id}`.
name: {name}
language: {language}
timezone: {timezone}
country: {country}  # phone numbers said without a country code, public holidays
hours:
{hours}
  # A day may carry a note callers hear, and may take no appointments:
  #   sat: {{open: "09:00-12:00", note: "emergencies only", appointments: false}}
  # Closed on public holidays (all of the country's, or only those named):
  #   holidays: {{only: [New Year's Day, Thanksgiving Day, Christmas Day]}}
  # Exceptional days: closed, or open as `open` says:
  #   exceptions:
  #     - {{date: 2026-12-24, note: "Christmas Eve"}}
  #     - {{from: 2026-08-10, to: 2026-08-14, note: "our staff training week"}}
# The flow's opening line (a template: {{{{ greeting_for_time_of_day }}}}, {{{{ tenant.name }}}})
greeting: {greeting}
flow: {flow}  # flows/{flow}.yaml, or your own copy in tenants/{id}/flows/
# What you offer: said to callers ({{{{ tenant.services }}}}) and offered as the
# appointment's choices. `also` lists other words callers use for a service.
services:
{services}
providers: {{stt: null, tts: null, llm: null, voice: null}}
routing:
  phone_numbers: {phones}  # the numbers callers dial (E.164)
knowledge:
  threshold: 0.5  # below this confidence the receptionist says it does not know
analyzer:
  # Field names match the general_receptionist flow's slots: a slot the flow filled is
  # the field's value. prompts/analyzer.txt is required while there are call types.
  call_types:
    appointment:
      description: "The caller books an appointment"
      fields:
        service: {{type: text, description: "What the appointment is for", required: true}}
        appointment_at: {{type: datetime, description: "When the appointment is", required: true}}
        name: {{type: name, required: true}}
        phone: {{type: phone}}
    callback:
      description: "The caller asks to be called back"
      fields:
        name: {{type: name, required: true}}
        phone: {{type: phone, required: true}}
        callback_at: {{type: datetime, description: "When to call back"}}
    message:
      description: "The caller leaves a message for the team"
      fields:
        message: {{type: text, description: "The message", required: true}}
        name: {{type: name, required: true}}
        phone: {{type: phone}}
    question:
      description: "A question about the business, with no booking"
      fields:
        topic: {{type: text, description: "What the caller asked about"}}
lead_scoring:
  rules:
    - {{label: "booked an appointment", points: 40, slot: appointment_at}}
    - {{label: "asked about prices", points: 10, keywords: ["price", "cost", "how much"]}}
  priorities: {{high: 60, medium: 30}}
notifications:
  {owner}
  customer_confirmation: false
recording:
  enabled: false
"""

ANALYZER_PROMPT = """\
You analyse a phone call to the receptionist of {name}. Decide the call type from what
the caller wanted (an appointment, a call back, a message, or a question), fill the
fields from what the caller said, and summarise the call in two sentences for the team.
Use only what was said in the call; leave a field empty rather than guess.
"""

ASSISTANT_PROMPT = """\
You are the receptionist of {{ tenant.name }} on the phone. Be brief, warm and plain:
every line is spoken. Never invent facts, prices or times: say only what the business's
documents say, and offer a call back from the team when you do not know.
Opening hours ({{ tenant.timezone }}): {{ tenant.hours }}.
"""
