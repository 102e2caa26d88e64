"""'My comments' with two sites: the emailed link names the site commented on and opens that
site's comments only; withdrawing, downloading and erasing through it stay on that site; a
link from before sites opens the default site's. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

from service.privacy import my_comments, personal_data, vault
from service.sites import registry
from tests.privacy.test_my_comments import csrf, link_in, mine, open_page, wait_for
from tests.privacy.test_personal_data import ADA
from tests.two_sites import B_ORIGIN, add_site_b, posted_on

__all__ = ["mine"]  # the fixture, used by name


def test_the_link_names_its_site_and_lists_only_that_sites_comments(mine):
    app, mailbox = mine
    add_site_b(app)
    client = app.test_client()
    posted_on(client, None, "news/a", email=ADA, body="Written on A")
    posted_on(client, B_ORIGIN, "news/a", email=ADA, body="Written on B", my_comments_link=True)
    wait_for(mailbox, 1)

    message = mailbox.messages[0]
    page = open_page(app.test_client(), link_in(mailbox)).get_data(as_text=True)

    assert message["Subject"] == "Your comment on Site B: see it, withdraw it or erase it"
    assert "your comment on Site B" in message.get_content().replace("\n", " ")
    assert "Your comments on Site B" in page
    assert "Written on B" in page and "Written on A" not in page


def test_the_link_withdraws_downloads_and_erases_only_on_its_site(mine):
    app, _ = mine
    b = add_site_b(app)
    client = app.test_client()
    on_a = posted_on(client, None, "news/a", email=ADA, body="Written on A")
    on_b = posted_on(client, B_ORIGIN, "news/a", email=ADA, body="Written on B")
    with app.app_context():
        link = my_comments.link_for(ADA, b)
    page = open_page(client, link.removeprefix("https://comments.example.com"))
    token = csrf(page)

    withdraw_a = client.post(f"/my-comments/{on_a}/withdraw", data={"csrf_token": token})
    download = client.post("/my-comments/download", data={"csrf_token": token})
    erased = client.post("/my-comments/erase", data={"csrf_token": token, "mode": "delete"})

    assert withdraw_a.status_code == 404
    document = json.loads(download.get_data(as_text=True))
    assert document["sites"] == ["b"]
    assert [c["id"] for c in document["comments"]] == [on_b]
    assert "gone from 1 comments on Site B" in erased.get_data(as_text=True)
    # A's comment is Ada's as before; B's is hers no more.
    with app.app_context():
        assert [c[0].id for c in personal_data.comments_of(ADA, None)] == [on_a]


def test_a_link_sent_before_sites_opens_the_default_sites_comments(mine):
    app, _ = mine
    add_site_b(app)
    client = app.test_client()
    posted_on(client, None, "news/a", email=ADA, body="Written on A")
    posted_on(client, B_ORIGIN, "news/a", email=ADA, body="Written on B")
    with app.app_context():
        # What link_for sealed before a link carried its site: the address alone.
        token = vault.vault().seal_address(ADA)
        assert my_comments.holder_of(token).site == registry.default()

    page = open_page(client, f"/my-comments/{token}").get_data(as_text=True)

    assert "Written on A" in page and "Written on B" not in page
