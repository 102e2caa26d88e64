"""The README's picture of the queue, taken from a realistic queue at laptop width.

The data and its timestamps are fixed, so the image only changes when the page does; the file
is rewritten only then, and a changed docs/moderation-queue.png in a diff means the queue looks
different (look at it before committing).
"""

from __future__ import annotations

import base64
import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from service.extensions import db
from service.models import Comment, Moderator
from service.moderation import decisions
from service.ops.database import write_transaction
from tests.browser.chromium import playwright_or_skip
from tests.browser.conftest import watched_tab
from tests.browser.helpers import post_comment, sign_in

expect = playwright_or_skip().expect

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "moderation-queue.png"
WIDGET_SCREENSHOT = SCREENSHOT.with_name("widget.png")
BUDGET = "news/2026/11/city-budget-vote"
RIVER = "news/2026/11/river-path-reopens"
LANES = "blog/bike-lanes-faq"
START = datetime(2026, 11, 24, 7, 40, tzinfo=UTC)


def _queue_a_morning_of_comments(live) -> None:
    tom = {"name": "Tom Okafor", "email": "tom.okafor@example.net"}
    earlier = post_comment(live, LANES, **tom, body="Very useful FAQ, bookmarked.")
    parent = post_comment(
        live,
        BUDGET,
        **tom,
        body="Thanks for laying out the numbers so clearly. The table of cuts by department "
        "is the part I will be sharing.",
    )
    held = [
        post_comment(
            live,
            BUDGET,
            name="Maria Keller",
            email="maria.keller@example.org",
            body="The article says the library budget drops by **12%**, but the council's own "
            "table on page 4 shows 9%. Which figure is right?",
        ),
        post_comment(
            live,
            RIVER,
            name="Priya Natarajan",
            email="priya@example.com",
            website="https://priya.example.com",
            body="Walked it this morning with the kids. The new surface is great, but the "
            "lighting under the rail bridge still isn't working.",
        ),
    ]
    spam = [
        "Earn $500 a day from home!!! I started last month, see https://quick-cash.example/r/1",
        "EARN $700 A DAY FROM HOME! I started last month... see https://quick-cash.example/r/2",
        "earn $300 a day from home. i started last month, see https://quick-cash.example/x/3",
        "Earn $900 a day from home!! I started last month - see https://quick-cash.example/r/4",
        "Earn $500 a day, from home! I started last month; see https://quick-cash.example/q/5",
    ]
    wave = [
        post_comment(
            live,
            (BUDGET, RIVER, LANES)[n % 3],
            name=f"Kim {n}",
            email=f"winner{n}@mail.example",
            body=text,
        )
        for n, text in enumerate(spam)
    ]
    with live.app.app_context():
        mia = db.session.query(Moderator).filter_by(username="mia").one().id
        decisions.decide(earlier, "approve", mia)
        decisions.decide(parent, "approve", mia)
    # Jin's comment is a reply to Tom's, which had to be approved first.
    jin = post_comment(
        live,
        BUDGET,
        name="Jin Park",
        email="jin.park@example.org",
        parent_id=parent,
        body="Agreed, and the *minutes* of the October meeting are worth reading too: "
        "https://council.example.gov/minutes/2026-10",
    )
    with live.app.app_context():
        order = [earlier, parent, held[0], held[1], jin, *wave]
        with write_transaction() as session:
            for n, comment_id in enumerate(order):
                stamp = START + timedelta(minutes=7 * n)
                session.execute(
                    update(Comment)
                    .where(Comment.id == comment_id)
                    .values(created_at=stamp, updated_at=stamp)
                )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def _save_if_changed(path: Path, image: bytes) -> None:
    if not path.exists() or path.read_bytes() != image:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(image)


