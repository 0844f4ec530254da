"""``frontdesk tenant check``: a tenant file and everything it references.

A tenant passes when its ``tenant.yaml`` validates, its flow loads, its prompts and
templates are readable (and present where referenced: ``prompts/assistant.txt``, a
template of the tenant's facts that renders, when it uses an LLM; ``prompts/analyzer.txt``
when it defines call types), every knowledge
document parses, its opening hours are given when a flow books within them, every
webhook has a ``secret_env`` (or says ``allow_unsigned: true``), and no routing key is
claimed by another tenant. Each problem is one ``file[:line]: message`` string. A
lead-scoring rule reading a slot the tenant's flow never fills, a webhook sent unsigned
because its tenant allows it, and a ``secret_env`` not set in this environment are
warnings, not problems. :func:`report_webhooks` logs the webhook findings of every
tenant when the worker or an outbox processor starts.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import jinja2

from ..bounded_jinja import BoundedSandbox, huge_constant_problems
from ..errors import FrontdeskError, KnowledgeError
from ..flow.model import AskNode, Flow
from ..flow.templates import find_template_problems, reads_tenant_field
from ..yamlfile import SourceLines
from .assistant import assistant_instructions
from .flows import load_tenant_flow
from .load import Tenant, known_tenants, load_tenant, tenant_lines
from .registry import TenantRegistry

logger = logging.getLogger("frontdesk.tenants")

# A knowledge reader: the documents' problems, by file (set by agent.knowledge, which
# imports this package; a callable keeps the dependency one way).
KnowledgeProbe = Callable[[Path], list[KnowledgeError]]


def check_tenants(
    tenants_dir: Path,
    flows_dir: Path,
    ids: list[str] | None = None,
    *,
    knowledge: KnowledgeProbe | None = None,
) -> dict[str, list[str]]:
    """Problems per tenant id (an empty list: the tenant passes)."""
    ids = ids if ids is not None else known_tenants(tenants_dir)
    results: dict[str, list[str]] = {}
    loaded: list[Tenant] = []
    for tenant_id in ids:
        try:
            tenant = load_tenant(tenants_dir, tenant_id)
        except FrontdeskError as e:
            results[tenant_id] = [str(e)]
            continue
        loaded.append(tenant)
        results[tenant_id] = check_tenant(tenant, flows_dir, knowledge=knowledge)
    for tenant_id, problem in _shared_keys(tenants_dir, loaded):
        results[tenant_id].append(problem)
    return results


def check_tenant(
    tenant: Tenant, flows_dir: Path, *, knowledge: KnowledgeProbe | None = None
) -> list[str]:
    """Everything wrong with a loaded tenant's references."""
    problems: list[str] = []
    lines = tenant_lines(tenant)
    flows: list[Flow] = []
    for flow_id, loc in _routed_flows(tenant):  # `flow`, then those `flows` routes to
        line, field = lines.locate(loc)
        try:
            flow = load_tenant_flow(tenant, flows_dir, flow_id)
        except FrontdeskError as e:
            problems.append(f"{tenant.path}:{line}: {field}: flow {flow_id!r} does not load: {e}")
            continue
        flows.append(flow)
        problems += _hours_needed(tenant, flow, lines.locate(("hours",))[0])
        problems += _services_needed(tenant, flow)
    problems += _prompts(tenant, lines)
    problems += _templates(tenant)
    problems += _greeting(tenant, flows)
    problems += webhook_findings(tenant)[0]
    if tenant.knowledge_dir.is_dir():
        if knowledge is not None:
            problems += [str(e) for e in knowledge(tenant.knowledge_dir)]
    elif answering := [
        f"{f.id} ({', '.join(f.uses_knowledge())})" for f in flows if f.uses_knowledge()
    ]:
        problems.append(
            f"{tenant.knowledge_dir}: missing: flow {', '.join(answering)} answers questions "
            "from the tenant's documents; add them there (.md, .txt, .html, .pdf, .docx)"
        )
    return problems


