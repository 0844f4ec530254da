"""``frontdesk tenant check``: every reference of a tenant, with file:line problems."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import ROOT
from agent.knowledge.ingest import document_problems
from agent.tenants import known_tenants
from agent.tenants.check import check_tenants

pytestmark = pytest.mark.unit

FLOWS = ROOT / "flows"


def make(tmp_path: Path, body: str, files: dict[str, str | bytes] | None = None) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir(parents=True)
    (folder / "tenant.yaml").write_text(body)
    for name, content in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return tmp_path


def test_shipped_tenants_pass() -> None:
    results = check_tenants(ROOT / "tenants", FLOWS, knowledge=document_problems)
    assert set(results) == set(known_tenants(ROOT / "tenants"))
    assert results == {tenant_id: [] for tenant_id in results}


def test_every_reference_problem_is_reported(tmp_path: Path) -> None:
    body = (
        "name: Shop\nflow: no_such_flow\nproviders: {llm: openai}\n"
        "analyzer:\n  call_types:\n    order: {description: An order}\n"
    )
    files: dict[str, str | bytes] = {
        "templates/owner_summary.txt": "Hello\n{% if x %}\nno end\n",
        "knowledge/menu.md": "# Menu\n\nBread is 2 pounds.\n",
        "knowledge/broken.pdf": b"%PDF-1.4 this is not really a pdf",
        "knowledge/empty.txt": "   \n",
    }
    problems = check_tenants(make(tmp_path, body, files), FLOWS, knowledge=document_problems)
    text = "\n".join(problems["shop"])
    assert "flow 'no_such_flow' does not load" in text
    assert "assistant.txt: missing (the tenant uses an LLM)" in text
    assert "analyzer.txt: missing (analyzer has call types)" in text
    assert re.search(r"owner_summary\.txt:\d+: template: Unexpected end", text)
    assert "broken.pdf: cannot read document" in text
    assert "empty.txt: document has no text" in text
    assert "menu.md" not in text


def test_shared_phone_number_is_reported_for_both(tmp_path: Path) -> None:
    for tenant_id in ("one", "two"):
        (tmp_path / tenant_id).mkdir()
        (tmp_path / tenant_id / "tenant.yaml").write_text(
            "name: X\nflow: demo_bakery\nrouting: {phone_numbers: ['+442071234567']}\n"
        )
    results = check_tenants(tmp_path, FLOWS)
    assert all("+442071234567 is also routed to" in r[0] for r in results.values())


def test_cli_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["tenant", "check", "crumb-and-co"])
    assert ok.exit_code == 0, ok.output
    assert "crumb-and-co: ok" in ok.output
    make(tmp_path, "name: Shop\nflw: demo_bakery\n")
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(tmp_path))
    bad = runner.invoke(app, ["tenant", "check"])
    assert bad.exit_code == 1
    assert "tenant.yaml:2: flw: unknown field (did you mean 'flow'?)" in bad.output


def test_scoring_rule_on_a_slot_the_flow_never_fills_is_a_warning(tmp_path: Path) -> None:
    from agent.tenants import load_tenant
    from agent.tenants.check import scoring_warnings

    body = (
        "name: Shop\nflow: demo_bakery\nlead_scoring:\n  rules:\n"
        "    - {label: topic, points: 5, slot: topic}\n"
        "    - {label: big, points: 5, if: 'slots.party_size > 8 and slots.topic == \"order\"'}\n"
    )
    root = make(tmp_path, body)
    warnings = scoring_warnings(load_tenant(root, "shop"), FLOWS)
    assert len(warnings) == 1
    assert "lead_scoring.rules.1 ('big') reads slot 'party_size'" in warnings[0]
    assert check_tenants(root, FLOWS) == {"shop": []}  # a warning does not fail the check


def test_cli_reports_a_bad_eval_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files: dict[str, str | bytes] = {
        "knowledge/menu.md": "# Menu\n\nBread is 2 pounds.\n",
        "eval.yaml": "questions:\n  - {q: how much is bread, fakt: 2 pounds}\n",
    }
    monkeypatch.setenv(
        "FRONTDESK_TENANTS_DIR", str(make(tmp_path, "name: S\nflow: demo_bakery\n", files))
    )
    result = CliRunner().invoke(app, ["tenant", "check"])
    assert result.exit_code == 1
    assert "eval.yaml:2: questions.0.fakt: unknown field" in result.output


def test_a_routed_flow_that_does_not_load_is_reported(tmp_path: Path) -> None:
    body = "name: Shop\nflow: demo_bakery\nflows: {meeting: no_such_meeting}\n"
    problems = check_tenants(make(tmp_path, body, {}), FLOWS)
    assert len(problems["shop"]) == 1
    assert "flow 'no_such_meeting' does not load" in problems["shop"][0]


def test_a_greeting_no_flow_says_is_reported(tmp_path: Path) -> None:
    body = "name: Shop\nflow: demo_bakery\ngreeting: Hello from the shop.\n"
    problems = check_tenants(make(tmp_path, body), FLOWS)["shop"]
    assert len(problems) == 1
    assert "greeting: no flow of the tenant says it ('demo_bakery')" in problems[0]
    assert "{{ tenant.greeting }}" in problems[0]


@pytest.mark.parametrize(
    ("greeting", "message"),
    [
        ("'Hello {{ slots.name }}'", "undefined template variable 'slots.name'"),
        ("'Hello {{ tenant.greeting }}'", "cannot say {{ tenant.greeting }} itself"),
        ("'Hello {{ tenant.name'", "template syntax error"),
    ],
)
def test_a_bad_greeting_template_is_reported(tmp_path: Path, greeting: str, message: str) -> None:
    body = f"name: Shop\nflow: receptionist\ngreeting: {greeting}\n"
    files: dict[str, str | bytes] = {"knowledge/faq.md": "# Hours\n\nOpen 9 to 5.\n"}
    problems = check_tenants(make(tmp_path, body, files), FLOWS)["shop"]
    assert any(message in p for p in problems), problems


def test_the_general_receptionist_needs_services_and_documents(tmp_path: Path) -> None:
    body = "name: Office\nflow: general_receptionist\nhours: {mon: '09:00-17:00'}\n"
    problems = "\n".join(check_tenants(make(tmp_path, body), FLOWS)["shop"])
    assert "services: flow 'general_receptionist', node 'appointment' offers the tenant's" in (
        problems
    )
    assert "knowledge: missing: flow general_receptionist (question) answers questions" in problems


UNSIGNED = (
    "name: Shop\nflow: demo_bakery\nnotifications:\n  webhooks:\n"
    "    - {url: 'https://hooks.example/refused'}\n"
    "    - {url: 'https://hooks.example/allowed', allow_unsigned: true}\n"
    "    - {url: 'https://hooks.example/signed', secret_env: SHOP_HOOK_SECRET}\n"
)


def test_a_webhook_without_a_secret_is_a_problem_unless_allowed_unsigned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenants = make(tmp_path, UNSIGNED)
    (problem,) = check_tenants(tenants, FLOWS)["shop"]
    assert re.match(
        r".*tenant\.yaml:5: notifications\.webhooks\.0: .*/refused has no secret_env", problem
    )
    assert "allow_unsigned: true" in problem
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(tenants))
    monkeypatch.setenv("FRONTDESK_FLOWS_DIR", str(FLOWS))
    monkeypatch.delenv("SHOP_HOOK_SECRET", raising=False)
    result = CliRunner().invoke(app, ["tenant", "check", "shop"])
    assert result.exit_code == 1
    assert "no secret_env" in result.output
    assert re.search(r"warning: .*tenant\.yaml:6: .*/allowed is sent unsigned", result.output)
    assert "warning: " in result.output and "SHOP_HOOK_SECRET is not set" in result.output


def test_unsigned_webhooks_are_reported_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from agent.tenants.check import report_webhooks
    from agent.tenants.registry import TenantRegistry

    report_webhooks(TenantRegistry(make(tmp_path, UNSIGNED)))
    messages = {(r.levelname, r.getMessage(), getattr(r, "url", "")) for r in caplog.records}
    assert ("ERROR", "webhook refused: no secret_env", "https://hooks.example/refused") in messages
    assert ("WARNING", "webhook sent unsigned", "https://hooks.example/allowed") in messages
