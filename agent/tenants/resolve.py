"""Which tenant a room belongs to: by tenant id, SIP called number, campaign id or
meeting owner.

The keys come from the dispatch/room metadata (``{"tenant": "<id>"}``,
``{"campaign": "<id>"}`` or ``{"meeting_owner": "<email>"}``, with an optional
``"source"``: sip, web or meeting, and for a meeting its ``"mode"``: discovery or
assistant) and, for phone calls, from the SIP participant's
``sip.trunkPhoneNumber`` attribute (the number the caller dialled). The first key present
decides, in that order: an explicit tenant id, then the called number, then the campaign,
then the meeting owner. The source and campaign also choose the tenant's flow
(``TenantConfig.flow_for``).
A key that no tenant has raises :class:`UnknownTenantError` (logged): the call is refused,
never handed to the default or another tenant. Only a room with no key at all gets the
default tenant.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

from ..errors import TenantError, UnknownTenantError
from ..record.vocabulary import Source
from .load import Tenant
from .model import MEETING_MODES, MeetingMode

logger = logging.getLogger("frontdesk.tenants")

# Attributes LiveKit SIP sets on a phone participant: the dialled (trunk) number.
SIP_CALLED_NUMBER_ATTRIBUTES = ("sip.trunkPhoneNumber", "sip.calledNumber")
KeyKind = Literal["tenant", "phone_number", "campaign", "meeting_owner"]
RoutingKind = Literal["phone_number", "campaign", "meeting_owner"]
SOURCES: tuple[Source, ...] = ("sip", "web", "meeting")
SORRY = "Sorry, this number is not set up to take calls yet. Please try again later. Goodbye."


@dataclass(frozen=True)
class RoomKeys:
    """What a room says about its tenant (any may be missing)."""

    tenant: str | None = None
    called_number: str | None = None
    campaign: str | None = None
    meeting_owner: str | None = None
    source: Source | None = None  # None: not said (a web room, unless SIP says otherwise)
    # a meeting's mode: its flow (discovery) or the meeting assistant
    mode: MeetingMode = "discovery"

    @classmethod
    def from_room(
        cls,
        metadata: str | None,
        participant_attributes: Mapping[str, str] | None = None,
    ) -> RoomKeys:
        """Keys from the JSON ``metadata`` and a (SIP) participant's attributes."""
        data = _metadata(metadata)
        attributes = participant_attributes or {}
        called = next((attributes[a] for a in SIP_CALLED_NUMBER_ATTRIBUTES if a in attributes), "")
        source = _text(data, "source")
        if source is not None and source not in SOURCES:
            raise TenantError(
                f"room metadata field 'source' must be one of {', '.join(SOURCES)}, not {source!r}"
            )
        owner = _text(data, "meeting_owner")
        mode = _text(data, "mode") or "discovery"
        if mode not in MEETING_MODES:
            raise TenantError(
                f"room metadata field 'mode' must be one of {', '.join(MEETING_MODES)}, "
                f"not {mode!r}"
            )
        return cls(
            tenant=_text(data, "tenant"),
            called_number=normalize_number(called) or _text(data, "phone_number"),
            campaign=_text(data, "campaign"),
            meeting_owner=owner.strip().lower() if owner else None,
            source="sip" if called else source,
            mode="assistant" if mode == "assistant" else "discovery",
        )

    @property
    def call_source(self) -> Source:
        """How the room came in: as said, else a phone call when a number was dialled,
        else a meeting when it names its owner, else the web."""
        if self.source is not None:
            return self.source
        if self.called_number:
            return "sip"
        return "meeting" if self.meeting_owner else "web"

    def first(self) -> tuple[KeyKind, str] | None:
        """The deciding key: tenant id, else called number, else campaign, else meeting
        owner."""
        if self.tenant:
            return "tenant", self.tenant
        if self.called_number:
            return "phone_number", self.called_number
        if self.campaign:
            return "campaign", self.campaign
        if self.meeting_owner:
            return "meeting_owner", self.meeting_owner
        return None


class TenantSource(Protocol):
    """Where tenants come from (a :class:`~.registry.TenantRegistry`)."""

    def get(self, tenant_id: str) -> Tenant: ...

    def find(self, kind: RoutingKind, key: str) -> str | None: ...


def resolve(source: TenantSource, keys: RoomKeys, *, default: str | None) -> Tenant:
    """The room's tenant; raises UnknownTenantError for a key no tenant has (blocking I/O:
    call it off the event loop)."""
    first = keys.first()
    if first is None:
        if default is None:
            raise _refuse("no tenant key in the room and no default tenant", "tenant", "")
        return source.get(default)
    kind, key = first
    if kind == "tenant":
        try:
            return source.get(key)
        except UnknownTenantError as e:
            raise _refuse(str(e), kind, key) from e
    tenant_id = source.find(kind, key)
    if tenant_id is None:
        raise _refuse(f"no tenant has the {kind.replace('_', ' ')} {key!r}", kind, key)
    return source.get(tenant_id)


def _refuse(message: str, kind: KeyKind, key: str) -> UnknownTenantError:
    logger.warning("call refused: unknown tenant key", extra={"key_kind": kind, "key": key})
    return UnknownTenantError(message, kind=kind, key=key)


def normalize_number(number: str) -> str:
    """A dialled number in E.164 form: ``"+44 20 7123-4567"`` -> ``"+442071234567"``."""
    digits = re.sub(r"[^\d+]", "", number.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits and not digits.startswith("+"):
        digits = "+" + digits
    return digits


def tenant_id_for_room(metadata: str | None, default: str) -> str:
    """The tenant id in a room's or dispatch's JSON metadata, else ``default``."""
    return RoomKeys.from_room(metadata).tenant or default


def _metadata(metadata: str | None) -> dict[str, object]:
    if not metadata:
        return {}
    try:
        data = json.loads(metadata)
    except json.JSONDecodeError as e:
        raise TenantError(f"room metadata is not JSON: {e.msg} at column {e.colno}") from e
    if not isinstance(data, dict):
        raise TenantError('room metadata must be a JSON object like {"tenant": "<id>"}')
    return data


def _text(data: dict[str, object], field: str) -> str | None:
    value = data.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TenantError(f"room metadata field {field!r} must be a string")
    return value or None
