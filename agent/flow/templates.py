"""Flow text templates: sandboxed Jinja2 rendering and the load-time variable check.

Templates see three names: ``tenant`` (a :class:`TenantInfo`), ``slots`` (the slots filled
so far) and ``greeting_for_time_of_day`` ("Good morning" ... in the tenant's timezone).
A ``clarify`` node's templates also see ``clarify.options`` and ``clarify.heard``.
Undefined names fail loudly (``StrictUndefined``), and :func:`find_template_problems` finds
them, and unknown ``tenant.*`` fields or undeclared ``slots.*``, before a call starts. The
sandbox cannot build huge values (:mod:`agent.bounded_jinja`): an expression that would
from its constants (``{{ 9**9**9 }}``) is a load error at its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, meta, nodes

from ..bounded_jinja import BoundedSandbox, huge_constant_problems
from ..errors import TenantError
from .model import ClarifyNode, Node
from .opening import OpeningHours, Span

GREETING = "greeting_for_time_of_day"
CLARIFY_FIELDS = frozenset({"options", "heard"})
Extra = Mapping[str, Mapping[str, str]]


@dataclass(frozen=True)
class TenantInfo:
    """The tenant facts a template may read as ``tenant.<field>``."""

    name: str
    timezone: str = "UTC"
    language: str = "en-US"


TENANT_FIELDS = frozenset(f.name for f in fields(TenantInfo))


class _HoursLike(Protocol):
    def spans(self) -> tuple[Span | None, ...]: ...


class _TenantConfigLike(Protocol):
    @property
    def timezone(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def hours(self) -> _HoursLike: ...


class TenantLike(Protocol):
    """What :meth:`TemplateContext.for_tenant` needs of a tenant (``agent.tenants.Tenant``)."""

    @property
    def name(self) -> str: ...
    @property
    def config(self) -> _TenantConfigLike: ...


@dataclass(frozen=True)
class TemplateContext:
    """The per-call facts templates are rendered with (time comes from the machine's
    clock), and the tenant's opening hours (None: not given), which asks with
    ``business_hours`` check times against."""

    tenant: TenantInfo
    hours: OpeningHours | None = None

    def __post_init__(self) -> None:
        _zone(self.tenant.timezone)  # fail when the call is prepared, not mid-sentence

    @classmethod
    def for_tenant(cls, tenant: TenantLike) -> TemplateContext:
        """The context for a loaded tenant (``agent.tenants.Tenant``)."""
        config = tenant.config
        info = TenantInfo(name=tenant.name, timezone=config.timezone, language=config.language)
        return cls(tenant=info, hours=OpeningHours.from_spans(config.hours.spans()))

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

    def render(
        self, source: str, *, slots: Mapping[str, str], now: datetime, extra: Extra | None = None
    ) -> str:
        """Render ``source``; raises a ``jinja2.TemplateError`` (e.g. an unfilled slot).
        ``extra`` adds node-specific names (``clarify``)."""
        template = self._compiled.get(source)
        if template is None:
            template = self._compiled[source] = self._env.from_string(source)
        text = template.render(
            tenant=self._context.tenant,
            slots=SlotView(slots),
            greeting_for_time_of_day=greeting_for_time_of_day(now.astimezone(self._context.tz)),
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
