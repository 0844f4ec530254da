"""How the dispatcher's HTTP API answers what it cannot serve: JSON, never a stack trace.

Every error body is ``{"error": "<what is wrong>"}``, with ``"field"`` naming the request
field at fault when there is one, and ``"fields"`` listing each invalid field of a body
that fails validation::

    422 {"error": "invalid request: tenant: String should have at least 1 character",
         "fields": [{"field": "tenant", "error": "String should have at least 1 character"}]}

Bad input is a 4xx; only a fault of the dispatcher itself is a 5xx (logged with its
traceback, answered without it).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from ..errors import RequestError

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


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error(
        "request failed", exc_info=exc, extra={"method": request.method, "path": request.url.path}
    )
    return error_response(500, "internal error: the dispatcher could not serve this request")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(RequestError, _request_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
