"""Personal join links: a signed, expiring token for one attendee of one meeting.

The token is a JWT (PyJWT, HS256) whose key is derived from the LiveKit API secret with
a label of its own, so it is no LiveKit token and cannot be used as one. It names the
meeting and the attendee's email, and expires an hour after the meeting's end. The
dispatcher exchanges it for a LiveKit token (``POST /v1/meetings/join``) only while
the meeting is upcoming or running.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import jwt

from ..config import Settings
from ..errors import RequestError

AUDIENCE = "frontdesk:meeting-join"
ALGORITHM = "HS256"
AFTER_END = timedelta(hours=1)


@dataclass(frozen=True)
class JoinClaim:
    meeting_id: str
    email: str


def _key(settings: Settings) -> bytes:
    secret = settings.livekit_api_secret.get_secret_value().encode()
    return hmac.new(secret, b"frontdesk meeting join link", hashlib.sha256).digest()


def sign(settings: Settings, claim: JoinClaim, *, expires: datetime) -> str:
    payload = {"mid": claim.meeting_id, "sub": claim.email, "aud": AUDIENCE, "exp": expires}
    return jwt.encode(payload, _key(settings), algorithm=ALGORITHM)


def verify(settings: Settings, token: str) -> JoinClaim:
    """The claim of a valid token; a 401 :class:`RequestError` naming the field otherwise."""
    try:
        payload = jwt.decode(
            token,
            _key(settings),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["exp", "aud", "sub", "mid"]},
        )
    except jwt.ExpiredSignatureError as e:
        raise RequestError("this join link has expired", status=401, field="token") from e
    except jwt.InvalidTokenError as e:
        raise RequestError("this join link is not valid", status=401, field="token") from e
    return JoinClaim(meeting_id=str(payload["mid"]), email=str(payload["sub"]))


def join_url(settings: Settings, token: str) -> str:
    base = settings.public_url or f"http://{settings.dispatcher_host}:{settings.dispatcher_port}"
    return f"{base.rstrip('/')}/m/join#{quote(token)}"
