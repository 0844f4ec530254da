"""Type aliases for livekit's provider base classes (generic in their event names)."""

from __future__ import annotations

from typing import Any, TypeAlias

from livekit.agents import llm, stt, tts

AnySTT: TypeAlias = stt.STT[Any]
AnyTTS: TypeAlias = tts.TTS[Any]
AnyLLM: TypeAlias = llm.LLM[Any]
