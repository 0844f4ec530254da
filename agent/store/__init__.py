"""The call store: tables, migrations and the repository functions. All SQL lives here.

Open it with :meth:`Store.open(settings) <agent.store.engine.Store.open>`; use one
``async with store.transaction() as s:`` per unit of work and call the functions of
the concept modules (:mod:`.calls`, :mod:`.turns`, :mod:`.outbox`, ...) with ``s``.
"""

from .engine import Store, database_url, normalize_url

__all__ = ["Store", "database_url", "normalize_url"]
