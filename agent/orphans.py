"""No process outlives the worker: a job process dies with its parent.

livekit's job processes ignore SIGTERM and SIGINT (their parent handles them) and are
children of the multiprocessing forkserver, which exits when the worker's main process
does. A job process whose worker was killed could go on serving, holding its call and
its models, ignoring every polite signal. :func:`die_with_parent` asks Linux to send it
SIGKILL when its parent goes (``prctl(PR_SET_PDEATHSIG)``); elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys

logger = logging.getLogger("frontdesk.worker")

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> bool:
    """Have this process killed when its parent exits; True when the kernel agreed."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        logger.warning("cannot tie the process to its parent", extra={"errno": ctypes.get_errno()})
        return False
    if os.getppid() != parent:  # the parent went before the request took effect
        os.kill(os.getpid(), signal.SIGKILL)
    return True
