"""Ids and columns agree: every id Frontdesk makes fits the column it is stored in, and
the store tells a refusal from an outage by SQLAlchemy's classes and SQLSTATEs."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, StatementError

from agent.control.dispatch import new_room_name
from agent.errors import StoreRefused, StoreUnavailable
from agent.postcall.notify import _key
from agent.store.calls import CALL_ID_MAX, new_call_id
from agent.store.clean import clean_json, clean_text
from agent.store.errors import is_refusal, store_error
from agent.store.tables import Base, Call, OutboxRow
from agent.tenants.load import TENANT_ID, TENANT_ID_MAX

pytestmark = pytest.mark.unit


def _length(table: str, column: str) -> int:
    return int(Base.metadata.tables[table].c[column].type.length)  # type: ignore[attr-defined]


def test_tenant_ids_fit_every_tenant_column() -> None:
    assert TENANT_ID.match("a" * TENANT_ID_MAX)
    assert not TENANT_ID.match("a" * (TENANT_ID_MAX + 1))
    for table in Base.metadata.tables.values():
        if "tenant" in table.c:
            assert _length(table.name, "tenant") >= TENANT_ID_MAX, table.name


def test_call_ids_fit_every_call_id_column() -> None:
    assert _length("calls", "id") == CALL_ID_MAX
    for table in Base.metadata.tables.values():
        for name in ("call_id", "last_call_id"):
            if name in table.c:
                assert _length(table.name, name) == CALL_ID_MAX, (table.name, name)


@pytest.mark.parametrize(
    "room",
    [
        "r",
        # a fixed id: the name is random, and xdist's workers must collect the same tests
        pytest.param(new_room_name("a" * TENANT_ID_MAX), id="new-room-of-the-longest-tenant"),
        "x" * 1000,
        "../../etc/passwd",
        ".hidden",
        "sip_+15551234567_AbCd",
        "a room with spaces/and\x00nul",
    ],
)
def test_a_call_id_fits_and_names_a_file_safely(room: str) -> None:
    call_id = new_call_id(room)
    assert 8 < len(call_id) <= CALL_ID_MAX
    assert all(c.isalnum() or c in "_.-" for c in call_id), call_id
    assert not call_id.startswith((".", "-"))
    assert new_call_id(room) != call_id  # a new call in the same room: a new id


def test_two_long_rooms_with_one_prefix_get_different_ids() -> None:
    a, b = new_call_id("x" * 100 + "a"), new_call_id("x" * 100 + "b")
    assert a.rsplit("-", 1)[0] != b.rsplit("-", 1)[0]


def test_idempotency_keys_of_the_longest_call_id_fit() -> None:
    longest = "c" * CALL_ID_MAX
    for purpose in ("owner_summary", "customer_confirmation", "webhook"):
        key = _key(longest, purpose, "x" * 500)
        assert len(key) <= _length(OutboxRow.__tablename__, "idempotency_key")
    assert Call.__table__.c.id.type.length == CALL_ID_MAX  # type: ignore[attr-defined]


def test_text_is_cleaned_of_nul_and_lone_surrogates() -> None:
    assert clean_text("a\x00b") == "ab"
    assert clean_text("bad \ud800 half") == "bad ? half"
    assert clean_text("x" * 10, limit=5) == "xxxx…"
    assert clean_json({"k\x00": ["v\x00", 1, {"n": "\x00"}]}) == {"k": ["v", 1, {"n": ""}]}


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"pg error {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("sqlstate", "refused"),
    [
        ("22001", True),  # value too long
        ("22021", True),  # NUL byte / bad encoding
        ("22003", True),  # number out of range
        ("23505", True),  # unique violation
        ("23503", True),  # foreign key
        ("42601", True),  # syntax error
        ("42P01", False),  # undefined table: not migrated yet, keep the records
        ("42501", False),  # insufficient privilege: a misconfigured role
        ("08006", False),  # connection failure
        ("57P01", False),  # admin shutdown
        ("53300", False),  # too many connections
        ("40001", False),  # serialization failure
    ],
)
def test_asyncpg_errors_are_told_apart_by_sqlstate(sqlstate: str, refused: bool) -> None:
    error = DBAPIError("INSERT ...", {}, _PgError(sqlstate))
    assert is_refusal(error) is refused
    assert isinstance(store_error(error), StoreRefused if refused else StoreUnavailable)


def test_sqlalchemy_classes_decide_without_a_sqlstate() -> None:
    integrity = IntegrityError("INSERT", {}, sqlite3.IntegrityError("NOT NULL constraint failed"))
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert isinstance(store_error(integrity), StoreRefused)
    assert isinstance(store_error(locked), StoreUnavailable)
    assert isinstance(store_error(ConnectionRefusedError(111, "refused")), StoreUnavailable)
    assert isinstance(store_error(TimeoutError()), StoreUnavailable)
    bad_value = StatementError("naive datetime", "INSERT", {}, ValueError("naive"))
    assert isinstance(store_error(bad_value), StoreRefused)
    # the message names the reason, never the statement's parameters (a caller's words)
    secret = DBAPIError("INSERT INTO turns", {"text": "my card is 4111"}, _PgError("22001"))
    assert "4111" not in str(store_error(secret))
