"""The sites' admin API (service/http/api/sites.py): admins add, change, reset and remove
sites and grant moderators theirs; to anyone else the addresses do not exist."""

from __future__ import annotations

import pytest

from service.moderation import accounts
from tests.conftest import VALID, form_token

SECRET = "a-long-random-webhook-secret"
SITES = "/api/v1/moderation/sites"


@pytest.fixture
def tokens(app):
    with app.app_context():
        accounts.create_moderator("ada", "correct horse battery staple", admin=True)
        noor = accounts.create_moderator("noor", "another long password").id
        ada_token = accounts.create_api_token("ada", "tests")
        noor_token = accounts.create_api_token("noor", "tests")
    return {
        "admin": {"Authorization": f"Bearer {ada_token}"},
        "moderator": {"Authorization": f"Bearer {noor_token}"},
        "noor": noor,
    }


def add_news(client, tokens, **settings):
    response = client.post(
        SITES, json={"slug": "news", "name": "The News"} | settings, headers=tokens["admin"]
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_admin_adds_lists_changes_resets_and_removes_a_site(client, tokens):
    added = add_news(
        client,
        tokens,
        origins=["https://news.example"],
        moderation="off",
        webhook_url="https://hooks.example/news",
        webhook_secret=SECRET,
    )
    assert added["applied"]["moderation"] == "off"
    assert added["webhook_secret_set"] is True
    listed = client.get(SITES, headers=tokens["admin"]).get_json()["sites"]
    assert [site["slug"] for site in listed] == ["default", "news"]
    assert listed[0]["applied"]["origins"] == ["https://blog.example.com"]
    changed = client.patch(
        f"{SITES}/news", json={"moderation": None, "link_limit": 5}, headers=tokens["admin"]
    ).get_json()
    assert (changed["moderation"], changed["applied"]["moderation"]) == (None, "pre")
    assert changed["link_limit"] == 5
    assert client.get(f"{SITES}/news", headers=tokens["admin"]).get_json() == changed
    removed = client.delete(f"{SITES}/news", headers=tokens["admin"])
    assert removed.get_json() == {"articles": 0, "comments": 0}
    assert client.get(f"{SITES}/news", headers=tokens["admin"]).status_code == 404


def test_the_webhook_secret_is_never_in_an_answer(client, tokens):
    add_news(client, tokens, webhook_url="https://hooks.example/n", webhook_secret=SECRET)
    for path in (SITES, f"{SITES}/news", "/api/v1/moderation/events"):
        assert SECRET not in client.get(path, headers=tokens["admin"]).get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"slug": "News"}, "slug", "lower-case letters"),
        ({"slug": "news", "name": None}, "name", "null"),
        ({"slug": "news", "name": ""}, "name", "1 to 120"),
        ({"slug": "news", "origins": ["https://news.example/blog"]}, "origins", "no path"),
        ({"slug": "news", "origins": "https://news.example"}, "origins", "Not a valid list"),
        ({"slug": "news", "link_limit": "3"}, "link_limit", "Not a valid integer"),
        ({"slug": "news", "link_limit": 10**12}, "link_limit", "less than or equal"),
        ({"slug": "news", "link_limit": 101}, "link_limit", "0 to 100"),
        ({"slug": "news", "moderation": "sometimes"}, "moderation", "pre, off, trusted"),
        ({"slug": "news", "webhook_url": "https://h.example"}, "webhook_secret", "secret"),
        ({"slug": "news", "digest_to": ["desk"]}, "digest_to", "not a valid address"),
        ({"slug": "news", "name": "a\x00b"}, "name", "control characters"),
        ({"slug": "news", "colour": "red"}, "colour", "Unknown field"),
        ({"name": "No slug"}, "slug", "required"),
    ],
)
def test_bad_sites_are_refused_with_a_422_that_says_what_to_fix(
    client, tokens, body, field, message
):
    response = client.post(SITES, json={"name": "The News"} | body, headers=tokens["admin"])
    assert response.status_code == 422, response.get_json()
    assert message in " ".join(response.get_json()["errors"][field])
    assert [s["slug"] for s in client.get(SITES, headers=tokens["admin"]).get_json()["sites"]] == [
        "default"
    ]


