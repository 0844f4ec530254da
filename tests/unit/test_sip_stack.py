"""The phone half of the local stack: Redis and livekit-sip's configuration, the SIP
settings' validation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from agent.config import Settings, load_settings
from agent.errors import ConfigError
from agent.stack import StackPorts
from agent.stack.binary import LIVEKIT_SIP, find_tool
from agent.stack.processes import livekit_config_body
from agent.stack.sip import sip_config_body

pytestmark = pytest.mark.unit


def _settings(**env: str) -> Settings:
    return Settings.model_validate({"LIVEKIT_API_KEY": "k1", "LIVEKIT_API_SECRET": "s" * 40, **env})


def test_livekit_server_gets_redis_only_with_sip() -> None:
    ports = StackPorts(redis=16379)
    assert "redis" not in yaml.safe_load(livekit_config_body(_settings(), ports))
    config = yaml.safe_load(livekit_config_body(_settings(), ports, sip=True))
    assert config["redis"] == {"address": "127.0.0.1:16379"}


def test_sip_config_names_the_server_its_redis_and_the_public_address() -> None:
    settings = _settings(FRONTDESK_SIP_PUBLIC_IP="203.0.113.7", FRONTDESK_SIP_LISTEN_IP="0.0.0.0")
    body = sip_config_body(
        settings, livekit_url="ws://127.0.0.1:17880", redis_port=16379, sip_port=15060, rtp=(1, 9)
    )
    config = yaml.safe_load(body)
    assert config["ws_url"] == "ws://127.0.0.1:17880"
    assert (config["api_key"], config["api_secret"]) == ("k1", "s" * 40)
    assert config["redis"]["address"] == "127.0.0.1:16379"
    assert (config["sip_port"], config["rtp_port"]) == (15060, "1-9")
    assert (config["nat_1_to_1_ip"], config["listen_ip"]) == ("203.0.113.7", "0.0.0.0")
    assert config["max_cpu_utilization"] == 1.0  # never "cpu exhausted" on a shared machine


def test_ephemeral_sip_ports_do_not_overlap_livekits() -> None:
    ports = StackPorts.ephemeral()
    livekit_udp = range(ports.udp_start, ports.udp_end + 1)
    assert ports.sip_rtp_start not in livekit_udp and ports.sip_rtp_end not in livekit_udp
    tcp = {ports.livekit, ports.rtc_tcp, ports.worker_http, ports.dispatcher_http}
    assert len(tcp | {ports.redis, ports.sip}) == 6


def test_built_livekit_sip_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_tool(LIVEKIT_SIP, tmp_path) is None
    built = tmp_path / "bin" / "livekit-sip"
    built.parent.mkdir()
    built.write_text("#!/bin/sh\n")
    built.chmod(0o755)
    assert find_tool(LIVEKIT_SIP, tmp_path) == built
    assert os.access(built, os.X_OK)


def test_a_bad_allowed_address_is_named() -> None:
    with pytest.raises(ConfigError, match=r"FRONTDESK_SIP_ALLOWED_ADDRESSES: .*'10\.0\.0\.300'"):
        load_settings(check_keys=False, FRONTDESK_SIP_ALLOWED_ADDRESSES="10.0.0.1,10.0.0.300")


def test_trunk_credentials_go_together() -> None:
    with pytest.raises(ConfigError, match="FRONTDESK_SIP_AUTH_PASSWORD go together"):
        load_settings(check_keys=False, FRONTDESK_SIP_AUTH_USERNAME="provider")
    env = {"FRONTDESK_SIP_AUTH_USERNAME": "p", "FRONTDESK_SIP_AUTH_PASSWORD": "hunter2-xyzzy"}
    both = load_settings(check_keys=False, **env)
    assert "hunter2-xyzzy" not in repr(both)
