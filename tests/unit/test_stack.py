"""The local stack's pure parts: finding the binary and rendering the server config."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from agent.config import Settings
from agent.stack import StackPorts, find_livekit_server
from agent.stack.processes import livekit_config_body

pytestmark = pytest.mark.unit


def test_binary_on_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = tmp_path / "path" / "livekit-server"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{on_path.parent}{os.pathsep}{os.environ['PATH']}")
    assert find_livekit_server(tmp_path / "tools") == on_path


def test_built_binary_in_tools_dir_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    built = tmp_path / "bin" / "livekit-server"
    assert find_livekit_server(tmp_path) is None
    built.parent.mkdir()
    built.write_text("#!/bin/sh\n")
    built.chmod(0o755)
    assert find_livekit_server(tmp_path) == built


def test_config_body_uses_this_stacks_ports_and_keys() -> None:
    settings = Settings.model_validate({"LIVEKIT_API_KEY": "k1", "LIVEKIT_API_SECRET": "s" * 40})
    ports = StackPorts(
        livekit=17880,
        rtc_tcp=17881,
        udp_start=21000,
        udp_end=21199,
        worker_http=18081,
        dispatcher_http=18089,
    )
    config = yaml.safe_load(livekit_config_body(settings, ports))
    assert config["port"] == 17880
    assert config["bind_addresses"] == ["127.0.0.1"]
    assert config["rtc"]["tcp_port"] == 0  # livekit.yaml: ICE over TCP off (it binds *)
    assert (config["rtc"]["port_range_start"], config["rtc"]["port_range_end"]) == (21000, 21199)
    assert config["keys"] == {"k1": "s" * 40}
    assert config["webhook"]["urls"] == ["http://127.0.0.1:18089/livekit/webhook"]


def test_ice_over_tcp_gets_this_stacks_port_where_the_config_turns_it_on(tmp_path: Path) -> None:
    config_file = tmp_path / "livekit.yaml"
    config_file.write_text("port: 7880\nrtc:\n  tcp_port: 7881\n")
    settings = Settings.model_validate({"FRONTDESK_LIVEKIT_CONFIG": str(config_file)})
    ports = StackPorts(rtc_tcp=17881)
    assert yaml.safe_load(livekit_config_body(settings, ports))["rtc"]["tcp_port"] == 17881


def test_ephemeral_ports_are_distinct() -> None:
    ports = StackPorts.ephemeral()
    tcp = {ports.livekit, ports.rtc_tcp, ports.worker_http, ports.dispatcher_http}
    assert len(tcp) == 4
    assert ports.udp_end - ports.udp_start == 199
