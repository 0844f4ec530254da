"""``prompts/assistant.txt``: the LLM's instructions for one tenant's calls.

The file is a Jinja2 template (sandboxed, :mod:`agent.bounded_jinja`) of ``tenant``:
``tenant.name``, ``tenant.hours`` (the week's opening hours as said: "Monday closed;
Tuesday 7:30 a.m. to 6 p.m.; ..."), ``tenant.timezone``, ``tenant.country``
(ISO 3166, "" when unknown) and ``tenant.services`` ("a cut or a colour"). An LLM-assisted
call's assistant gets it after its fixed rules and before each node's instructions.
A syntax error or an unknown variable is a :class:`TenantError` naming ``file:line``.
"""

from __future__ import annotations

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes

from ..bounded_jinja import BoundedSandbox, huge_constant_problems
from ..errors import TenantError
from ..flow.opening import say_time
from .context import spoken_list
from .load import Tenant
from .model import WEEKDAYS, parse_range

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FIELDS = ("name", "hours", "timezone", "country", "services")


def spoken_hours(tenant: Tenant) -> str:
    """The week's opening hours as a line to say: "Monday closed; Tuesday 8 a.m. to ..."."""
    hours = tenant.config.hours
    parts = []
    for weekday, name in zip(WEEKDAYS, DAY_NAMES, strict=True):
        day = hours.day(weekday)
        span = parse_range(day.open)
        said = "closed" if span is None else f"{say_time(span[0])} to {say_time(span[1])}"
        note = f" ({day.note})" if day.note else ""
        parts.append(f"{name} {said}{note}")
    return "; ".join(parts)


def tenant_facts(tenant: Tenant) -> dict[str, str]:
    """What an assistant prompt may read as ``tenant.<field>``."""
    config = tenant.config
    return {
        "name": tenant.name,
        "hours": spoken_hours(tenant),
        "timezone": config.timezone,
        "country": config.region or "",
        "services": spoken_list([s.name for s in config.services.values()]),
    }


def assistant_instructions(tenant: Tenant) -> str | None:
    """The tenant's rendered ``prompts/assistant.txt``, or None when it has none.
    Blocking (reads the file)."""
    source = tenant.prompt("assistant")
    if source is None:
        return None
    path = tenant.prompt_path("assistant")
    env = BoundedSandbox(undefined=StrictUndefined, autoescape=False)
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as e:
        raise TenantError(f"{path}:{e.lineno}: template syntax error: {e.message}") from e
    for problem in huge_constant_problems(ast, env):
        raise TenantError(f"{path}:{problem.line}: {problem.message}")
    known = ", ".join(f"tenant.{f}" for f in FIELDS)
    for name in sorted(meta.find_undeclared_variables(ast) - {"tenant"}):
        line = min(n.lineno for n in ast.find_all(nodes.Name) if n.name == name)
        raise TenantError(f"{path}:{line}: undefined template variable {name!r} (use {known})")
    for attr in ast.find_all(nodes.Getattr):
        owner = attr.node
        if isinstance(owner, nodes.Name) and owner.name == "tenant" and attr.attr not in FIELDS:
            raise TenantError(
                f"{path}:{attr.lineno}: undefined template variable 'tenant.{attr.attr}' "
                f"(known: {known})"
            )
    try:
        text = env.from_string(source).render(tenant=tenant_facts(tenant))
    except TemplateError as e:
        raise TenantError(f"{path}: cannot render: {e}") from e
    return text.strip() or None
