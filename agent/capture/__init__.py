"""Capture during the call: the recorder that streams turns and flow events to the store
(spooling to local JSON-lines files while the store is unreachable), call audio, and
retention of recordings."""

from .recorder import CallRecorder

__all__ = ["CallRecorder"]
