"""Behind a proxy without TRUSTED_PROXIES every reader shares the proxy's address: the
service says so once in the log and on the moderation pages, and the ban form warns before
an IP ban on an address that many commenters share."""

from __future__ import annotations

import html
import logging
import re
from typing import Any

from flask.testing import FlaskClient

from service.moderation import accounts
from service.privacy import vault
from tests.conftest import VALID, form_token
from tests.http.web.helpers import PASSWORD, sign_in

FORWARDED = {"X-Forwarded-For": "198.51.100.7"}
PROXY = "Requests arrive with X-Forwarded-For, but TRUSTED_PROXIES is 0"


def proxy_warnings(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "commentdesk.proxies"]


def signed_in(app: Any) -> FlaskClient:
    with app.app_context():
        accounts.create_moderator("mia", PASSWORD, admin=True)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    return client


def page_text(response: Any) -> str:
    assert response.status_code == 200
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return " ".join(text.split())


def test_forwarded_requests_without_trusted_proxies_warn_once_and_on_the_admin_pages(
    make_app, caplog
):
    caplog.set_level(logging.WARNING)
    app = make_app()
    moderator = signed_in(app)
    assert PROXY not in page_text(moderator.get("/moderation/"))
    assert proxy_warnings(caplog) == []

    reader = app.test_client()
    for _ in range(3):
        assert reader.get("/healthz", headers=FORWARDED).status_code == 200
    [warning] = proxy_warnings(caplog)
    assert warning.startswith(PROXY)
    assert "198.51.100.7" not in warning

    for page in ("/moderation/", "/moderation/admin/moderators", "/moderation/bans"):
        assert PROXY in page_text(moderator.get(page))


def test_trusted_proxies_set_means_no_warning(make_app, caplog):
    caplog.set_level(logging.WARNING)
    app = make_app(TRUSTED_PROXIES=1)
    moderator = signed_in(app)
    assert app.test_client().get("/healthz", headers=FORWARDED).status_code == 200
    assert proxy_warnings(caplog) == []
    assert PROXY not in page_text(moderator.get("/moderation/"))


SHARED = "This client's address is shared: 3 different commenters wrote from it"


def comment_from(client: FlaskClient, ip: str, email: str, body: str) -> int:
    response = client.post(
        "/api/v1/articles/posts/hello/comments",
        json=VALID | {"email": email, "body": body, "form_token": form_token(client.application)},
        environ_base={"REMOTE_ADDR": ip},
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def test_the_ban_form_warns_before_banning_an_address_many_commenters_share(make_app):
    app = make_app()
    client = app.test_client()
    for n in range(3):
        comment_from(client, "192.0.2.1", f"office{n}@example.org", f"From the office {n}")
    loner = comment_from(client, "192.0.2.99", "home@example.org", "From home")
    # One commenter writing many times from an address does not make it shared.
    for n in range(3):
        comment_from(client, "192.0.2.50", "chatty@example.org", f"Again {n}")
    moderator = signed_in(app)

    queue = moderator.get("/moderation/?status=pending").get_data(as_text=True)
    cards = re.split(r'<li class="comment', queue)
    warned = [card for card in cards if "address is shared" in card]
    assert len(warned) == 3
    assert all("From the office" in card for card in warned)
    assert SHARED in page_text(moderator.get("/moderation/?status=pending"))
    assert not any(f'id="c{loner}"' in card for card in warned)

    with app.app_context():
        office = vault.vault().email_hash("office0@example.org")
        home = vault.vault().email_hash("home@example.org")
    assert SHARED in page_text(moderator.get(f"/moderation/commenters/{office}"))
    assert "address is shared" not in page_text(moderator.get(f"/moderation/commenters/{home}"))


def test_the_ban_form_warns_that_an_ip_ban_is_the_proxys_when_proxies_are_untrusted(make_app):
    app = make_app()
    client = app.test_client()
    comment_from(client, "192.0.2.99", "home@example.org", "From home")
    moderator = signed_in(app)
    assert "would refuse every reader" not in page_text(moderator.get("/moderation/"))
    moderator.get("/healthz", headers=FORWARDED)
    assert "would refuse every reader" in page_text(moderator.get("/moderation/"))
