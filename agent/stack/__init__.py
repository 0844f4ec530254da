"""The local LiveKit stack: the livekit-server binary, and the processes of a dev stack."""

from .binary import LIVEKIT_SERVER_VERSION, ensure_livekit_server, find_livekit_server
from .processes import LocalStack, Service, StackPorts, free_port

__all__ = [
    "LIVEKIT_SERVER_VERSION",
    "LocalStack",
    "Service",
    "StackPorts",
    "ensure_livekit_server",
    "find_livekit_server",
    "free_port",
]
