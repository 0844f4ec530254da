"""What an operator's monitoring reads from the dispatcher: ``/healthz`` (the process is
up), ``/readyz`` (it can serve: the LiveKit server and the store both answer) and
``/metrics`` (Prometheus text: the outbox by status, read from the store when scraped,
and the dispatcher's own counters)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from livekit import api
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from ..metrics import OUTBOX_BACKLOG
from ..store.engine import Store
from ..store.postcall import outbox_counts
from .deps import LiveKitDep

logger = logging.getLogger("frontdesk.dispatcher")

router = APIRouter(tags=["operations"])
CHECK_TIMEOUT_S = 3.0
OUTBOX_STATUSES = ("pending", "sending", "delivered", "failed")


class Health(BaseModel):
    ok: bool = True


class Readiness(BaseModel):
    ready: bool
    livekit: str
    store: str


def store_of(request: Request) -> Store:
    store = request.app.state.store
    assert isinstance(store, Store)
    return store


@router.get("/healthz", response_model=Health, summary="The dispatcher is up")
async def healthz() -> Health:
    return Health()


async def _check(what: str, probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_S)
    except Exception as e:
        logger.warning("readiness check failed", extra={"check": what, "error": repr(e)})
        return f"unavailable: {type(e).__name__}"
    return "ok"


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness}},
    summary="The dispatcher can serve: LiveKit and the store answer",
)
async def readyz(request: Request, lkapi: LiveKitDep) -> JSONResponse:
    store = store_of(request)
    livekit, stored = await asyncio.gather(
        _check("livekit", lkapi.room.list_rooms(api.ListRoomsRequest())),
        _check("store", store.ping()),
    )
    body = Readiness(ready=livekit == stored == "ok", livekit=livekit, store=stored)
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    try:
        async with store_of(request).transaction() as s:
            counts = await asyncio.wait_for(outbox_counts(s), CHECK_TIMEOUT_S)
    except Exception as e:  # the scrape still answers; the backlog is then stale
        logger.warning("outbox backlog not read", extra={"error": repr(e)})
    else:
        for status in {*OUTBOX_STATUSES, *counts}:
            OUTBOX_BACKLOG.labels(status).set(counts.get(status, 0))
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
