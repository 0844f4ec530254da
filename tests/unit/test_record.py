"""The call record's vocabularies agree with the code that writes and reads them."""

from __future__ import annotations

from typing import get_args

import pytest

from agent.flow.events import EVENT_TYPES, FlowEvent
from agent.record.events import EventType
from agent.store.ops import OP, OpKind, SpoolOp

pytestmark = pytest.mark.unit


def test_every_flow_event_is_stored_under_its_class_name() -> None:
    classes = get_args(FlowEvent)
    assert set(EVENT_TYPES) == set(classes)
    assert all(EVENT_TYPES[cls] == cls.__name__ for cls in classes)
    assert EventType.NODE_ENTERED == "NodeEntered"  # rows compare as plain strings


def test_the_recorder_writes_exactly_the_ops_the_store_reads() -> None:
    union = get_args(get_args(SpoolOp)[0])
    read = {get_args(model.model_fields["op"].annotation)[0] for model in union}
    assert read == set(get_args(OpKind))


def test_a_spooled_turn_reads_back_typed() -> None:
    line = {
        "op": "turn",
        "call_id": "c",
        "tenant": "t",
        "seq": 1,
        "speaker": "caller",
        "text": "hi",
        "started_at": "2026-01-05T10:00:00+00:00",
        "latency": {"e2e": 0.5},
        "unknown_later_field": 1,
    }
    turn = OP.validate_python(line)
    assert turn.op == "turn" and turn.started_at.year == 2026
    with pytest.raises(ValueError):
        OP.validate_python({**line, "speaker": "robot"})
