"""Frontdesk's control plane: ``python dispatcher.py serve`` or ``dispatch --tenant ID``.

A thin entry point: settings in, then :mod:`agent.control` does the work.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from agent.config import load_settings
from agent.control.dispatch import dispatch_call, livekit_api
from agent.control.serve import serve
from agent.errors import FrontdeskError
from agent.logs import setup_logging
from agent.record.vocabulary import Source
from agent.tenants.resolve import SOURCES


async def _dispatch_once(tenant: str, room: str | None, source: Source | None) -> None:
    settings = load_settings()
    lkapi = livekit_api(settings)
    try:
        call = await dispatch_call(lkapi, settings, tenant=tenant, room=room, source=source)
    finally:
        await lkapi.aclose()
    print(f"dispatched agent {settings.agent_name!r} to room {call.room} (tenant {call.tenant})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dispatcher.py", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="serve the HTTP API, LiveKit webhooks and the web widget")
    one = sub.add_parser("dispatch", help="create a room and dispatch the agent to it")
    one.add_argument("--tenant", required=True)
    one.add_argument("--room")
    one.add_argument("--source", choices=SOURCES, help="chooses the tenant's flow")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings)
        if args.command == "dispatch":
            asyncio.run(_dispatch_once(args.tenant, args.room, args.source))
            return 0
        asyncio.run(serve(settings))
    except FrontdeskError as e:
        print(f"dispatcher: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
