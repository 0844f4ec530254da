"""How the dispatcher's HTTP API answers what it cannot serve: JSON, never a stack trace.

Every error body is ``{"error": "<what is wrong>"}``, with ``"field"`` naming the request
field at fault when there is one, and ``"fields"`` listing each invalid field of a body
that fails validation::

    422 {"error": "invalid request: tenant: String should have at least 1 character",
         "fields": [{"field": "tenant", "error": "String should have at least 1 character"}]}

Bad input is a 4xx; only a fault of the dispatcher itself is a 5xx (logged with its
traceback, answered without it). An error names the key that was asked for, never the
house: no other tenant, no path on the server. A LiveKit server that does not answer is
a 503 saying the call service is unavailable.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from livekit import api
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..errors import RequestError, TenantError, UnknownTenantError

logger = logging.getLogger("frontdesk.dispatcher")


class FieldError(BaseModel):
    field: str
    error: str


class ErrorBody(BaseModel):
    """What every error response holds."""

    error: str
    field: str | None = None
    fields: list[FieldError] | None = None


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _field_name(loc: tuple[int | str, ...] | list[int | str]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    # a body that is not JSON at all is located at a character offset
    if not parts or (len(loc) == 2 and isinstance(loc[1], int)):
        return "(body)"
    return ".".join(parts)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = [{"field": _field_name(e["loc"]), "error": str(e["msg"])} for e in exc.errors()]
    first = fields[0] if fields else {"field": "(body)", "error": "invalid"}
    return error_response(
        422, f"invalid request: {first['field']}: {first['error']}", fields=fields
    )


async def _request_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestError)
    extra = {"field": exc.field} if exc.field else {}
    return error_response(exc.status, str(exc), **extra)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = error_response(exc.status_code, str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def tenant_request_error(tenant_id: str, error: TenantError) -> RequestError:
    """What a client is told of a tenant it asked for that cannot serve: 404 for an
    unknown one, 503 for one that does not load. The details (paths, the file's line,
    the other tenants) are logged for the operator, never answered."""
    if isinstance(error, UnknownTenantError):
        return RequestError(f"unknown tenant {tenant_id!r}", status=404, field="tenant")
    logger.error("tenant cannot be loaded", extra={"tenant": tenant_id, "error": str(error)})
    return RequestError(
        f"tenant {tenant_id!r} is not taking calls right now", status=503, field="tenant"
    )


LIVEKIT_DOWN = (
    "the call service is unavailable (the LiveKit server did not answer); try again in a moment"
)
LIVEKIT_ERRORS = (api.TwirpError, aiohttp.ClientError, TimeoutError)


async def _livekit_unavailable(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "LiveKit server did not answer",
        extra={"method": request.method, "path": request.url.path, "error": repr(exc)},
    )
    return error_response(503, LIVEKIT_DOWN)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "request failed", exc_info=exc, extra={"method": request.method, "path": request.url.path}
    )
    return error_response(500, "internal error: the dispatcher could not serve this request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(RequestError, _request_error)
    app.add_exception_handler(HTTPException, _http_error)
    for livekit_error in LIVEKIT_ERRORS:
        app.add_exception_handler(livekit_error, _livekit_unavailable)
    app.add_exception_handler(Exception, _unexpected)
