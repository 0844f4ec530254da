"""A knowledge base: ingest, chunk, index and search (the contract: :mod:`.base`).

- :mod:`.ingest`: documents (md, txt, html, pdf, docx) into blocks under heading paths.
- :mod:`.index`: blocks into chunks and a BM25 index, saved per content hash.
- :mod:`.tokens`: index terms, caller-phrasing expansions, answer types.
- :mod:`.search`: :class:`~.search.KnowledgeBase` (a ``KnowledgeSearch``), built by
  :func:`~.search.knowledge_base` from its settings (documents, index folder, threshold,
  region); a tenant's are made by :mod:`agent.tenants.knowledge`.
- :mod:`.checks`: whether the best passage answers *this* question (unknown specific
  words, the kind of answer asked for, a yes/no question's named thing), or two close
  topics call for a clarifying question.
- :mod:`.calibrate`: the confidence function and its fitting.
- :mod:`.speech`: the spoken answer.
- :mod:`.evaluate`: eval sets, hit rates and what callers would hear: answered right or
  wrong, unanswerables answered (``bench/knowledge.py``, the bar's test).

Nothing is imported here, so ``import agent.knowledge.base`` stays light; nothing here
imports tenants (``frontdesk kb`` is :mod:`agent.tenants.kb_cli`).
"""
