"""Suggestions for unknown fields: the closest field the model has at that place."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..yamlfile import Found, Loc

UNKNOWN = "unknown field"


def with_hints(found: list[Found], error: ValidationError, model: type[BaseModel]) -> list[Found]:
    """``found`` with each bare "unknown field" naming the closest known field, if any."""
    suggestions = {
        str(err["loc"][-1]): _closest(model, err["loc"])
        for err in error.errors()
        if err["type"] == "extra_forbidden"
    }
    hinted = []
    for line, field, message in found:
        close = suggestions.get(field.rsplit(".", 1)[-1])
        hint = f" (did you mean {close!r}?)" if message == UNKNOWN and close else ""
        hinted.append((line, field, message + hint))
    return hinted


def _closest(model: type[BaseModel], loc: Loc) -> str | None:
    names = field_names(model, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
    return close[0] if close else None


def field_names(model: type[BaseModel], path: Loc) -> list[str]:
    """The field names (aliases where set) of the model found at ``path`` under ``model``."""
    target: Any = model
    parts = list(path)
    while parts:
        target = _unwrap(target)
        origin = get_origin(target)
        if isinstance(target, type) and issubclass(target, BaseModel):
            info = _fields_by_key(target).get(str(parts.pop(0)))
            if info is None:
                return []
            target = info
        elif origin in (list, tuple):
            parts.pop(0)
            target = get_args(target)[0]
        elif origin is dict:
            parts.pop(0)
            target = get_args(target)[1]
        else:
            return []
    target = _unwrap(target)
    if isinstance(target, type) and issubclass(target, BaseModel):
        return list(_fields_by_key(target))
    return []


def _fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _unwrap(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` -> ``X``."""
    while True:
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
