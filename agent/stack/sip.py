"""The phone half of the local stack: Redis (Debian's ``redis-server``) and livekit-sip.

livekit-server and livekit-sip talk through Redis (the SIP API's trunks and rules live
there, and calls are handed over by RPC on it), so both get the same address. Redis keeps
nothing on disk here: the SIP objects are provisioned again by ``frontdesk sip sync``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from ..config import Settings
from ..errors import StackError


def redis_address(port: int) -> str:
    return f"127.0.0.1:{port}"


def find_redis() -> Path:
    found = shutil.which("redis-server")
    if found is None:
        raise StackError(
            "phone calls need Redis and redis-server is not installed "
            "(Debian: apt-get install redis-server), or turn them off with FRONTDESK_SIP=false"
        )
    return Path(found)


def redis_argv(binary: Path, port: int) -> list[str]:
    """A throwaway Redis on loopback: no persistence, no protected-mode prompt."""
    return [
        str(binary),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
    ]


def sip_config_body(
    settings: Settings, *, livekit_url: str, redis_port: int, sip_port: int, rtp: tuple[int, int]
) -> str:
    """livekit-sip's YAML: the LiveKit server and its Redis, the SIP port and the RTP range,
    on the addresses the settings name (loopback by default)."""
    config = {
        "api_key": settings.livekit_api_key,
        "api_secret": settings.livekit_api_secret.get_secret_value(),
        "ws_url": livekit_url,
        "redis": {"address": redis_address(redis_port)},
        "sip_port": sip_port,
        "rtp_port": f"{rtp[0]}-{rtp[1]}",
        "listen_ip": settings.sip_listen_ip,
        "nat_1_to_1_ip": settings.sip_public_ip,
        "use_external_ip": False,
        # livekit-sip turns calls away ("cpu exhausted") above 90 % CPU by default; the
        # local stack shares its cores with the worker's speech models, whose bursts
        # must not refuse a caller (the worker counts its capacity in calls too)
        "max_cpu_utilization": 1.0,
        "logging": {"level": "info"},
    }
    return str(yaml.safe_dump(config, sort_keys=False))
