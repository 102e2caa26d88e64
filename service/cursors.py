"""Keyset pagination, written once: opaque cursors (the sort key of the last row a page
showed) and the two page walks the lists use, by time with an id tiebreak or by id newest
first."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from service.errors import FieldError
from service.models import MAX_ID

R = TypeVar("R")

_INVALID = "This page link is invalid; start again from the first page."


def encode(created_at: datetime, row_id: int) -> str:
    raw = f"{created_at.isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, row_id = raw.split("|")
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("cursor time without zone")
        # Normalised here: a time that cannot be expressed in UTC overflows now, not in the driver.
        return created_at.astimezone(UTC), _row_id(row_id)
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise FieldError("cursor", _INVALID) from None


def encode_id(row_id: int) -> str:
    return base64.urlsafe_b64encode(str(row_id).encode()).decode().rstrip("=")


def decode_id(cursor: str) -> int:
    try:
        return _row_id(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise FieldError("cursor", _INVALID) from None


def _row_id(text: str) -> int:
    row_id = int(text)
    if not 0 < row_id <= MAX_ID:
        raise ValueError("cursor id out of range")
    return row_id


@dataclass(frozen=True)
class Page(Generic[R]):
    rows: list[R]
    # None on the last page.
    next_cursor: str | None


def by_time(
    stmt: Select[*tuple[Any, ...]],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[int],
    cursor: str | None,
    limit: int,
    fetch: Callable[[Select[*tuple[Any, ...]]], Sequence[R]],
    key: Callable[[R], tuple[datetime, int]],
    newest: bool = False,
) -> Page[R]:
    """One page of `stmt` in (created_at, id) order (both descending for `newest`), after
    the row the cursor names. `fetch` runs the statement (session or plain connection);
    `key` reads (created_at, id) from a row, and is called for the last row only."""
    if cursor:
        stamp, last_id = decode(cursor)
        if newest:
            after = or_(created_at < stamp, and_(created_at == stamp, row_id < last_id))
        else:
            after = or_(created_at > stamp, and_(created_at == stamp, row_id > last_id))
        stmt = stmt.where(after)
    order = (created_at.desc(), row_id.desc()) if newest else (created_at, row_id)
    rows = fetch(stmt.order_by(*order).limit(limit + 1))
    return _cut(rows, limit, lambda last: encode(*key(last)))


def by_id_newest(
    stmt: Select[*tuple[Any, ...]],
    row_id: InstrumentedAttribute[int],
    cursor: str | None,
    limit: int,
    fetch: Callable[[Select[*tuple[Any, ...]]], Sequence[R]],
    key: Callable[[R], int],
) -> Page[R]:
    """One page of `stmt`, highest id first, after the row the cursor names."""
    if cursor:
        stmt = stmt.where(row_id < decode_id(cursor))
    rows = fetch(stmt.order_by(row_id.desc()).limit(limit + 1))
    return _cut(rows, limit, lambda last: encode_id(key(last)))


def _cut(rows: Sequence[R], limit: int, cursor_of: Callable[[R], str]) -> Page[R]:
    # One row more than the page was fetched: its presence is how we know a next page exists.
    shown = list(rows[:limit])
    return Page(shown, cursor_of(shown[-1]) if len(rows) > limit and shown else None)