def _routed_flows(tenant: Tenant) -> list[tuple[str, tuple[str, ...]]]:
    """Each flow the tenant's rooms may run, with the field that names it (first one)."""
    routes = tenant.config.flows
    named: list[tuple[str | None, tuple[str, ...]]] = [
        (tenant.config.flow, ("flow",)),
        (routes.sip, ("flows", "sip")),
        (routes.web, ("flows", "web")),
        (routes.meeting, ("flows", "meeting")),
        *((flow, ("flows", "campaigns", c)) for c, flow in routes.campaigns.items()),
    ]
    found: dict[str, tuple[str, ...]] = {}
    for flow_id, loc in named:
        if flow_id and flow_id not in found:
            found[flow_id] = loc
    return list(found.items())


def _hours_needed(tenant: Tenant, flow: Flow, line: int) -> list[str]:
    """A flow that takes times only within business hours needs the tenant's hours."""
    if any(tenant.config.hours.spans()):
        return []
    return [
        f"{tenant.path}:{line}: hours: flow {flow.id!r}, node {node_id!r} takes only times when "
        "the business is open (business_hours: true), but no day has opening hours"
        for node_id, node in flow.nodes.items()
        if isinstance(node, AskNode) and node.business_hours
    ]


def _services_needed(tenant: Tenant, flow: Flow) -> list[str]:
    """A flow that offers the tenant's services as choices needs the tenant to list them."""
    if tenant.config.services:
        return []
    return [
        f"{tenant.path}: services: flow {flow.id!r}, node {node_id!r} offers the tenant's "
        "services as choices (choices_from: services), but tenant.yaml lists none"
        for node_id, node in flow.nodes.items()
        if isinstance(node, AskNode) and node.choices_from == "services"
    ]


def _greeting(tenant: Tenant, flows: list[Flow]) -> list[str]:
    """The greeting is a template of ``tenant.name`` and ``greeting_for_time_of_day``,
    and some flow of the tenant must say it (``{{ tenant.greeting }}``)."""
    source = tenant.config.greeting
    if source is None:
        return []
    where = f"{tenant.path}: greeting"
    problems = [f"{where}: {p.message}" for p in find_template_problems(source, slots=frozenset())]
    if reads_tenant_field(source, "greeting"):
        problems.append(f"{where}: the greeting cannot say {{{{ tenant.greeting }}}} itself")
    if flows and not any(speaks_greeting(flow) for flow in flows):
        names = ", ".join(repr(f.id) for f in flows)
        problems.append(
            f"{where}: no flow of the tenant says it ({names}): open a flow with "
            "{{ tenant.greeting }} (the shipped receptionists do), or remove the greeting"
        )
    return problems


def speaks_greeting(flow: Flow) -> bool:
    """Whether some line of ``flow`` says the tenant's greeting."""
    return any(
        reads_tenant_field(source, "greeting")
        for node in flow.nodes.values()
        for _, source in node.templates()
    )


def scoring_warnings(tenant: Tenant, flows_dir: Path) -> list[str]:
    """Lead-scoring rules that read a slot none of the tenant's flows fills (they never
    score)."""
    flows = tenant.config.all_flows()
    declared: set[str] = set()
    try:
        for flow_id in flows:
            declared |= load_tenant_flow(tenant, flows_dir, flow_id).declared_slots()
    except FrontdeskError:
        return []  # reported as a problem by check_tenant
    warnings = []
    for i, rule in enumerate(tenant.config.lead_scoring.rules):
        expression = rule.expression()
        read = {rule.slot} if rule.slot else set()
        if expression is not None:
            read |= {v.split(".", 1)[1] for v in expression.variables() if "." in v}
        for slot in sorted(read - declared):
            warnings.append(
                f"{tenant.path}: lead_scoring.rules.{i} ({rule.label!r}) reads slot {slot!r}, "
                f"which no flow of the tenant ({', '.join(flows)}) fills"
            )
    return warnings


def webhook_findings(tenant: Tenant) -> tuple[list[str], list[str]]:
    """Problems (a webhook with no secret and no ``allow_unsigned``: it is never sent)
    and warnings (one sent unsigned as allowed; a ``secret_env`` not set here)."""
    problems: list[str] = []
    warnings: list[str] = []
    hooks = tenant.config.notifications.webhooks
    lines = tenant_lines(tenant) if hooks else None
    for i, hook in enumerate(hooks):
        assert lines is not None
        line, field = lines.locate(("notifications", "webhooks", i))
        where = f"{tenant.path}:{line}: {field}"
        if hook.secret_env is None and not hook.allow_unsigned:
            problems.append(
                f"{where}: webhook {hook.url} has no secret_env, so it is never sent "
                "(refused unsigned); give it a secret_env, or set allow_unsigned: true"
            )
        elif hook.secret_env is None:
            warnings.append(f"{where}: webhook {hook.url} is sent unsigned (allow_unsigned)")
        elif not os.environ.get(hook.secret_env):
            warnings.append(
                f"{where}: {hook.secret_env} is not set here, so webhook {hook.url} fails "
                "until it is"
            )
    return problems, warnings


