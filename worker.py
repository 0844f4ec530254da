"""Frontdesk's agent worker: ``python worker.py start|dev|console``.

A thin entry point: it builds the settings and hands over to livekit-agents'
``AgentServer``; the per-room logic lives in :mod:`agent.call`.
"""

from __future__ import annotations

import sys

from livekit.agents import cli

from agent.errors import ConfigError
from agent.worker_app import build_server

if __name__ == "__main__":
    try:
        server = build_server()
    except ConfigError as e:
        print(f"frontdesk worker: {e}", file=sys.stderr)
        sys.exit(2)
    cli.run_app(server)
