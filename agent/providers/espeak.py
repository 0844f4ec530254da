"""Typed ctypes binding for eSpeak NG, the offline formant speech synthesizer.

The library comes from the pip package ``espeakng-loader`` (library and voice data
shipped in the wheel); Debian's ``libespeak-ng`` is used only if that one is missing.
Nothing is downloaded.

libespeak-ng keeps its state in globals and is not thread-safe, so every call into it
holds one module-level lock, and the async helpers run on one dedicated thread. The
library runs in synchronous mode: ``espeak_Synth`` blocks its caller and hands 16-bit
mono PCM at the engine's native rate (normally 22050 Hz) to a callback as it goes;
the callback can abort the synthesis. Entry points: :func:`synthesize_pcm` (blocking),
:func:`asynthesize_pcm`, and :meth:`ESpeakEngine.astream` (PCM chunks as produced).
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import os
import threading
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from ctypes import POINTER, c_char_p, c_int, c_short, c_size_t, c_uint, c_void_p
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from agent.errors import ProviderError

PcmSink = Callable[[bytes], bool]
"""Receives each PCM chunk (int16 mono, native rate); returns False to abort synthesis."""

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # without it a missing data dir calls exit()
_BUFFER_MS = 100  # audio per callback
_POS_CHARACTER = 1
_CHARS_UTF8, _ENDPAUSE = 0x1, 0x1000
_RATE, _PITCH, _WORDGAP = 1, 3, 7
_EE_NOT_FOUND = 2
_CALLBACK = ctypes.CFUNCTYPE(c_int, POINTER(c_short), c_int, c_void_p)
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "espeak_Initialize": (c_int, [c_int, c_int, c_char_p, c_int]),
    "espeak_SetSynthCallback": (None, [_CALLBACK]),
    "espeak_SetVoiceByName": (c_int, [c_char_p]),
    "espeak_SetParameter": (c_int, [c_int, c_int, c_int]),
    "espeak_Synth": (
        c_int,
        [c_char_p, c_size_t, c_uint, c_int, c_uint, c_uint, c_void_p, c_void_p],
    ),
    "espeak_Info": (c_char_p, [c_void_p]),
}

_LOCK = threading.Lock()  # held around every call into any libespeak-ng
_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="espeak-ng")
_ENGINES: dict[str, ESpeakEngine] = {}


@dataclass(frozen=True)
class VoiceSettings:
    """How to speak: eSpeak voice name, words per minute, pitch, extra gap between words."""

    voice: str = "en-us"
    """A voice or language name, optionally with a variant: "en-us", "en", "de", "en-us+f3"."""
    rate_wpm: int = 175
    """Speaking rate in words per minute, 80..450."""
    pitch: int = 50
    """Base pitch, 0..100."""
    word_gap: int = 0
    """Extra pause between words, in units of 10 ms at the default rate."""

    def __post_init__(self) -> None:
        limits = {"rate_wpm": (80, 450), "pitch": (0, 100), "word_gap": (0, 1000)}
        for name, (low, high) in limits.items():
            if not low <= (value := getattr(self, name)) <= high:
                raise ProviderError(f"espeak: {name}={value} is outside {low}..{high}")


DEFAULT_SETTINGS = VoiceSettings()


def find_library() -> tuple[str, str | None]:
    """(library path, data path) of the pip ``espeakng-loader`` copy, else the system one."""
    try:
        import espeakng_loader

        lib_path, data_path = espeakng_loader.get_library_path(), espeakng_loader.get_data_path()
        if os.path.exists(lib_path):
            return str(lib_path), str(data_path)
    except (ImportError, RuntimeError):
        pass
    system_lib = ctypes.util.find_library("espeak-ng")
    if system_lib is None:
        raise ProviderError(
            "espeak: no libespeak-ng found: the pip package espeakng-loader is missing or has "
            "no library, and no system libespeak-ng is installed (apt install libespeak-ng1)"
        )
    return system_lib, None  # the system library knows its own data directory


class ESpeakEngine:
    """One initialized libespeak-ng. Get it with :meth:`shared` or :meth:`load`."""

    def __init__(self, library_path: str, data_path: str | None) -> None:
        self.library_path: Final = library_path
        self._lib = _open(library_path)
        self._sink: PcmSink | None = None
        self._sink_error: BaseException | None = None
        self._known_voices: set[str] = set()
        self._callback = _CALLBACK(self._on_audio)  # kept referenced: the library holds it
        data = data_path.encode() if data_path else None
        rate = self._lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, _BUFFER_MS, data, _INITIALIZE_DONT_EXIT
        )
        if rate <= 0:
            raise ProviderError(
                f"espeak: {library_path} failed to initialize (data directory {data_path})"
            )
        self.sample_rate: Final[int] = rate
        """Native output rate in Hz, as returned by ``espeak_Initialize``."""
        self.version: Final[str] = (self._lib.espeak_Info(None) or b"?").decode()
        self._lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def shared(cls) -> ESpeakEngine:
        """The process-wide engine on the default library (see :func:`find_library`)."""
        return cls.load(*find_library())

    @classmethod
    def load(cls, library_path: str, data_path: str | None = None) -> ESpeakEngine:
        """The engine for ``library_path``, initialized once per process."""
        with _LOCK:
            if library_path not in _ENGINES:
                _ENGINES[library_path] = cls(library_path, data_path)
            return _ENGINES[library_path]

    def check_voice(self, voice: str) -> None:
        """Raise :class:`ProviderError` naming ``voice`` if the library has no such voice."""
        if voice not in self._known_voices:
            with _LOCK:
                self._select_voice(voice)
            self._known_voices.add(voice)

    def synthesize(self, text: str, settings: VoiceSettings, on_chunk: PcmSink) -> bool:
        """Synthesize in this thread, handing PCM to ``on_chunk`` as it is produced.

        Blocks (synthesis runs far faster than real time). Returns False if ``on_chunk``
        aborted it; re-raises what ``on_chunk`` raised. ``on_chunk`` runs with the engine
        lock held and must not call back into the engine.
        """
        data = text.replace("\0", " ").encode("utf-8", errors="replace")
        with _LOCK:
            self._configure(settings)
            self._sink, self._sink_error = on_chunk, None
            try:
                status = self._lib.espeak_Synth(
                    data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _ENDPAUSE, None, None
                )
                aborted, error = self._sink is None, self._sink_error
            finally:
                self._sink = self._sink_error = None
        if error is not None:
            raise error
        if status != 0:
            raise ProviderError(f"espeak: espeak_Synth failed with status {status}")
        return not aborted

    def synthesize_pcm(
        self, text: str, settings: VoiceSettings = DEFAULT_SETTINGS
    ) -> npt.NDArray[np.int16]:
        """Synthesize all of ``text`` to one int16 array at :attr:`sample_rate` (blocking)."""
        chunks: list[bytes] = []

        def keep(pcm: bytes) -> bool:
            chunks.append(pcm)
            return True

        self.synthesize(text, settings, keep)
        return np.frombuffer(b"".join(chunks), dtype=np.int16).copy()

    async def asynthesize_pcm(
        self, text: str, settings: VoiceSettings = DEFAULT_SETTINGS
    ) -> npt.NDArray[np.int16]:
        """:meth:`synthesize_pcm` on the engine thread, without blocking the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_EXECUTOR, self.synthesize_pcm, text, settings)

    async def astream(
        self, text: str, settings: VoiceSettings = DEFAULT_SETTINGS
    ) -> AsyncGenerator[bytes, None]:
        """Yield PCM chunks as the engine thread produces them; closing aborts synthesis."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        stop = threading.Event()

        def sink(pcm: bytes) -> bool:
            if stop.is_set():
                return False
            loop.call_soon_threadsafe(queue.put_nowait, pcm)
            return True

        job = loop.run_in_executor(_EXECUTOR, self.synthesize, text, settings, sink)
        job.add_done_callback(lambda _: queue.put_nowait(None))  # after every chunk (FIFO)
        try:
            while (pcm := await queue.get()) is not None:
                yield pcm
            await job
        finally:
            stop.set()  # a running synthesis aborts at its next chunk
            job.cancel()  # a queued one never starts

    def _configure(self, settings: VoiceSettings) -> None:
        self._select_voice(settings.voice)
        s = settings
        for param, value in ((_RATE, s.rate_wpm), (_PITCH, s.pitch), (_WORDGAP, s.word_gap)):
            self._lib.espeak_SetParameter(param, value, 0)

    def _select_voice(self, voice: str) -> None:
        status = self._lib.espeak_SetVoiceByName(voice.encode())
        if status == _EE_NOT_FOUND:
            raise ProviderError(f"espeak: no voice named {voice!r} (try 'en-us', 'en', 'de')")
        if status != 0:
            raise ProviderError(f"espeak: selecting voice {voice!r} failed with status {status}")

    def _on_audio(self, wav: Any, num_samples: int, _events: Any) -> int:
        sink = self._sink
        if sink is None:
            return 1
        if not wav or num_samples <= 0:
            return 0
        try:
            if sink(ctypes.string_at(wav, num_samples * 2)):
                return 0
        except BaseException as e:  # re-raised by synthesize()
            self._sink_error = e
        self._sink = None
        return 1


def _open(library_path: str) -> ctypes.CDLL:
    try:
        lib = ctypes.CDLL(library_path)
        for name, (restype, argtypes) in _SIGNATURES.items():
            func = getattr(lib, name)
            func.restype, func.argtypes = restype, argtypes
    except (OSError, AttributeError) as e:
        raise ProviderError(f"espeak: cannot load {library_path}: {e}") from e
    return lib


def synthesize_pcm(
    text: str, settings: VoiceSettings = DEFAULT_SETTINGS
) -> tuple[npt.NDArray[np.int16], int]:
    """Blocking: (int16 mono PCM, sample rate) for ``text`` on the shared engine."""
    engine = ESpeakEngine.shared()
    return engine.synthesize_pcm(text, settings), engine.sample_rate


async def asynthesize_pcm(
    text: str, settings: VoiceSettings = DEFAULT_SETTINGS
) -> tuple[npt.NDArray[np.int16], int]:
    """Like :func:`synthesize_pcm`, run on the engine thread."""
    engine = ESpeakEngine.shared()
    return await engine.asynthesize_pcm(text, settings), engine.sample_rate
