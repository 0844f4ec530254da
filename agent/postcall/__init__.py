"""The post-call pipeline: analyse the stored call, score the lead, notify through the outbox.

- :mod:`.facts`: what the pipeline reads about a call (from :mod:`agent.store.postcall`).
- :mod:`.analyse`: LLM structured output (:mod:`.llm_analysis`) or deterministic rules
  (:mod:`.deterministic`, :mod:`.meeting`, :mod:`.lexicon`); :mod:`.models` validates both.
- :mod:`.score`: the tenant's lead-scoring rules, and the lead's contact.
- :mod:`.notify`: the notifications of a call, rendered with :mod:`.templates`.
- :mod:`.outbox`: the processor delivering them through :mod:`.channels`
  (SMTP, Resend, signed webhooks: :mod:`.signing` has ``verify_signature``).
- :mod:`.pipeline`: ``process_call``, the whole of it for one call.
- :mod:`.cli`: ``frontdesk postcall`` and ``frontdesk outbox``.

Nothing is imported here: the pipeline pulls in the LLM plugins, which the CLI and a
webhook receiver using :mod:`.signing` should not pay for.
"""
