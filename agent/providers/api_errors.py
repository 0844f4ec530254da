"""The local providers' failures, raised as livekit's own API errors.

livekit's retries (``APIConnectOptions.max_retry``) and its ``FallbackAdapter`` act on
``APIError``: a local recognizer or voice that fails must raise one, so a chain moves on
to its next provider instead of ending the call's audio. Each is also Frontdesk's
:class:`~agent.errors.ProviderError`, with the same ``retryable``.
"""

from __future__ import annotations

from livekit.agents import APIConnectionError

from agent.errors import ProviderError


class LocalProviderError(APIConnectionError, ProviderError):
    """A livekit ``APIConnectionError`` that is also a ``ProviderError``."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        APIConnectionError.__init__(self, message, retryable=retryable)
