"""Akismet's second opinion (service/screening/akismet_check.py), against a fake Akismet over
HTTP: its verdict, what it is sent (never the address), and failures that never stop a
submission."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

import httpx
import pytest
from flask import Flask

from service.screening import akismet_check
from tests.screening.helpers import post, reason_codes, stored, token_headers


class FakeAkismet:
    """Answers comment-check requests as the Akismet API does; records what it was sent."""

    def __init__(self, answer: str = "false", pro_tip: str | None = None) -> None:
        self.answer = answer
        self.pro_tip = pro_tip
        self.failure: Exception | None = None
        self.status = 200
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failure is not None:
            raise self.failure
        headers = {"X-akismet-pro-tip": self.pro_tip} if self.pro_tip else {}
        return httpx.Response(self.status, text=self.answer, headers=headers)

    def sent(self) -> dict[str, list[str]]:
        [request] = self.requests
        return parse_qs(request.content.decode())


@pytest.fixture
def akismet(make_app: Callable[..., Flask]) -> Iterator[tuple[Flask, FakeAkismet]]:
    app = make_app(
        MODERATION="off",
        AKISMET_API_KEY="abc123",
        AKISMET_BLOG_URL="https://blog.example.com",
    )
    fake = FakeAkismet()
    with httpx.Client(transport=httpx.MockTransport(fake)) as http:
        app.extensions[akismet_check.EXTENSION_KEY] = http
        yield app, fake


@pytest.mark.parametrize(
    ("answer", "pro_tip", "status", "codes"),
    [
        ("false", None, "approved", []),
        ("true", None, "spam", ["akismet"]),
        ("true", "discard", "spam", ["akismet"]),
    ],
    ids=["ham", "spam", "blatant spam"],
)
def test_akismet_verdict_decides_spam(akismet, answer, pro_tip, status, codes):
    app, fake = akismet
    fake.answer, fake.pro_tip = answer, pro_tip
    client = app.test_client()
    headers = token_headers(app)
    response = post(client, body="Some text to check.")
    assert response.status_code == 201
    comment = stored(client, headers, response.get_json()["id"])
    assert (comment["status"], reason_codes(comment)) == (status, codes)
    if codes:
        assert comment["reasons"] == [{"code": "akismet", "message": "Akismet says spam"}]


def test_akismet_gets_the_comment_but_never_the_email(akismet):
    app, fake = akismet
    post(
        app.test_client(),
        body="Checking what is sent.",
        name="Ada",
        email="ada.private@example.org",
        website="https://ada.example.org",
        headers={"User-Agent": "TestBrowser/1.0"},
        ip="198.51.100.23",
    )
    request = fake.requests[0]
    assert request.method == "POST"
    assert request.url == "https://rest.akismet.com/1.1/comment-check"
    sent = fake.sent()
    assert sent["api_key"] == ["abc123"]
    assert sent["blog"] == ["https://blog.example.com"]
    assert sent["user_ip"] == ["198.51.100.23"]
    assert sent["comment_content"] == ["Checking what is sent."]
    assert sent["comment_author"] == ["Ada"]
    assert sent["comment_author_url"] == ["https://ada.example.org"]
    assert sent["user_agent"] == ["TestBrowser/1.0"]
    assert "comment_author_email" not in sent
    raw = request.content.decode() + str(request.url) + str(request.headers)
    assert "ada.private" not in raw and "ada.private%40example.org" not in raw


@pytest.mark.parametrize(
    "fail",
    [
        lambda fake: setattr(fake, "failure", httpx.ConnectError("refused")),
        lambda fake: setattr(fake, "failure", httpx.ReadTimeout("slow")),
        lambda fake: setattr(fake, "status", 503),
        lambda fake: setattr(fake, "answer", "invalid"),
        lambda fake: setattr(fake, "answer", "<html>maintenance</html>"),
    ],
    ids=["connection refused", "timeout", "server error", "invalid key", "nonsense"],
)
def test_akismet_failure_never_stops_a_submission(akismet, caplog, fail):
    app, fake = akismet
    fail(fake)
    caplog.set_level(logging.WARNING, logger="service.screening.akismet_check")
    response = post(app.test_client(), body="Akismet is having a bad day.")
    assert response.status_code == 201
    assert response.get_json()["status"] == "approved"
    assert len(fake.requests) == 1
    assert any("Akismet check skipped" in r.getMessage() for r in caplog.records)


def test_akismet_is_not_asked_unless_configured(make_app):
    app = make_app(MODERATION="off")
    fake = FakeAkismet(answer="true")
    with httpx.Client(transport=httpx.MockTransport(fake)) as http:
        app.extensions[akismet_check.EXTENSION_KEY] = http
        response = post(app.test_client(), body="No key, no call.")
    assert response.get_json()["status"] == "approved"
    assert fake.requests == []
