"""Admin page for the spam policy's lists and limits, with the simulator before saving."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from service.errors import DomainError
from service.models import RuleKind
from service.screening import rules

blp = Blueprint("rules", __name__, url_prefix="/moderation/admin")

LIST_LABELS = {
    RuleKind.HOLD_WORD: "Hold words (held for a moderator)",
    RuleKind.DENY_WORD: "Deny words (rejected)",
    RuleKind.DENY_DOMAIN: "Denied link domains (spam)",
}


@blp.before_request
@login_required
def require_admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _submitted() -> tuple[dict[RuleKind, list[str]], dict[str, float]]:
    lists = {kind: request.form.get(kind.value, "").splitlines() for kind in RuleKind}
    settings: dict[str, float] = {}
    for name in rules.EDITABLE_SETTINGS:
        raw = request.form.get(name, "").strip()
        if raw:
            try:
                settings[name] = float(raw)
            except ValueError:
                raise DomainError(f"{name.replace('_', ' ')} must be a number.") from None
    return lists, settings


def _page(
    lists: dict[RuleKind, list[str]], settings: Mapping[str, float | str], **extra: object
) -> str:
    return render_template(
        "moderation/rules.html",
        lists=lists,
        labels=LIST_LABELS,
        settings=settings,
        configured=rules.configured_rules(),
        **extra,
    )


def _last(text: str) -> int:
    """How many recent comments to simulate over: 1 to 10,000, 1,000 when left empty."""
    text = text.strip() or "1000"
    # ASCII digits only: "²".isdigit() is true but int("²") fails.
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise DomainError("Simulate over a whole number of recent comments, 1 to 10,000.")
    return min(max(int(text), 1), 10_000)


@blp.route("/rules")
def show() -> str:
    current = rules.current_rules()
    settings = {name: getattr(current, name) for name in rules.EDITABLE_SETTINGS}
    return _page(rules.admin_lists(), settings)


@blp.route("/rules", methods=["POST"])
def change() -> str | Response:
    try:
        lists, settings = _submitted()
        if request.form.get("do") == "save":
            rules.save(lists, settings)
            flash("Rules saved; they apply to the next comment.", "info")
            return redirect(url_for("rules.show"))
        last = _last(request.form.get("last", ""))
        simulation = rules.simulate(rules.proposed(lists, settings), last=last)
    except DomainError as error:
        flash(error.message, "error")
        return _page(
            {kind: request.form.get(kind.value, "").splitlines() for kind in RuleKind},
            {name: request.form.get(name, "") for name in rules.EDITABLE_SETTINGS},
        )
    return _page(lists, settings, simulation=simulation, last=last)
