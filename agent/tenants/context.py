"""What a call's flow knows of its tenant: the template context built from ``tenant.yaml``.

The flow engine reads tenants through :class:`~agent.flow.templates.TemplateContext`
only (name, timezone, country, greeting, services, opening hours); this module is where
the tenant file's sections become those plain facts.
"""

from __future__ import annotations

from ..flow.opening import Day, OpeningHours, SpecialDay
from ..flow.templates import DEFAULT_GREETING, TemplateContext, TenantInfo
from ..phones import calling_code
from .load import Tenant
from .model import WEEKDAYS, Hours, TenantConfig, Weekday, parse_range


def template_context(tenant: Tenant) -> TemplateContext:
    """The context a call of ``tenant`` renders its flow's lines with."""
    config = tenant.config
    region = config.region
    info = TenantInfo(
        name=tenant.name,
        timezone=config.timezone,
        language=config.language,
        country=region or "",
        services=spoken_list([s.name for s in config.services.values()]),
    )
    return TemplateContext(
        tenant=info,
        hours=opening_hours(config),
        greeting=config.greeting or DEFAULT_GREETING,
        services={key: (s.name, *s.also) for key, s in config.services.items()},
        country_code=calling_code(region),
    )


def opening_hours(config: TenantConfig) -> OpeningHours | None:
    """The tenant's weekly hours, exceptional days and public holidays, as the flow checks
    times against them (None: no hours given)."""
    return hours_of(config, config.hours)


def calling_window(config: TenantConfig) -> OpeningHours | None:
    """When the tenant's outbound calls may ring: ``routing.calling_hours``, else its
    opening hours (None: no hours given, any time)."""
    return hours_of(config, config.calling_hours())


def hours_of(config: TenantConfig, hours: Hours) -> OpeningHours | None:
    """``hours`` (the tenant's, or its calling hours) as times are checked against them."""
    days = [_day(hours, weekday) for weekday in WEEKDAYS]
    special = [
        SpecialDay(s.first, s.last, Day(parse_range(s.open), s.note or "", s.appointments))
        for s in hours.exceptions
    ]
    return OpeningHours.from_spans(days, special=special, holiday=config.holiday_lookup(hours))


def _day(hours: Hours, weekday: Weekday) -> Day:
    spec = hours.day(weekday)
    return Day(parse_range(spec.open), spec.note or "", spec.appointments)


def spoken_list(items: list[str], conjunction: str = "or") -> str:
    """ "a, b or c" (no serial comma: it is heard, not read)."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
