"""Moderation policy: checks that turn a candidate comment into a verdict with named reasons.

Plain data in, plain data out: nothing here knows about HTTP or the database session.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from service.models import CommentStatus


class Verdict(enum.StrEnum):
    APPROVE = "approve"
    HOLD = "hold"
    SPAM = "spam"
    REJECT = "reject"


VERDICT_STATUS = {
    Verdict.APPROVE: CommentStatus.APPROVED,
    Verdict.HOLD: CommentStatus.PENDING,
    Verdict.SPAM: CommentStatus.SPAM,
    Verdict.REJECT: CommentStatus.REJECTED,
}

# When checks disagree, the strictest verdict wins.
_SEVERITY = [Verdict.APPROVE, Verdict.HOLD, Verdict.SPAM, Verdict.REJECT]


@dataclass(frozen=True)
class Reason:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reasons: list[Reason] = field(default_factory=list)

    @property
    def status(self) -> CommentStatus:
        return VERDICT_STATUS[self.verdict]


@dataclass(frozen=True)
class Candidate:
    """What the policy may look at: the comment as submitted, never the request."""

    article_key: str
    name: str
    body: str
    website: str | None
    email_hash: str
    is_reply: bool


@dataclass(frozen=True)
class PolicySettings:
    moderation: str  # "pre" or "off"


def evaluate(candidate: Candidate, settings: PolicySettings) -> Decision:
    findings: list[tuple[Verdict, Reason]] = [_moderation_mode(settings)]
    verdict = max((v for v, _ in findings), key=_SEVERITY.index)
    return Decision(verdict, [reason for v, reason in findings if v != Verdict.APPROVE])


def _moderation_mode(settings: PolicySettings) -> tuple[Verdict, Reason]:
    if settings.moderation == "off":
        return Verdict.APPROVE, Reason("moderation_off", "The site publishes comments at once.")
    return Verdict.HOLD, Reason(
        "pre_moderation", "The site holds every comment until a moderator approves it."
    )
