"""Searching a tenant's knowledge: the persisted index, the protocol, the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from agent.knowledge.base import KnowledgeSearch, SearchResult
from agent.knowledge.index import load_index
from agent.knowledge.search import KnowledgeBase
from agent.tenants import load_tenant
from agent.tenants.knowledge import knowledge_for

pytestmark = pytest.mark.unit

HOURS = "# Visit\n\n## Opening hours\n\nWe are open Tuesday to Sunday, 9am to 5pm.\n"
PRICES = "# Menu\n\n- Croissant – £2.30\n- Sourdough loaf – £4.80\n"


def make_tenant(tmp_path: Path, docs: dict[str, str]) -> Path:
    folder = tmp_path / "shop"
    (folder / "knowledge").mkdir(parents=True)
    (folder / "tenant.yaml").write_text("name: Shop\nflow: demo_bakery\n")
    for name, text in docs.items():
        (folder / "knowledge" / name).write_text(text)
    return tmp_path


def test_index_is_saved_and_reused_until_a_document_changes(tmp_path: Path) -> None:
    docs, root = tmp_path / "docs", tmp_path / ".index"
    docs.mkdir()
    (docs / "hours.md").write_text(HOURS)
    first = load_index(docs, root)
    saved = root / first.content_hash / "chunks.json"
    # Mark the saved copy: a reload that reads it (rather than rebuilding) sees the mark.
    data = json.loads(saved.read_text())
    data["chunks"][0]["heading"] = "MARKED"
    saved.write_text(json.dumps(data))
    assert load_index(docs, root).chunks[0].heading == "MARKED"

    (docs / "prices.md").write_text(PRICES)
    rebuilt = load_index(docs, root)
    assert rebuilt.content_hash != first.content_hash
    assert {c.heading for c in rebuilt.chunks} == {"Visit > Opening hours", "Menu"}
    assert [p.name for p in root.iterdir()] == [rebuilt.content_hash]  # old one removed


def test_unreadable_saved_index_is_rebuilt(tmp_path: Path) -> None:
    docs, root = tmp_path / "docs", tmp_path / ".index"
    docs.mkdir()
    (docs / "hours.md").write_text(HOURS)
    digest = load_index(docs, root).content_hash
    (root / digest / "chunks.json").write_text("{not json")
    assert load_index(docs, root).chunks[0].text.startswith("We are open")


def test_search_returns_calibrated_result_and_spoken_answer(tmp_path: Path) -> None:
    tenant = load_tenant(make_tenant(tmp_path, {"hours.md": HOURS, "menu.md": PRICES}), "shop")
    kb: KnowledgeSearch = knowledge_for(tenant)
    result = kb.search("how much is a croissant?", k=2)
    assert isinstance(result, SearchResult)
    assert result.best is not None and result.best.text == "Croissant – £2.30"
    assert result.best.source == "menu.md" and result.best.heading == "Menu"
    assert result.answer == "Croissant, 2 pounds 30."
    assert result.confidence >= 0.5
    assert len(result.passages) == 2
    assert result.passages[0].score >= result.passages[1].score

    unknown = kb.search("do you repair bicycles?")
    assert unknown.confidence < 0.5


def test_question_with_no_words_in_the_documents(tmp_path: Path) -> None:
    kb = knowledge_for(load_tenant(make_tenant(tmp_path, {"hours.md": HOURS}), "shop"))
    result = kb.search("hello?")
    assert (result.passages, result.confidence, result.answer) == ((), 0.0, "")


def test_tenant_without_knowledge_answers_nothing(tmp_path: Path) -> None:
    root = make_tenant(tmp_path, {})
    kb = knowledge_for(load_tenant(root, "shop"))
    assert kb.search("when are you open?").passages == ()


def test_knowledge_for_sees_edits_and_keeps_the_old_object_for_running_calls(
    tmp_path: Path,
) -> None:
    root = make_tenant(tmp_path, {"hours.md": HOURS})
    tenant = load_tenant(root, "shop")
    running = knowledge_for(tenant)
    assert knowledge_for(tenant) is running
    path = root / "shop" / "knowledge" / "hours.md"
    path.write_text(HOURS.replace("9am to 5pm", "8am to 4pm"))
    os.utime(path, ns=(0, path.stat().st_mtime_ns + 10**9))
    fresh = knowledge_for(tenant)
    assert "8am to 4pm" in fresh.search("when are you open").passages[0].text
    assert "9am to 5pm" in running.search("when are you open").passages[0].text


def test_threshold_comes_from_the_tenant(tmp_path: Path) -> None:
    root = make_tenant(tmp_path, {"hours.md": HOURS})
    (root / "shop" / "tenant.yaml").write_text(
        "name: Shop\nflow: demo_bakery\nknowledge: {threshold: 0.7}\n"
    )
    assert isinstance(knowledge_for(load_tenant(root, "shop")), KnowledgeBase)
    assert knowledge_for(load_tenant(root, "shop")).threshold == 0.7


def test_kb_search_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(make_tenant(tmp_path, {"menu.md": PRICES})))
    result = CliRunner().invoke(app, ["kb", "search", "--tenant", "shop", "sourdough?", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert found["question"] == "sourdough?" and found["threshold"] == 0.5
    assert found["answers"] == (found["confidence"] >= 0.5)
    assert "4 pounds 80" in found["answer"]
    rows = found["passages"]
    assert rows[0] == {
        "text": "Sourdough loaf – £4.80",
        "score": rows[0]["score"],
        "source": "menu.md",
        "heading": "Menu",
    }
    assert rows[0]["score"] > 0
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)


def test_kb_search_text_and_unknown_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(make_tenant(tmp_path, {"menu.md": PRICES})))
    runner = CliRunner()
    result = runner.invoke(app, ["kb", "search", "-t", "shop", "how much is a croissant"])
    assert result.exit_code == 0
    assert "spoken answer: Croissant, 2 pounds 30." in result.output
    missing = runner.invoke(app, ["kb", "search", "-t", "nope", "hi"])
    assert missing.exit_code == 1
    assert "unknown tenant 'nope'" in missing.output


def test_kb_build_reports_skipped_documents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_tenant(tmp_path, {"menu.md": PRICES})
    (root / "shop" / "knowledge" / "old.pdf").write_bytes(b"%PDF-1.4 broken")
    monkeypatch.setenv("FRONTDESK_TENANTS_DIR", str(root))
    result = CliRunner().invoke(app, ["kb", "build"])
    assert result.exit_code == 1
    assert "shop: 2 chunks" in result.output
    assert "old.pdf: cannot read document" in result.output


def test_a_question_naming_only_the_section_hears_the_whole_section(tmp_path: Path) -> None:
    table = (
        "# Visit\n\n## Opening hours\n\n| Day | Hours |\n|---|---|\n| Monday | closed |\n"
        "| Saturday | 8am-5pm |\n| Sunday | 9am-2pm |\n\n## Parking\n\nOn Richmond Road.\n"
    )
    kb = knowledge_for(load_tenant(make_tenant(tmp_path, {"visit.md": table}), "shop"))
    assert kb.search("what are your opening hours?").answer == (
        "Monday: closed. Saturday: 8 a.m. to 5 p.m. Sunday: 9 a.m. to 2 p.m."
    )
    assert kb.search("are you open on sunday?").answer == "Sunday: 9 a.m. to 2 p.m."
