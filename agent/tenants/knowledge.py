"""A tenant's knowledge base: its ``knowledge/`` documents, its ``.index/`` folder, its
``knowledge.threshold`` and its region, as :mod:`agent.knowledge.search` takes them.

Imports bm25 and numpy: import it only when a knowledge base is needed."""

from __future__ import annotations

from ..knowledge.search import KnowledgeBase, KnowledgeSettings, knowledge_base
from .load import Tenant


def knowledge_settings(tenant: Tenant) -> KnowledgeSettings:
    """What ``tenant``'s knowledge base is built from."""
    config = tenant.config
    return KnowledgeSettings(
        documents=tenant.knowledge_dir,
        index_dir=tenant.folder / ".index",
        threshold=config.knowledge.threshold,
        region=config.region,
    )


def knowledge_for(tenant: Tenant, *, embeddings: bool = False) -> KnowledgeBase:
    """The tenant's knowledge base (blocking: call off the event loop); see
    :func:`~agent.knowledge.search.knowledge_base`."""
    return knowledge_base(knowledge_settings(tenant), embeddings=embeddings)