# Pixels that differ between two PNGs of the same size, counted by the browser itself.
_PIXELS_CHANGED = """async ([before, after]) => {
    const pixels = async (data) => {
        const image = new Image();
        image.src = "data:image/png;base64," + data;
        await image.decode();
        const canvas = new OffscreenCanvas(image.width, image.height);
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        return context.getImageData(0, 0, image.width, image.height).data;
    };
    const [a, b] = await Promise.all([pixels(before), pixels(after)]);
    let changed = 0;
    for (let i = 0; i < a.length; i += 4) {
        if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) changed += 1;
    }
    return changed;
}"""


def _save_if_it_looks_different(page: Any, path: Path, image: bytes) -> None:
    """Rewrite the picture only for a visible change: the rasteriser's antialiasing of a
    rounded corner may vary by a few pixels from run to run."""
    if path.exists():
        before = base64.b64encode(path.read_bytes()).decode()
        after = base64.b64encode(image).decode()
        if page.evaluate(_PIXELS_CHANGED, [before, after]) <= 50:
            return
    _save_if_changed(path, image)


def test_screenshot_of_a_realistic_queue_for_the_readme(live, page, page_log):
    _queue_a_morning_of_comments(live)
    sign_in(page)
    expect(page.locator("article.wave")).to_have_count(1)
    expect(page.locator("li.comment")).to_have_count(8)
    expect(page.locator("blockquote.parent")).to_contain_text("In reply to Tom Okafor")
    page.mouse.move(0, 0)

    # The top of the page at laptop size: waves, the bulk bar, and the first comments
    # (a reply with its parent among them).
    page.set_viewport_size({"width": 1366, "height": 1000})
    image = page.screenshot(animations="disabled", caret="hide")

    assert _png_size(image) == (1366, 1000)
    assert page_log.problems() == []
    _save_if_changed(SCREENSHOT, image)


def test_screenshot_of_the_widget_on_the_demo_page_for_the_readme(serve, chromium, page_log):
    live = serve(DEMO_PAGE=True)
    article = "demo/welcome"
    maria = {"name": "Maria Keller", "email": "maria.keller@example.org"}
    first = post_comment(
        live,
        article,
        **maria,
        website="https://maria.example",
        body="Set up in two minutes. The *demo* is exactly what it looks like on our blog.",
    )
    reply = post_comment(
        live,
        article,
        name="Tom Okafor",
        email="tom.okafor@example.net",
        parent_id=None,
        body="Does it pick up our fonts? Our theme is very particular.",
    )
    with live.app.app_context():
        mia = db.session.query(Moderator).filter_by(username="mia").one().id
        decisions.decide(first, "approve", mia)
        decisions.decide(reply, "approve", mia)
    answer = post_comment(
        live,
        article,
        **maria,
        parent_id=reply,
        body="It does: it inherits the page's font and colours.",
    )
    with live.app.app_context():
        decisions.decide(answer, "approve", mia)
        with write_transaction() as session:
            for n, comment_id in enumerate((first, reply, answer)):
                stamp = START + timedelta(minutes=40 * n)
                session.execute(
                    update(Comment).where(Comment.id == comment_id).values(created_at=stamp)
                )
    with watched_tab(
        chromium, live.url, page_log, 10_000, viewport={"width": 900, "height": 1560}
    ) as page:
        page.clock.set_fixed_time(START + timedelta(hours=3))
        page.goto("/demo")
        expect(page.locator("#comments li.comment")).to_have_count(3)
        expect(page.locator("[data-commentdesk-count]")).to_have_text("3 comments")
        expect(page.locator("#comments time").first).to_have_attribute("title", re.compile("2026"))
        page.wait_for_function(
            "() => Array.from(document.querySelector('#comments').shadowRoot"
            ".querySelectorAll('img')).every((img) => img.complete && img.naturalWidth > 0)"
        )
        page.mouse.move(0, 0)
        image = page.screenshot(animations="disabled", caret="hide")
        assert _png_size(image) == (900, 1560)
        _save_if_it_looks_different(page, WIDGET_SCREENSHOT, image)
    assert page_log.problems() == []
