"""The post-call pipeline: analyse the stored call, score the lead, notify through the outbox.

- :mod:`.facts`: what the pipeline reads about a call (from :mod:`agent.store.postcall`).
- :mod:`.analyse`: LLM structured output (:mod:`.llm_analysis`) or deterministic rules
  (:mod:`.deterministic`, :mod:`.meeting`, :mod:`.lexicon`); :mod:`.models` validates both.
- :mod:`.score`: the tenant's lead-scoring rules, and the lead's contact.
- :mod:`.notify`: the notifications of a call, rendered with :mod:`.templates`.
- :mod:`.outbox`: the processor delivering them through :mod:`.channels`
  (SMTP, Resend, signed webhooks: :mod:`.signing`).
- :mod:`.pipeline`: :func:`process_call`, the whole of it for one call.
"""

from __future__ import annotations

from .pipeline import PostcallResult, process_call
from .signing import verify_signature

__all__ = ["PostcallResult", "process_call", "verify_signature"]
