"""Staff authentication of the dispatcher: logins, bearer tokens, and the tenant check.

- ``POST /v1/auth/login`` ``{"tenant", "email", "password"}``: a session token
  (``FRONTDESK_STAFF_SESSION_HOURS``, 12 by default), rate-limited per client address.
- ``POST /v1/auth/logout``: revokes the token it is called with. ``GET /v1/auth/me``.

Every staff route takes :data:`StaffDep`: the request's ``Authorization: Bearer
<token>`` (a session or an API key made by ``frontdesk staff key``) must name a live
token of an enabled staff user, else 401. :func:`require_tenant` then answers 403 for
anything of another tenant: staff of one tenant never see another's calls. Visitor
routes (the widget's session, a meeting join by signed link) take no login.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field

from ..config import Settings
from ..errors import RequestError
from ..store import staff as repo
from ..store.engine import Store
from ..store.staff import StaffMember, TokenKind
from ..web.ratelimit import ClientRateLimit
from .deps import SettingsDep, StoreDep, store_of
from .errors import ErrorBody
from .passwords import verify_password

SESSION_PREFIX = "fds_"
API_KEY_PREFIX = "fdk_"
UNAUTHORIZED = "sign in first: send 'Authorization: Bearer <token>' (POST /v1/auth/login)"

_bearer = HTTPBearer(auto_error=False, description="A staff session token or API key")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    app.state.login_limit = ClientRateLimit(
        settings.staff_login_rate_limit,
        scope="staff-login",
        setting="FRONTDESK_STAFF_LOGIN_RATE_LIMIT",
    )
    yield


router = APIRouter(tags=["staff"], lifespan=lifespan)


def new_token(kind: TokenKind) -> str:
    return (SESSION_PREFIX if kind == "session" else API_KEY_PREFIX) + secrets.token_urlsafe(32)


async def token_of(store: Store, token: str) -> StaffMember | None:
    async with store.transaction() as s:
        return await repo.token_owner(s, token, now=datetime.now(UTC))


async def current_staff(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffMember:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})
    member = await token_of(store_of(request), credentials.credentials)
    if member is None:
        raise HTTPException(
            401,
            "this token is unknown, expired or revoked: sign in again",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return member


StaffDep = Annotated[StaffMember, Depends(current_staff)]
STAFF_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "No valid staff token"},
    403: {"model": ErrorBody, "description": "Another tenant's"},
}


def require_tenant(staff: StaffMember, tenant: str, *, field: str | None = None) -> None:
    """403 unless ``tenant`` is the staff member's own."""
    if tenant != staff.tenant:
        raise RequestError(
            f"this login is for tenant {staff.tenant!r}; it has no access to tenant {tenant!r}",
            status=403,
            field=field,
        )


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant: str = Field(min_length=1, max_length=64)
    email: str = Field(min_length=3, max_length=255)
    password: str = Field(min_length=1, max_length=1024)


class SessionBody(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'")
    tenant: str
    email: str
    expires_at: datetime | None


class StaffBody(BaseModel):
    tenant: str
    email: str


@router.post(
    "/v1/auth/login",
    response_model=SessionBody,
    responses={code: {"model": ErrorBody} for code in (401, 422, 429)},
    summary="Sign in as a tenant's staff member: a session token",
)
async def login(
    body: LoginRequest, request: Request, settings: SettingsDep, store: StoreDep
) -> SessionBody:
    limit = request.app.state.login_limit
    assert isinstance(limit, ClientRateLimit)
    await limit.hit(request.client.host if request.client else "unknown")
    async with store.transaction() as s:
        user = await repo.find_user(s, tenant=body.tenant, email=body.email)
        encoded = user.password_hash if user is not None and not user.disabled else None
    if not await asyncio.to_thread(verify_password, encoded, body.password) or user is None:
        raise RequestError("wrong tenant, email or password", status=401)
    now = datetime.now(UTC)
    expires = now + timedelta(hours=settings.staff_session_hours)
    token = new_token("session")
    async with store.transaction() as s:
        user = await repo.find_user(s, tenant=body.tenant, email=body.email)
        assert user is not None
        await repo.add_token(s, user, token, kind="session", now=now, expires_at=expires)
    return SessionBody(token=token, tenant=user.tenant, email=user.email, expires_at=expires)


@router.post(
    "/v1/auth/logout",
    status_code=204,
    responses=STAFF_ERRORS,
    summary="Revoke the token this request carries",
)
async def logout(
    staff: StaffDep,
    store: StoreDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    assert credentials is not None  # current_staff checked it
    async with store.transaction() as s:
        await repo.revoke_token(s, credentials.credentials, now=datetime.now(UTC))


@router.get("/v1/auth/me", response_model=StaffBody, responses=STAFF_ERRORS)
async def me(staff: StaffDep) -> StaffBody:
    return StaffBody(tenant=staff.tenant, email=staff.email)
