"""The vocabularies of a call, defined once: the store's columns, the recorder's turns,
the tenants' flow choice and the post-call facts all use these ``Literal``s."""

from __future__ import annotations

from typing import Literal

Source = Literal["sip", "web", "meeting"]  # how a room came in
Speaker = Literal["caller", "agent", "human", "attendee"]  # who said a turn
CallStatus = Literal["active", "completed", "failed"]  # a stored call's state
