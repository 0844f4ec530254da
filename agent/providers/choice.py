"""Which providers one call uses: the deployment's, overridden by its tenant's.

A tenant's ``providers`` (``tenant.yaml``) names STT and TTS chains, an LLM and a voice;
each one left ``null`` is the deployment's (``FRONTDESK_STT``, ``FRONTDESK_TTS``,
``FRONTDESK_LLM``). The voice is given to the first TTS of the chain (eSpeak NG's voice
name, ElevenLabs' voice id, OpenAI's voice, Google's voice name, Deepgram's model); the
TTSs a chain falls back to keep their own default voice. A :class:`ProviderChoice` is
hashable, so a worker process builds the pipeline of each choice once and reuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config import PROVIDER_KEYS, LLMName, Settings, STTName, TTSName

if TYPE_CHECKING:
    from ..tenants.model import Providers


@dataclass(frozen=True, kw_only=True)
class ProviderChoice:
    """The STT and TTS chains (first choice first), the LLM and the voice of a call."""

    stt: tuple[STTName, ...]
    tts: tuple[TTSName, ...]
    llm: LLMName
    voice: str | None = None

    @classmethod
    def of(cls, settings: Settings, tenant: Providers | None = None) -> ProviderChoice:
        """The deployment's choice, with what ``tenant`` sets taking its place."""
        if tenant is None:
            return cls(stt=settings.stt, tts=settings.tts, llm=settings.llm)
        return cls(
            stt=tenant.stt or settings.stt,
            tts=tenant.tts or settings.tts,
            llm=tenant.llm or settings.llm,
            voice=tenant.voice,
        )

    @property
    def assisted(self) -> bool:
        """Whether the call runs LLM-assisted."""
        return self.llm != "none"

    def settings(self, base: Settings) -> Settings:
        """``base`` with this choice's chains and LLM (for the builders of the registry)."""
        return base.model_copy(update={"stt": self.stt, "tts": self.tts, "llm": self.llm})

    def missing_keys(self, settings: Settings) -> list[str]:
        """The environment variables this choice needs that ``settings`` lacks."""
        used: list[tuple[str, str]] = [("stt", n) for n in self.stt]
        used += [("tts", n) for n in self.tts] + ([("llm", self.llm)] if self.assisted else [])
        missing = []
        for pair in dict.fromkeys(used):
            if pair in PROVIDER_KEYS:
                attr, env_name = PROVIDER_KEYS[pair]
                if getattr(settings, attr) is None:
                    missing.append(env_name)
        return list(dict.fromkeys(missing))
