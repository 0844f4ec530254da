"""``frontdesk demo`` waits for the post-call notifications before it reports them."""

from __future__ import annotations

import pytest

from agent.postcall.demo import notification_settled

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("status", "attempts", "settled"),
    [
        ("pending", 0, False),  # not claimed yet
        ("sending", 1, False),  # claimed: the send is in flight (the demo said "not received")
        ("pending", 1, True),  # failed once, waiting for its retry
        ("delivered", 1, True),
        ("failed", 5, True),
    ],
)
def test_a_notification_in_flight_is_not_settled(status: str, attempts: int, settled: bool) -> None:
    assert notification_settled(status, attempts) is settled