def report_webhooks(registry: TenantRegistry) -> None:
    """Log every tenant's unsigned webhooks (at start: worker, outbox processor)."""
    for tenant in registry.all():
        for hook in tenant.config.notifications.webhooks:
            if hook.secret_env is not None:
                continue
            extra = {"tenant": tenant.id, "url": hook.url}
            if hook.allow_unsigned:
                logger.warning("webhook sent unsigned", extra=extra)
            else:
                logger.error("webhook refused: no secret_env", extra=extra)


def _prompts(tenant: Tenant, lines: SourceLines) -> list[str]:
    needed = {
        "assistant": (tenant.config.providers.llm not in (None, "none"), ("providers", "llm")),
        "analyzer": (bool(tenant.config.analyzer.call_types), ("analyzer", "call_types")),
    }
    problems = []
    for name, (required, loc) in needed.items():
        path = tenant.prompt_path(name)
        why = "the tenant uses an LLM" if name == "assistant" else "analyzer has call types"
        if required and not path.is_file():
            line, field = lines.locate(loc)
            problems.append(f"{tenant.path}:{line}: {field}: {path}: missing ({why})")
            continue
        try:
            text = tenant.prompt(name)
        except FrontdeskError as e:
            problems.append(str(e))
            continue
        if text is not None and not text.strip():
            problems.append(f"{path}:1: prompt is empty")
        elif text is not None and name == "assistant":
            try:  # a template of the tenant's name, hours, ... (see .assistant)
                assistant_instructions(tenant)
            except FrontdeskError as e:
                problems.append(str(e))
    return problems


def _templates(tenant: Tenant) -> list[str]:
    folder = tenant.folder / "templates"
    if not folder.is_dir():
        return []
    env = BoundedSandbox(autoescape=False)
    problems = []
    for path in sorted(folder.glob("*.txt")):
        try:
            ast = env.parse(path.read_text(encoding="utf-8"))
        except jinja2.TemplateSyntaxError as e:
            problems.append(f"{path}:{e.lineno}: template: {e.message}")
            continue
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"{path}:1: cannot read template: {e}")
            continue
        problems += [f"{path}:{p.line}: {p.message}" for p in huge_constant_problems(ast, env)]
    return problems


def _shared_keys(tenants_dir: Path, loaded: list[Tenant]) -> list[tuple[str, str]]:
    """Routing keys claimed by more than one tenant (of all tenants, checked or not)."""
    everyone = {t.id: t for t in loaded}
    for tenant_id in known_tenants(tenants_dir):
        if tenant_id not in everyone:
            try:
                everyone[tenant_id] = load_tenant(tenants_dir, tenant_id)
            except FrontdeskError:
                continue
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    for tenant in everyone.values():
        routing = tenant.config.routing
        for number in routing.phone_numbers:
            owners["phone number", number].append(tenant.id)
        for campaign in routing.campaigns:
            owners["campaign", campaign].append(tenant.id)
    checked = {t.id: t for t in loaded}
    found = []
    for (kind, key), ids in owners.items():
        if len(ids) > 1:
            for tenant_id in ids:
                if tenant_id in checked:
                    others = ", ".join(i for i in ids if i != tenant_id)
                    where = _routing_line(checked[tenant_id], kind, key)
                    found.append((tenant_id, f"{where}: {kind} {key} is also routed to {others}"))
    return found


def _routing_line(tenant: Tenant, kind: str, key: str) -> str:
    routing = tenant.config.routing
    field, keys = (
        ("phone_numbers", routing.phone_numbers)
        if kind == "phone number"
        else ("campaigns", routing.campaigns)
    )
    line, path = tenant_lines(tenant).locate(("routing", field, keys.index(key)))
    return f"{tenant.path}:{line}: {path}"
