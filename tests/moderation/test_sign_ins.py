"""Sign-in throttling (service/moderation/sign_ins.py), without HTTP: what is stored about a
failed sign-in, and what a refused one costs."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from service.errors import TooSoon
from service.extensions import db
from service.models import SignInFailure
from service.moderation import accounts, sign_ins
from service.privacy import vault

PASSWORD = "correct horse battery staple"
ADDRESS = "198.51.100.23"


def test_failures_are_kept_by_keyed_hashes_never_the_address_or_the_name(make_app):
    app = make_app()
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        typed = "my secret password typed as the name"
        assert sign_ins.sign_in(typed, "x", ADDRESS) is None
        assert sign_ins.sign_in("mia", "wrong", ADDRESS) is None
        rows = db.session.execute(select(SignInFailure)).scalars().all()
        assert {row.address_hash for row in rows} == {vault.vault().ip_hash(ADDRESS)}
        assert {row.account_hash for row in rows} == {
            sign_ins.account_hash(typed),
            sign_ins.account_hash("mia"),
        }
        stored = repr([(r.account_hash, r.address_hash, r.created_at) for r in rows])
        for secret in (ADDRESS, "198.51.100", typed, "mia"):
            assert secret not in stored


def test_a_refused_sign_in_is_not_counted_and_a_successful_one_takes_back_its_row(make_app):
    app = make_app(LOGIN_FAILURES_PER_ACCOUNT=2)
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD)
        assert sign_ins.sign_in("mia", "wrong", ADDRESS) is None
        assert sign_ins.sign_in("mia", PASSWORD, ADDRESS) is not None
        assert db.session.scalar(select(func.count(SignInFailure.id))) == 0
        for _ in range(2):
            assert sign_ins.sign_in("mia", "wrong", ADDRESS) is None
        for _ in range(3):
            with pytest.raises(TooSoon) as refusal:
                sign_ins.sign_in("mia", PASSWORD, ADDRESS)
            assert 0 < refusal.value.retry_after <= 900
        assert db.session.scalar(select(func.count(SignInFailure.id))) == 2


def test_failures_older_than_the_window_are_deleted(make_app):
    app = make_app(LOGIN_FAILURE_WINDOW_SECONDS=0)
    with app.app_context():
        for _ in range(10):
            assert sign_ins.sign_in("mia", "wrong", ADDRESS) is None
        # Each failure removes those before it that the window no longer holds.
        assert db.session.scalar(select(func.count(SignInFailure.id))) == 1


def test_guesses_racing_on_several_workers_get_no_more_tries_than_the_limit(make_app, monkeypatch):
    """Eight wrong guesses at once on two workers, against a limit of three: each guess is
    counted before its password is checked, so at most three are checked at all. (Held at
    the password check until all arrive, a count-after-checking would let all eight in.)"""
    workers = [make_app(LOGIN_FAILURES_PER_ACCOUNT=3) for _ in range(2)]
    with workers[0].app_context():
        accounts.create_moderator("mia", PASSWORD)
    arrived = threading.Barrier(8, timeout=2)
    authenticate = accounts.authenticate

    def slow_authenticate(username: str, password: str) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            arrived.wait()
        return authenticate(username, password)

    monkeypatch.setattr(accounts, "authenticate", slow_authenticate)

    def guess(n: int) -> str:
        with workers[n % 2].app_context():
            try:
                sign_ins.sign_in("mia", f"guess {n}", f"192.0.2.{n}")
            except TooSoon:
                return "refused"
            return "checked"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(8)))
    # Guesses that arrive together may all be refused: in flight, each counts for the others.
    assert outcomes.count("checked") <= 3
    assert outcomes.count("refused") == 8 - outcomes.count("checked")
