"""Opaque keyset-pagination cursors: the sort key of the last row a page showed."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from service.errors import FieldError
from service.models import MAX_ID

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
