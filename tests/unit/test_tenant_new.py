"""``frontdesk tenant new``: a business's tenant from flags or prompts, which passes
``tenant check`` at once and answers with the general receptionist."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.config import ROOT
from agent.flow import FlowMachine, Say
from agent.flow.load import load_flow_by_id
from agent.tenants import load_tenant
from agent.tenants.context import template_context
from agent.tenants.knowledge import knowledge_for
from agent.tenants.new import parse_hours

pytestmark = pytest.mark.unit

FLAGS = [
    "tenant", "new", "oak-law", "--name", "Oak & Partners", "--timezone", "America/Chicago",
    "--hours", "mon-fri 09:00-17:30; sat 10:00-12:00", "--phone", "(312) 555-0110",
    "--service", "a free consultation", "--service", "a will and estate review",
    "--owner-email", "office@oaklaw.example", "--no-interactive",
]  # fmt: skip


@pytest.fixture
def tenants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "tenants"
    folder.mkdir()
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(folder))
    return folder


def test_flags_make_a_tenant_that_passes_its_check(tenants: Path) -> None:
    result = CliRunner().invoke(app, FLAGS)
    assert result.exit_code == 0, result.output
    assert "tenant check oak-law: ok" in result.output
    config = load_tenant(tenants, "oak-law").config
    assert (config.name, config.country, config.flow) == (
        "Oak & Partners",
        "US",  # the timezone's country
        "general_receptionist",
    )
    assert config.routing.phone_numbers == ["+13125550110"]
    assert config.hours.opening("sat") is not None and config.hours.opening("sun") is None
    assert [s.name for s in config.services.values()] == [
        "a free consultation",
        "a will and estate review",
    ]
    assert config.notifications.owner_email == "office@oaklaw.example"
    assert (tenants / "oak-law" / "prompts" / "analyzer.txt").is_file()
    check = CliRunner().invoke(app, ["tenant", "check", "oak-law"])
    assert check.exit_code == 0 and "oak-law: ok" in check.output


def test_the_new_tenant_answers_calls_in_its_own_words(tenants: Path) -> None:
    assert CliRunner().invoke(app, FLAGS).exit_code == 0
    tenant = load_tenant(tenants, "oak-law")
    now = datetime(2026, 3, 3, 10, tzinfo=tenant.tz)
    machine = FlowMachine(
        load_flow_by_id(ROOT / "flows", "general_receptionist"),
        template_context(tenant),
        clock=lambda: now,
        knowledge=knowledge_for(tenant),
    )
    said = [a.text for a in machine.start() if isinstance(a, Say)]
    assert said[0] == "Good morning, thank you for calling Oak & Partners."
    # no documents given: knowledge/about.md, written from the answers, answers at once
    answer = " ".join(
        a.text for a in machine.on_user_text("are you open on saturday?") if isinstance(a, Say)
    )
    assert "Saturday: 10 a.m. to noon" in answer
    machine.on_user_text("no that's all")
    offer = [a.text for a in machine.on_user_text("I'd like an appointment") if isinstance(a, Say)]
    assert offer == [
        "Happy to book that. Is it for a free consultation or a will and estate review?"
    ]


def test_prompts_ask_for_what_the_flags_leave_out(tenants: Path, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fees.md").write_text("# Fees\n\nA first consultation is free and lasts 30 minutes.\n")
    answers = "\n".join([
        "Birch Physio",  # name
        "Europe/London",  # timezone
        "",  # country: the timezone's (GB)
        "mon-thu 08:00-19:00; fri 08:00-16:00",
        "020 7946 0000",  # the number callers dial
        "a sports massage; physiotherapy",  # services
        str(docs),  # documents
        "",  # owner email: none
    ]) + "\n"  # fmt: skip
    result = CliRunner().invoke(app, ["tenant", "new", "birch", "--interactive"], input=answers)
    assert result.exit_code == 0, result.output
    config = load_tenant(tenants, "birch").config
    assert (config.name, config.country, config.routing.phone_numbers) == (
        "Birch Physio",
        "GB",
        ["+442079460000"],
    )
    assert (tenants / "birch" / "knowledge" / "fees.md").is_file()
    assert not (tenants / "birch" / "knowledge" / "about.md").exists()  # documents were given


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--timezone", "Mars/Olympus"], "unknown timezone 'Mars/Olympus'"),
        (["--hours", "mon-fri 9-5"], "hours 'mon-fri 9-5': write days and a range"),
        (["--hours", "sun closed"], "give the opening hours of at least one day"),
        (["--phone", "12"], "phone number '12'"),
        (["--country", "XX"], "unknown country code 'XX'"),
        (["--document", "/no/such/folder"], "document /no/such/folder does not exist"),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(
    tenants: Path, change: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, [*FLAGS, *change])
    assert result.exit_code == 1
    assert message in result.output
    assert not (tenants / "oak-law").exists()


def test_an_existing_tenant_is_not_overwritten(tenants: Path) -> None:
    assert CliRunner().invoke(app, FLAGS).exit_code == 0
    again = CliRunner().invoke(app, FLAGS)
    assert again.exit_code == 1 and "exists already" in again.output


def test_parse_hours() -> None:
    assert parse_hours("mon-wed 8:00-12:30, fri 09:00-17:00; sat+sun closed") == {
        "mon": "08:00-12:30",
        "tue": "08:00-12:30",
        "wed": "08:00-12:30",
        "fri": "09:00-17:00",
        "sat": "closed",
        "sun": "closed",
    }
    with pytest.raises(ValueError, match="runs backwards"):
        parse_hours("fri-mon 09:00-10:00")
    with pytest.raises(ValueError, match="closing time must be after"):
        parse_hours("mon 10:00-09:00")
