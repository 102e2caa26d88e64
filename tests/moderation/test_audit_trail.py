"""Reading the audit trail (service/moderation/audit_trail.py): newest first, page by page,
every event once, and filtered by moderator or comment."""

from __future__ import annotations

from typing import Any

from flask import Flask

from service.models import BanKind
from service.moderation import accounts, audit_trail, bans


def walk(limit: int, **filters: Any) -> tuple[list[int], int]:
    ids: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = audit_trail.events_page(None, cursor=cursor, limit=limit, **filters)
        pages += 1
        ids += [event["id"] for event in page["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids, pages


def test_the_audit_trail_pages_newest_first_with_every_event_once(app: Flask) -> None:
    with app.app_context():
        mia = accounts.create_moderator("mia", "correct horse battery staple")
        noor = accounts.create_moderator("noor", "correct horse battery staple")
        for n in range(5):
            made = bans.ban(bans.Target(BanKind.DOMAIN, value=f"w{n}.example"), "wave", mia)
            bans.lift(made.ban["id"], noor)
        everything, pages = walk(3)
        by_noor, _ = walk(2, moderator="noor")
        first = audit_trail.events_page(None, limit=3)["events"]
    assert len(everything) == 10
    assert everything == sorted(everything, reverse=True)
    assert pages == 4
    assert [e["moderator"] for e in first] == ["noor", "mia", "noor"]
    assert len(by_noor) == 5
    assert set(by_noor) < set(everything)
