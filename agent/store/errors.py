"""The store's errors as the error tree's: a refusal (this record can never be written)
or an outage (try again later). Nothing from SQLAlchemy or the drivers leaks past the
store.

SQLAlchemy's classes decide first: ``IntegrityError``, ``DataError`` and
``ProgrammingError`` are refusals; ``OperationalError``, ``InterfaceError``, an
invalidated connection, ``OSError`` and timeouts are outages. asyncpg reports a data
exception (value too long, NUL in text, number out of range) as a plain ``DBAPIError``,
so the SQLSTATE decides for it: classes 22 (data exception), 23 (integrity) and 42
(syntax or access rule) are refusals. Three of class 42 are outages, not refusals: an
undefined table or column (the schema is not migrated yet) and a missing privilege
(the role is misconfigured). Both are fixed by an operator without touching the record,
so the record waits in the spool instead of the dead-letter file.
"""

from __future__ import annotations

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    SQLAlchemyError,
    StatementError,
)

from ..errors import StoreError, StoreRefused, StoreUnavailable

REFUSED_SQLSTATE_CLASSES = frozenset({"22", "23", "42", "44"})
NOT_READY_SQLSTATES = frozenset({"42P01", "42703", "42501", "3F000"})


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE Postgres gave for ``error``, if any."""
    orig = getattr(error, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def _reason(error: BaseException) -> str:
    """The driver's one-line reason, without the statement or its parameters (which may
    hold a caller's words)."""
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error) or type(error).__name__
    first = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    if first.startswith("(") and ")" in first:  # "(sqlalchemy...asyncpg.Error) value too long"
        first = first.split(")", 1)[1].strip()
    return first[:300]


def is_refusal(error: BaseException) -> bool:
    """Whether the store refused the record (as opposed to being unavailable)."""
    if isinstance(error, StoreError):
        return isinstance(error, StoreRefused)
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return False
        code = sqlstate(error)
        if code is not None:
            return code not in NOT_READY_SQLSTATES and code[:2] in REFUSED_SQLSTATE_CLASSES
        if isinstance(error, IntegrityError | DataError | ProgrammingError):
            return True
        if isinstance(error, OperationalError | InterfaceError):
            return _client_side_data_error(error)
        return False
    if isinstance(error, StatementError):
        # raised before the statement reached the database: a value that cannot be sent
        return error.orig is None or isinstance(error.orig, ValueError | TypeError)
    return not isinstance(error, OSError | TimeoutError | SQLAlchemyError)


def _client_side_data_error(error: DBAPIError) -> bool:
    """asyncpg's own ``DataError`` (a value it cannot encode) arrives as an
    InterfaceError; it is a refusal, not a broken connection."""
    cause: BaseException | None = error.orig
    while cause is not None:
        if isinstance(cause, ValueError | TypeError | UnicodeError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def store_error(error: BaseException, what: str = "write") -> StoreError:
    """The error tree's error for ``error`` (a SQLAlchemy, driver or OS error)."""
    if isinstance(error, StoreError):
        return error
    reason = _reason(error)
    if is_refusal(error):
        return StoreRefused(f"the store refused the {what}: {reason}")
    return StoreUnavailable(f"the store is unavailable: {reason}")
