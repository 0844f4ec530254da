"""The dispatcher's HTTP app (FastAPI, served by uvicorn): the app factory and its routers.

``create_app(settings)`` builds the app from :func:`routers`: each area of the API is
one ``APIRouter`` in a module of its own (calls, LiveKit webhooks, web visitors, ...), so
a new area is one more entry there. The app owns what every router shares: the
settings, one livekit-api client and one store (opened and closed by the lifespan; the
store holds the web visitors' counts and the outbox that ``/metrics`` reports), JSON
errors (:mod:`.errors`), CORS for the configured origins only
(``FRONTDESK_CORS_ORIGINS``), and the OpenAPI document (``/openapi.json``, browsable at
``/docs`` with Swagger UI served from ``node_modules``, never from a CDN). Health,
readiness and metrics are in :mod:`.ops`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

from ..config import Settings
from ..errors import RequestError
from ..store.engine import Store
from ..store.migrate import ensure_embedded_schema
from . import auth, calls, console, live, npm, ops, records, webhooks
from .dispatch import livekit_api
from .errors import ErrorBody, install_error_handlers
from .summary import Summarizer

logger = logging.getLogger("frontdesk.dispatcher")

TITLE = "Frontdesk dispatcher"

assets = APIRouter(include_in_schema=False)


@assets.get("/web/lib/{name}", responses={404: {"model": ErrorBody}, 503: {"model": ErrorBody}})
async def npm_file(name: str) -> FileResponse:
    """A browser library from node_modules (the LiveKit JS client, Swagger UI)."""
    served = npm.SERVED.get(name)
    if served is None:
        raise RequestError(f"no library {name!r} here", status=404, field="name")
    if not served.installed():
        raise RequestError(served.missing_message(), status=503)
    return FileResponse(served.location, media_type=served.media_type)


@assets.get("/docs")
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title=f"{TITLE}: API",
        swagger_js_url="/web/lib/swagger-ui-bundle.js",
        swagger_css_url="/web/lib/swagger-ui.css",
        swagger_favicon_url="/web/lib/swagger-favicon.png",
    )


def routers() -> list[APIRouter]:
    """Every area of the dispatcher's API, in the order they are matched."""
    from ..meetings.routes import router as meetings
    from ..web.routes import router as web

    return [
        ops.router,
        auth.router,
        calls.router,
        records.router,
        console.router,
        live.router,
        webhooks.router,
        web,
        meetings,
        assets,
    ]


def summarizer_for(settings: Settings) -> Summarizer:
    """The warm summary's: the deployment's LLM (``FRONTDESK_LLM``) when it has one that
    can be built (its key set), else the deterministic summary alone."""
    if settings.llm == "none":
        return Summarizer(None)
    from ..providers.registry import build_llm  # the provider plugins: only when used

    try:
        model = build_llm(settings)
    except Exception as e:  # a missing key, a plugin that refuses its settings
        logger.warning("no LLM for the warm summary", extra={"error": str(e)})
        model = None
    return Summarizer(model, timeout_s=settings.summary_timeout_s)


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for gone in npm.missing():
            logger.warning("browser library missing", extra={"error": gone.missing_message()})
        app.state.livekit = livekit_api(settings)
        app.state.summarizer = summarizer_for(settings)
        app.state.store = Store.open(settings)
        try:
            await ensure_embedded_schema(app.state.store.engine.url)
            yield
        finally:
            await app.state.store.close()
            await app.state.livekit.aclose()

    app = FastAPI(
        title=TITLE,
        summary="Rooms, agent dispatch, LiveKit webhooks and the web visitors' widget",
        lifespan=lifespan,
        docs_url=None,  # /docs is served above, with Swagger UI from node_modules
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    for router in routers():
        app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            max_age=600,
        )
    return app
