"""The ceiling: a bare Flask app that answers every request with a constant.

run.py serves it under exactly the gunicorn settings the service gets, so the difference
between the two is the cost of commentdesk itself, not of Flask, gunicorn or the machine.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

app = Flask(__name__)


@app.get("/")
def constant() -> dict[str, Any]:
    return {"ok": True}
