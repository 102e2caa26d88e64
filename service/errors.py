"""Domain errors raised by the use cases: plain exceptions that know nothing of Flask.

`status` and `code` say how the HTTP layer (service/http/errors.py) reports each one."""

from __future__ import annotations


class DomainError(Exception):
    """A use case refused; `status` and `code` say how the HTTP layer reports it."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CommentNotFound(DomainError):
    status = 404
    code = "comment_not_found"


class InvalidTransition(DomainError):
    status = 409
    code = "invalid_transition"


class InvalidEditToken(DomainError):
    status = 403
    code = "invalid_edit_token"


class EditWindowClosed(DomainError):
    status = 403
    code = "edit_window_closed"


class ArticleNotFound(DomainError):
    status = 404
    code = "article_not_found"


class SiteNotFound(DomainError):
    status = 404
    code = "site_not_found"


class SiteExists(DomainError):
    status = 409
    code = "site_exists"


class SiteHasComments(DomainError):
    """Removing the site would delete comments, which needs its own confirmation."""

    status = 409
    code = "site_has_comments"


class ArticleClosed(DomainError):
    status = 403
    code = "comments_closed"


class TooSoon(DomainError):
    status = 429
    code = "too_soon"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NothingToUndo(DomainError):
    status = 404
    code = "nothing_to_undo"


class NotAllowed(DomainError):
    status = 403
    code = "not_allowed"


class CommenterBanned(DomainError):
    """The same answer for every kind of ban, so it tells a banned client nothing."""

    status = 403
    code = "commenter_banned"


class CommenterSuspended(DomainError):
    status = 403
    code = "commenter_suspended"


class BanNotFound(DomainError):
    status = 404
    code = "ban_not_found"


class CommenterNotFound(DomainError):
    status = 404
    code = "commenter_not_found"


class ModeratorExists(DomainError):
    status = 409
    code = "moderator_exists"


class ModeratorNotFound(DomainError):
    status = 404
    code = "moderator_not_found"


class LinkInvalid(DomainError):
    """A commenter's "my comments" link that was forged, altered or never sent."""

    status = 403
    code = "invalid_link"


class LinkExpired(DomainError):
    status = 410
    code = "link_expired"


class FieldError(DomainError):
    """Input that is well-formed but refers to something it may not (reported as a 422)."""

    status = 422
    code = "validation_failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
