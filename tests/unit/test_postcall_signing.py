"""Webhook signatures: what sign() makes, verify_signature() accepts, and nothing else."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from agent.postcall.signing import sign, verify_signature

pytestmark = pytest.mark.unit

BODY = b'{"event":"call.analyzed"}'


def test_header_format_is_timestamp_and_hex_hmac_of_timestamp_dot_body() -> None:
    header = sign("s3cret", BODY, timestamp=1_700_000_000)
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_signature() -> None:
    header = sign("s3cret", BODY, timestamp=1_700_000_000)
    assert verify_signature("s3cret", header, BODY, now=1_700_000_100)


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("wrong", BODY, 1_700_000_000),  # another secret
        ("s3cret", BODY + b" ", 1_700_000_000),  # a changed body
        ("s3cret", BODY, 1_700_000_301),  # replayed after the tolerance
        ("s3cret", BODY, 1_699_999_600),  # from the future
    ],
)
def test_verify_rejects(secret: str, body: bytes, now: int) -> None:
    header = sign("s3cret", BODY, timestamp=1_700_000_000)
    assert not verify_signature(secret, header, body, now=now)


@pytest.mark.parametrize("header", ["", "v1=abc", "t=notanumber,v1=abc", "t=1700000000"])
def test_verify_rejects_malformed_headers(header: str) -> None:
    assert not verify_signature("s3cret", header, BODY, now=1_700_000_000)
