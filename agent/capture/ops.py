"""The recorder's writes as plain JSON records, so they can wait in a spool file; the
store reads each back as one of its ops and applies it (:mod:`agent.store.ops`)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..store.ops import OpKind


def jsonable(value: object) -> object:
    """Datetimes as ISO strings, mappings and sequences recursively, the rest as is."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def event_payload(event: object) -> tuple[str, datetime, dict[str, Any]]:
    """Any flow event dataclass as (class name, time, its other fields JSON-ready)."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        raise TypeError(f"flow events are dataclass instances, not {type(event).__name__}")
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    at = fields.pop("at", None)
    if not isinstance(at, datetime):
        raise TypeError(f"{type(event).__name__} has no datetime 'at'")
    payload = jsonable(fields)
    assert isinstance(payload, dict)
    return type(event).__name__, at, payload


def encode(kind: OpKind, data: Mapping[str, Any]) -> str:
    return json.dumps({"op": kind, **jsonable(data)}, separators=(",", ":"))  # type: ignore[dict-item]


def decode(line: str) -> dict[str, Any]:
    record = json.loads(line)
    if not isinstance(record, dict) or "op" not in record:
        raise ValueError("not a recorder op")
    return record
