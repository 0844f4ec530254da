"""Flow text templates: sandboxed Jinja2 rendering and the load-time variable check.

Templates see three names: ``tenant`` (a :class:`TenantInfo`), ``slots`` (the slots filled
so far) and ``greeting_for_time_of_day`` ("Good morning" ... in the tenant's timezone).
``tenant.greeting`` is the tenant's own opening line (its ``greeting:``, itself a template
of ``tenant.name`` and ``greeting_for_time_of_day``), else :data:`DEFAULT_GREETING`;
``tenant.services`` says what it offers ("a cleaning, a filling or an emergency visit").
A ``clarify`` node's templates also see ``clarify.options`` and ``clarify.heard``.
Undefined names fail loudly (``StrictUndefined``), and :func:`find_template_problems` finds
them, and unknown ``tenant.*`` fields or undeclared ``slots.*``, before a call starts. The
sandbox cannot build huge values (:mod:`agent.bounded_jinja`): an expression that would
from its constants (``{{ 9**9**9 }}``) is a load error at its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes

from ..bounded_jinja import BoundedSandbox, huge_constant_problems
from ..errors import TenantError
from .model import ClarifyNode, Node
from .opening import OpeningHours

GREETING = "greeting_for_time_of_day"
DEFAULT_GREETING = "{{ greeting_for_time_of_day }}, thanks for calling {{ tenant.name }}."
CLARIFY_FIELDS = frozenset({"options", "heard"})
Extra = Mapping[str, Mapping[str, str]]
Services = Mapping[str, tuple[str, ...]]  # id -> (name as said, other words for it)


@dataclass(frozen=True)
class TenantInfo:
    """The tenant facts a template may read as ``tenant.<field>`` (and expressions too).
    ``greeting`` is filled in when a template is rendered (see :class:`TemplateRenderer`);
    ``services`` is the spoken list of what the tenant offers; ``country`` its ISO 3166
    code ("" when unknown)."""

    name: str
    timezone: str = "UTC"
    language: str = "en-US"
    country: str = ""
    greeting: str = ""
    services: str = ""


TENANT_FIELDS = frozenset(f.name for f in fields(TenantInfo))


@dataclass(frozen=True)
class TemplateContext:
    """The per-call facts templates are rendered with (time comes from the machine's
    clock); the tenant's opening hours (None: not given), which asks with
    ``business_hours`` check times against; its greeting (a template source); its
    services (the choices of asks with ``choices_from: services``); and the country
    calling code its phone asks read national numbers in ("1", "44"; None: unknown)."""

    tenant: TenantInfo
    hours: OpeningHours | None = None
    greeting: str = DEFAULT_GREETING
    services: Services = field(default_factory=dict)
    country_code: str | None = None

    def __post_init__(self) -> None:
        _zone(self.tenant.timezone)  # fail when the call is prepared, not mid-sentence

    @property
    def tz(self) -> tzinfo:
        return _zone(self.tenant.timezone)


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC  # works without a tz database
    if name not in _known_zones():
        raise TenantError(f"unknown timezone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as e:
        raise TenantError(f"unknown timezone {name!r}") from e


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def greeting_for_time_of_day(now: datetime) -> str:
    """Good morning (5-11h), Good afternoon (12-17h) or Good evening, at ``now``."""
    if now.tzinfo is None:
        raise ValueError("greeting_for_time_of_day needs a timezone-aware datetime")
    if 5 <= now.hour < 12:
        return "Good morning"
    if 12 <= now.hour < 18:
        return "Good afternoon"
    return "Good evening"


class SlotView:
    """The slots as templates see them: ``slots.items`` is the slot named "items", never
    a dict method (a plain dict would render ``<built-in method items ...>``)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = dict(values)

    def __getattr__(self, name: str) -> str:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def __contains__(self, name: object) -> bool:
        return name in self._values


def _environment() -> BoundedSandbox:
    return BoundedSandbox(undefined=StrictUndefined, autoescape=False)


