"""Server-rendered web pages, usable without JavaScript: the moderators' (queue, admin) and
the readers' (the thread as a server-side include, Atom feeds, answers to the plain form)."""

from __future__ import annotations

from flask import abort, request


def refuse_nul_characters() -> None:
    """No form or link of these pages carries a NUL character, and PostgreSQL can neither
    store nor compare one: a request with one is refused (400) before any query sees it.
    Blueprints whose forms check every field themselves (the rules page) need not use it."""
    for values in (request.args, request.form):
        if any("\x00" in key or "\x00" in value for key, value in values.items(multi=True)):
            abort(400)
