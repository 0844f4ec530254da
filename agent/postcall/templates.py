"""Notification texts: Jinja2 templates per tenant, with defaults in the package.

A tenant may ship ``tenants/<id>/templates/owner_summary.txt`` and
``customer_confirmation.txt``; a missing one falls back to
``agent/postcall/default_templates/``. A template's first line may be
``Subject: ...``; the rest is the plain-text body. Undefined variables are errors, so a
typo in a tenant template fails the notification with the template's name and line.
Templates run sandboxed and cannot build huge values (:mod:`agent.bounded_jinja`).

Variables: ``tenant`` (id, name), ``call`` (id, source, caller, started_at in ISO,
started in the tenant's time, duration), ``analysis`` (call_type, fields, summary,
sentiment, meeting), ``method`` (llm/deterministic), ``lead`` (contact, score, priority,
reasons; may be None) and ``transcript_link`` (the command that shows the call,
``frontdesk calls show <id>``: the dispatcher has no call page yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import jinja2

from ..bounded_jinja import BoundedSandbox
from ..errors import TenantError

TemplateName = Literal["owner_summary", "customer_confirmation"]
DEFAULTS = Path(__file__).with_name("default_templates")


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str


@lru_cache(maxsize=64)
def _environment(tenant_dir: Path) -> BoundedSandbox:
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(tenant_dir / "templates"),
        jinja2.FileSystemLoader(DEFAULTS),
    ])  # fmt: skip
    return BoundedSandbox(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text email
        keep_trailing_newline=True,
        trim_blocks=False,
    )


def render_email(
    tenant_dir: Path, name: TemplateName, context: Mapping[str, object], *, default_subject: str
) -> RenderedEmail:
    """Render ``<name>.txt`` for the tenant in ``tenant_dir`` (blocking: reads files)."""
    try:
        template = _environment(tenant_dir).get_template(f"{name}.txt")
        text = template.render(context)
    except jinja2.TemplateSyntaxError as e:
        raise TenantError(f"template error: {e.message}", path=e.filename, line=e.lineno) from e
    except jinja2.TemplateError as e:
        raise TenantError(f"template {name}.txt of {tenant_dir.name}: {e}") from e
    first, _, rest = text.partition("\n")
    if first.lower().startswith("subject:"):
        return RenderedEmail(subject=first.split(":", 1)[1].strip(), text=rest.lstrip("\n"))
    return RenderedEmail(subject=default_subject, text=text)