class TemplateRenderer:
    """Renders flow templates for one call; compiled templates are cached by source."""

    def __init__(self, context: TemplateContext) -> None:
        self._context = context
        self._env = _environment()
        self._compiled: dict[str, Template] = {}

    def _template(self, source: str) -> Template:
        template = self._compiled.get(source)
        if template is None:
            template = self._compiled[source] = self._env.from_string(source)
        return template

    def render(
        self, source: str, *, slots: Mapping[str, str], now: datetime, extra: Extra | None = None
    ) -> str:
        """Render ``source``; raises a ``jinja2.TemplateError`` (e.g. an unfilled slot).
        ``extra`` adds node-specific names (``clarify``)."""
        greeting = greeting_for_time_of_day(now.astimezone(self._context.tz))
        tenant = self._context.tenant
        opening = self._template(self._context.greeting).render(
            tenant=tenant, greeting_for_time_of_day=greeting
        )
        text = self._template(source).render(
            tenant=replace(tenant, greeting=" ".join(opening.split())),
            slots=SlotView(slots),
            greeting_for_time_of_day=greeting,
            **{name: dict(values) for name, values in (extra or {}).items()},
        )
        return " ".join(text.split())  # speech: one line, single spaces


@dataclass(frozen=True)
class TemplateProblem:
    """Why a template cannot render; ``line`` counts from 1 inside the template."""

    message: str
    line: int = 1


def find_template_problems(
    source: str, *, slots: frozenset[str], extra: Mapping[str, frozenset[str]] | None = None
) -> tuple[TemplateProblem, ...]:
    """Syntax errors and unknown variables in ``source``, given the flow's declared slots
    and the node's ``extra`` names with their fields."""
    extra = extra or {}
    env = _environment()
    try:
        env.from_string(source)  # compiling also catches unknown filters and tests
        ast = env.parse(source)
    except TemplateSyntaxError as e:
        return (TemplateProblem(f"template syntax error: {e.message}", e.lineno or 1),)
    known = {"tenant", "slots", GREETING, *extra}
    names = sorted(meta.find_undeclared_variables(ast) - known)
    problems = [
        TemplateProblem(
            f"undefined template variable {name!r} (use {', '.join(sorted(known))})",
            min(n.lineno for n in ast.find_all(nodes.Name) if n.name == name),
        )
        for name in names
    ]
    problems.extend(_attribute_problems(ast, {"tenant": TENANT_FIELDS, "slots": slots, **extra}))
    problems.extend(TemplateProblem(p.message, p.line) for p in huge_constant_problems(ast, env))
    return tuple(problems)


def reads_tenant_field(source: str, name: str) -> bool:
    """Whether the template ``source`` reads ``tenant.<name>`` (False if it does not parse)."""
    try:
        ast = _environment().parse(source)
    except TemplateSyntaxError:
        return False
    return any(
        isinstance(node.node, nodes.Name) and node.node.name == "tenant" and node.attr == name
        for node in ast.find_all(nodes.Getattr)
    )


def node_template_problems(
    node: Node, *, slots: frozenset[str]
) -> list[tuple[tuple[str | int, ...], TemplateProblem]]:
    """The problems of every template in ``node``, each with its field: ``("text",)``,
    ``("prompt",)``, ``("reprompts", i)``, ..."""
    extra = {"clarify": CLARIFY_FIELDS} if isinstance(node, ClarifyNode) else {}
    return [
        (field, problem)
        for field, source in node.templates()
        for problem in find_template_problems(source, slots=slots, extra=extra)
    ]


def _attribute_problems(
    ast: nodes.Template, allowed: Mapping[str, frozenset[str]]
) -> list[TemplateProblem]:
    problems: list[TemplateProblem] = []
    for node in ast.find_all((nodes.Getattr, nodes.Getitem)):
        if not isinstance(node, nodes.Getattr | nodes.Getitem):
            continue
        owner = node.node
        if not isinstance(owner, nodes.Name) or owner.name not in allowed:
            continue
        attr = node.attr if isinstance(node, nodes.Getattr) else _const_key(node)
        if attr is not None and attr not in allowed[owner.name]:
            known = ", ".join(sorted(allowed[owner.name])) or "none"
            message = f"undefined template variable '{owner.name}.{attr}' (known: {known})"
            problems.append(TemplateProblem(message, node.lineno))
    return problems


def _const_key(node: nodes.Getitem) -> str | None:
    arg = node.arg
    return arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else None
