"""A tenant's knowledge base: ingest, chunk, index and search (see :mod:`.base`)."""
