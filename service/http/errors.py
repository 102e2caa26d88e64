"""The one place that turns errors into HTTP answers: JSON under /api/, readable pages for
moderators, a 503 with Retry-After while the database is unreachable."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from service.errors import DomainError, FieldError, TooSoon
from service.extensions import limiter

# The logger keeps its name from before the move: log pipelines filter on it.
log = logging.getLogger("commentdesk.errors")
DATABASE_RETRY_AFTER = "5"


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, headers: Any = None) -> Response:
    response = jsonify(error={"code": code, "message": message})
    response.status_code = status
    if headers:
        response.headers.update(headers)
    return response


def validation_response(errors: dict[str, list[str]]) -> Response:
    response = jsonify(errors=errors)
    response.status_code = 422
    return response


_MESSAGES = {
    400: "The request could not be understood.",
    401: "Sign in with a valid API token (Authorization: Bearer <token>).",
    404: "There is nothing at this address.",
    405: "This address does not accept that method.",
    413: "The request is too large.",
    415: "Send the data as JSON or as a form.",
    500: "Something went wrong on our side. Please try again later.",
}


def flatten_locations(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs groups messages by location ({"json": {...}}); clients want them by field."""
    errors: dict[str, Any] = {}
    for location_errors in messages.values():
        if isinstance(location_errors, dict):
            errors.update(location_errors)
        else:
            errors.setdefault("_request", []).extend(location_errors)
    return errors


_PAGE_MESSAGES = {
    400: ("This form has expired", "Reload the page and try again."),
    403: ("Not allowed", "Your account cannot do that."),
    404: ("Not found", "There is nothing at this address."),
    429: ("Too many attempts", "Too many attempts. Please wait a minute and try again."),
}


def _error_page(error: HTTPException) -> Any:
    status = error.code or 500
    title, message = _PAGE_MESSAGES.get(status, (error.name, _MESSAGES.get(status, "")))
    return (
        render_template("moderation/error.html", title=title, message=message),
        status,
        error_headers(error),
    )


def error_headers(error: HTTPException) -> list[tuple[str, str]]:
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if isinstance(error, RateLimitExceeded):
        # Rate-limit headers are off (they would ride on every answer); a refusal says when.
        headers.append(("Retry-After", str(_seconds_until_reset())))
    return headers


def http_exception_response(error: HTTPException) -> Any:
    """JSON for every HTTP error under /api/, readable pages for moderators, the default
    page elsewhere."""
    if request.path.startswith("/moderation"):
        return _error_page(error)
    if not wants_json():
        return error
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    if status == 422 and "messages" in data:
        return validation_response(flatten_locations(data["messages"]))
    # The body parser says what was wrong with a body (service/http/api/parsing.py).
    message = data.get("message") or _MESSAGES.get(status, error.description or error.name)
    code = error.name.lower().replace(" ", "_")
    return error_response(status, code, message, data.get("headers") or error_headers(error))


def _seconds_until_reset() -> int:
    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current else 60


def domain_error_headers(error: DomainError) -> dict[str, str] | None:
    # A refusal for now says when to try again.
    return {"Retry-After": str(error.retry_after)} if isinstance(error, TooSoon) else None


def domain_error_response(error: DomainError) -> Response:
    if isinstance(error, FieldError):
        return validation_response({error.field: [error.message]})
    return error_response(error.status, error.code, error.message, domain_error_headers(error))


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(DomainError, domain_error_response)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def handle_database_unavailable(error: OperationalError | InterfaceError) -> Response:
        # The driver lost or could not reach the database (or a timeout cut a statement);
        # the client is told when to retry rather than shown a 500.
        log.warning("database unavailable: %s", type(error.orig).__name__)
        return _database_503("database_unavailable", "unavailable", "cannot be reached")

    app.register_error_handler(PoolTimeout, database_busy_response)


def database_busy_response(_error: PoolTimeout) -> Response:
    """Every pooled connection (or SQLite's write turn) stayed busy for longer than a request
    may wait: a 503 now beats a worker queueing behind a stuck database (statement and lock
    timeouts are OperationalErrors, answered by the handler above)."""
    log.warning("database busy: no connection or write turn came free in time")
    return _database_503("database_busy", "busy", "is busy")


def _database_503(code: str, state: str, page_state: str) -> Response:
    headers = {"Retry-After": DATABASE_RETRY_AFTER}
    if wants_json():
        message = f"The database is {state}. Please try again in a few seconds."
        return error_response(503, code, message, headers)
    page = f"Service unavailable: the database {page_state}. Try again shortly.\n"
    return Response(page, 503, headers, mimetype="text/plain")
