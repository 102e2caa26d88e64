"""What moderators are told (service/notifications/messages.py): Slack's escaped text, masked
addresses, short excerpts."""

from __future__ import annotations

import json

from tests.conftest import submit
from tests.notifications.helpers import ADDRESS, PUBLIC_URL, delivered, webhook


def test_slack_format_posts_escaped_text_with_a_link_to_the_queue(notify_app, receiver):
    app = notify_app(NOTIFY_WEBHOOK_URL=receiver.url, NOTIFY_WEBHOOK_FORMAT="slack")
    response = submit(app.test_client(), body="<!channel> look & see <https://spam.example|x>")
    assert response.status_code == 201
    delivered(app)

    (payload,) = receiver.payloads()
    assert list(payload) == ["text"]
    text = payload["text"]
    assert "*posts/hello*" in text and "*Ada Lovelace*" in text
    assert "&lt;!channel&gt; look &amp; see &lt;https://spam.example|x&gt;" in text
    assert "<!channel>" not in text
    comment_id = response.get_json()["id"]
    link = f"{PUBLIC_URL}/moderation/?status=pending&article=posts%2Fhello#c{comment_id}"
    assert text.endswith(f"<{link}|Open the queue>")
    assert ADDRESS not in text


def test_addresses_typed_into_the_name_or_the_body_are_masked(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    response = submit(
        app.test_client(),
        name="ada@example.org",
        body="Write to me at ada@example.org or ADA@Example.org, please.",
    )
    assert response.status_code == 201
    delivered(app)

    (request,) = receiver.requests
    raw = request["body"].decode()
    assert "example.org" not in raw.lower()
    comment = json.loads(raw)["comment"]
    assert comment["name"] == "[email hidden]"
    assert comment["excerpt"] == "Write to me at [email hidden] or [email hidden] please."


def test_long_bodies_are_cut_to_a_short_excerpt(notify_app, receiver):
    app = notify_app(**webhook(receiver.url))
    assert submit(app.test_client(), body="word " * 500).status_code == 201
    delivered(app)

    excerpt = receiver.payloads()[0]["comment"]["excerpt"]
    assert len(excerpt) <= 201
    assert excerpt.endswith("word…")