def test_a_taken_slug_is_a_409_and_a_non_json_body_a_clear_4xx(client, tokens):
    add_news(client, tokens)
    again = client.post(SITES, json={"slug": "news", "name": "x"}, headers=tokens["admin"])
    assert again.status_code == 409
    assert "already exists" in again.get_json()["error"]["message"]
    garbled = client.post(
        SITES, data="{not json", content_type="application/json", headers=tokens["admin"]
    )
    assert garbled.status_code == 400
    assert client.patch(f"{SITES}/news", json={}, headers=tokens["admin"]).status_code == 422


def test_a_site_with_comments_needs_delete_comments_and_the_default_site_stays(client, tokens):
    add_news(client, tokens, origins=["https://news.example"])
    sent = VALID | {"form_token": form_token(client.application)}
    posted = client.post(
        "/api/v1/articles/a/comments", json=sent, headers={"Origin": "https://news.example"}
    )
    assert posted.status_code == 201
    refused = client.delete(f"{SITES}/news", headers=tokens["admin"])
    assert refused.status_code == 409
    assert "delete_comments=true" in refused.get_json()["error"]["message"]
    removed = client.delete(f"{SITES}/news?delete_comments=true", headers=tokens["admin"])
    assert removed.get_json() == {"articles": 1, "comments": 1}
    default = client.delete(f"{SITES}/default?delete_comments=true", headers=tokens["admin"])
    assert default.status_code == 403
    bad = client.delete(f"{SITES}/default?delete_comments=perhaps", headers=tokens["admin"])
    assert bad.status_code == 422


def test_an_admin_grants_and_revokes_a_moderators_sites(client, tokens):
    add_news(client, tokens)
    grants = f"/api/v1/moderation/moderators/{tokens['noor']}/sites"
    granted = client.put(f"{grants}/news", json={"role": "site_admin"}, headers=tokens["admin"])
    assert granted.status_code == 200, granted.get_json()
    assert granted.get_json()["grants"] == [
        {"site": "default", "name": "Default site", "role": "moderator"},
        {"site": "news", "name": "The News", "role": "site_admin"},
    ]
    plain = client.put(f"{grants}/news", headers=tokens["admin"])
    assert plain.get_json()["grants"][1]["role"] == "moderator"
    revoked = client.delete(f"{grants}/default", headers=tokens["admin"])
    assert [g["site"] for g in revoked.get_json()["grants"]] == ["news"]
    assert client.get(grants, headers=tokens["admin"]).get_json() == revoked.get_json()
    bad_role = client.put(f"{grants}/news", json={"role": "owner"}, headers=tokens["admin"])
    assert bad_role.status_code == 422
    assert bad_role.get_json()["errors"]["role"] == ["role must be moderator or site_admin."]
    assert client.put(f"{grants}/nowhere", headers=tokens["admin"]).status_code == 404
    nobody = "/api/v1/moderation/moderators/99999/sites"
    assert client.get(nobody, headers=tokens["admin"]).status_code == 404


# Each with a body an admin's request would succeed with.
ROUTES = [
    ("get", SITES, None),
    ("post", SITES, {"slug": "other", "name": "Other", "link_limit": 1}),
    ("get", f"{SITES}/news", None),
    ("patch", f"{SITES}/news", {"name": "Renamed"}),
    ("delete", f"{SITES}/news", None),
    ("delete", f"{SITES}/default", None),
    ("get", "/api/v1/moderation/moderators/{noor}/sites", None),
    ("put", "/api/v1/moderation/moderators/{noor}/sites/news", {"role": "site_admin"}),
    ("delete", "/api/v1/moderation/moderators/{noor}/sites/default", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_to_a_moderator_the_sites_api_does_not_exist(client, tokens, method, path, body):
    add_news(client, tokens)
    path = path.format(noor=tokens["noor"])
    before = client.get(SITES, headers=tokens["admin"]).get_json()
    answer = getattr(client, method)(path, json=body, headers=tokens["moderator"])
    nowhere = client.get("/api/v1/moderation/nowhere", headers=tokens["moderator"])
    assert answer.status_code == 404
    assert answer.get_json() == nowhere.get_json()
    assert client.get(SITES, headers=tokens["admin"]).get_json() == before
    assert getattr(client, method)(path, json=body).status_code == 401


@pytest.mark.parametrize("slug", ["a%00b", "NEWS", "x" * 300, "%C3%BF"])
def test_a_slug_no_site_can_have_is_a_404(client, tokens, slug):
    for method in ("get", "patch", "delete"):
        answer = getattr(client, method)(
            f"{SITES}/{slug}", json={"name": "x"}, headers=tokens["admin"]
        )
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "site_not_found"
