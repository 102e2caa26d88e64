"""What the notification tests share: a real local HTTP receiver for the webhook, the settings
that point an app at it or at a local SMTP server, and the secrets no message may carry."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from flask import Flask

from service.notifications import notifier
from tests.conftest import VALID
from tests.serving import serving_thread

ADDRESS = VALID["email"]
SECRET = "webhook-secret-that-nobody-may-see"
PASSWORD = "smtp-password-that-nobody-may-see"
# A Slack-style URL: the path is a token, so it must stay out of the logs too.
HOOK_PATH = "/services/T000/B000/token-in-the-path"
PUBLIC_URL = "https://comments.example.com"
MODERATORS = ("mia@desk.example", "raj@desk.example")


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each request and answers `status`."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 204
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.release.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                receiver.arrived.set()
                receiver.release.wait(10)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{HOOK_PATH}"
        self.thread = serving_thread(self.server)

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.requests]


def webhook(url: str, **extra: Any) -> dict[str, Any]:
    return {"NOTIFY_WEBHOOK_URL": url, "NOTIFY_WEBHOOK_SECRET": SECRET, **extra}


def email(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_STARTTLS": False,
        "NOTIFY_EMAIL_FROM": "commentdesk@desk.example",
        "NOTIFY_EMAIL_TO": MODERATORS,
        # The commenters' "my comments" emails would share the mailbox (tests/test_my_comments).
        "MY_COMMENTS_LINK_HOURS": 0,
        **extra,
    }


def delivered(app: Flask) -> None:
    assert notifier(app).flush(timeout=20), "webhook deliveries still running"


def assert_private(text: str) -> None:
    for secret in (ADDRESS, SECRET, PASSWORD, HOOK_PATH):
        assert secret not in text
