"""Serve the dispatcher's app with uvicorn until SIGINT or SIGTERM.

``dispatcher listening`` is logged once the socket accepts connections (the local stack
waits for that line). uvicorn's own loggers go through Frontdesk's logging setup.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import uvicorn

from ..config import Settings
from ..errors import ConfigError
from .app import create_app

logger = logging.getLogger("frontdesk.dispatcher")


def _listen(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        raise ConfigError(
            f"FRONTDESK_DISPATCHER_HOST/FRONTDESK_DISPATCHER_PORT: cannot listen on "
            f"{host}:{port}: {e.strerror}"
        ) from e
    sock.set_inheritable(True)
    return sock


async def serve(settings: Settings) -> None:
    sock = _listen(settings.dispatcher_host, settings.dispatcher_port)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.dispatcher_host,
        port=settings.dispatcher_port,
        log_config=None,  # keep Frontdesk's handlers (structured, console or JSON)
        access_log=False,
        server_header=False,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started:
        url = f"http://{settings.dispatcher_host}:{settings.dispatcher_port}"
        logger.info("dispatcher listening", extra={"url": url})
    await task
