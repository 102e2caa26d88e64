"""Moderation policy: checks that turn a candidate comment into a verdict with named reasons.

Plain data in, plain data out: the caller gathers what the checks look at (history, trap
results, classifier score) and nothing here knows about HTTP or the database.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from service.models import CommentStatus
from service.screening.policy import text


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
class History:
    """How this address's earlier comments were decided."""

    approved: int = 0
    spam: int = 0


@dataclass(frozen=True)
class FormTrap:
    """What the form's traps saw: the hidden field, and the signed time it was shown."""

    honeypot_filled: bool = False
    token: str = "missing"  # "missing", "valid", "expired" or "invalid"
    seconds_to_submit: float | None = None


@dataclass(frozen=True)
class Candidate:
    """What the policy may look at: the comment as submitted and facts about it, never the
    request."""

    name: str
    body: str
    website: str | None = None
    history: History = History()
    # None when no form was involved: an edit (its edit token proves who sends it), a replay.
    trap: FormTrap | None = None
    surge_until: datetime | None = None
    spam_probability: float | None = None
    akismet_spam: bool | None = None


@dataclass(frozen=True)
class Rules:
    moderation: str = "pre"  # "pre", "off" or "trusted"
    link_limit: int = 2
    hold_words: tuple[str, ...] = ()
    deny_words: tuple[str, ...] = ()
    deny_domains: tuple[str, ...] = ()
    min_form_seconds: float = 3.0
    # A submission without a valid form token is held (FORM_TOKEN_REQUIRED=false: not).
    form_token_required: bool = True
    classifier_hold: float = 0.7
    classifier_spam: float = 0.95


Finding = tuple[Verdict, Reason]
Check = Callable[[Candidate, Rules], list[Finding]]


def moderation_mode(candidate: Candidate, rules: Rules) -> list[Finding]:
    if rules.moderation == "off":
        return [(Verdict.APPROVE, Reason("moderation_off", "The site publishes at once."))]
    if rules.moderation == "trusted":
        if candidate.history.approved and not candidate.history.spam:
            approved = candidate.history.approved
            return [
                (
                    Verdict.APPROVE,
                    Reason("trusted", f"{approved} earlier comment(s) from this address approved."),
                )
            ]
        return [
            (Verdict.HOLD, Reason("first_comment", "No approved comment from this address yet."))
        ]
    return [
        (
            Verdict.HOLD,
            Reason("pre_moderation", "The site holds every comment until a moderator approves it."),
        )
    ]


def spam_history(candidate: Candidate, _rules: Rules) -> list[Finding]:
    if not candidate.history.spam:
        return []
    count = candidate.history.spam
    return [
        (
            Verdict.HOLD,
            Reason("spam_history", f"{count} earlier comment(s) from this address marked as spam."),
        )
    ]


def surge(candidate: Candidate, _rules: Rules) -> list[Finding]:
    if candidate.surge_until is None:
        return []
    until = candidate.surge_until.strftime("%H:%M UTC")
    message = f"A surge of comments put this article under pre-moderation until {until}."
    return [(Verdict.HOLD, Reason("surge", message))]


def link_count(candidate: Candidate, rules: Rules) -> list[Finding]:
    found = len(text.links(candidate.body))
    if found <= rules.link_limit:
        return []
    return [(Verdict.HOLD, Reason("links", f"{found} links (limit {rules.link_limit})"))]


def word_lists(candidate: Candidate, rules: Rules) -> list[Finding]:
    written = f"{candidate.name}\n{candidate.body}"
    findings: list[Finding] = [
        (Verdict.REJECT, Reason("deny_word", f"contains denied word '{word}'"))
        for word in text.find_entries(written, rules.deny_words)
    ]
    findings += [
        (Verdict.HOLD, Reason("hold_word", f"contains held word '{word}'"))
        for word in text.find_entries(written, rules.hold_words)
    ]
    return findings


def denied_domains(candidate: Candidate, rules: Rules) -> list[Finding]:
    if not rules.deny_domains:
        return []
    urls = [*text.links(candidate.body), *([candidate.website] if candidate.website else [])]
    hosts = {text.host(url) for url in urls}
    mentioned = text.mentioned_domains(candidate.body, rules.deny_domains)
    return [
        (Verdict.SPAM, Reason("deny_domain", f"links to denied domain '{domain}'"))
        for domain in rules.deny_domains
        if domain.casefold() in mentioned
        or any(text.on_domain(hostname, domain) for hostname in hosts)
    ]


def form_traps(candidate: Candidate, rules: Rules) -> list[Finding]:
    trap = candidate.trap
    if trap is None:
        return []
    findings: list[Finding] = []
    if trap.honeypot_filled:
        findings.append(
            (Verdict.SPAM, Reason("honeypot", "filled in the hidden field only bots see"))
        )
    if trap.token == "invalid":
        findings.append((Verdict.SPAM, Reason("form_token", "sent a forged or damaged form token")))
    elif trap.seconds_to_submit is not None and trap.seconds_to_submit < rules.min_form_seconds:
        findings.append(
            (
                Verdict.SPAM,
                Reason(
                    "too_fast",
                    f"sent {trap.seconds_to_submit:.1f} s after the form was shown "
                    f"(a person needs at least {rules.min_form_seconds:g} s)",
                ),
            )
        )
    if rules.form_token_required and trap.token != "valid":
        # Bots post plain JSON; a person's browser got the token with the form.
        findings.append((Verdict.HOLD, Reason("no_form_token", _NO_TOKEN[trap.token])))
    return findings


_NO_TOKEN = {
    "missing": "sent without the comment form's token (a script, not the form)",
    "expired": "sent with a form token older than a day",
    "invalid": "sent without a valid form token",
}


def classifier_score(candidate: Candidate, rules: Rules) -> list[Finding]:
    probability = candidate.spam_probability
    if probability is None or probability < rules.classifier_hold:
        return []
    verdict = Verdict.SPAM if probability >= rules.classifier_spam else Verdict.HOLD
    return [(verdict, Reason("classifier", f"classifier: spam {probability:.2f}"))]


def akismet(candidate: Candidate, _rules: Rules) -> list[Finding]:
    if not candidate.akismet_spam:
        return []
    return [(Verdict.SPAM, Reason("akismet", "Akismet says spam"))]


# The checks that look at what was written; the simulator replays exactly these.
CONTENT_CHECKS: tuple[Check, ...] = (link_count, word_lists, denied_domains, classifier_score)
# What the sender's history, a surge and the article's mode say: known only inside the write
# transaction. Every other check reads the submission alone, so a submission runs those
# before it takes the write lock (SQLite has one writer: time inside it is everyone's).
CONTEXT_CHECKS: tuple[Check, ...] = (moderation_mode, spam_history, surge)
SUBMISSION_CHECKS: tuple[Check, ...] = (*CONTENT_CHECKS, form_traps, akismet)
CHECKS: tuple[Check, ...] = (*CONTEXT_CHECKS, *SUBMISSION_CHECKS)


def findings(candidate: Candidate, rules: Rules, checks: tuple[Check, ...]) -> list[Finding]:
    return [finding for check in checks for finding in check(candidate, rules)]


def decide(found: list[Finding]) -> Decision:
    """The most severe verdict among the findings, with the reasons that hold a comment back;
    their order is the checks' order in CHECKS."""
    if not found:
        return Decision(Verdict.APPROVE)
    verdict = max((v for v, _ in found), key=_SEVERITY.index)
    return Decision(verdict, [reason for v, reason in found if v != Verdict.APPROVE])


def evaluate(candidate: Candidate, rules: Rules, checks: tuple[Check, ...] = CHECKS) -> Decision:
    return decide(findings(candidate, rules, checks))


EDITABLE = (CommentStatus.PENDING, CommentStatus.APPROVED)


def evaluate_edit(candidate: Candidate, rules: Rules, current: CommentStatus) -> Decision:
    """The verdict on a commenter's edit of a pending or approved comment.

    The edited text goes through every check a new submission would (under pre-moderation
    that holds it: a moderator must see any text before it is public). An edit never
    publishes a comment that was held: only a moderator does, or a policy that still
    approves the comment it had approved already.
    """
    decision = evaluate(candidate, rules)
    if current == CommentStatus.PENDING and decision.verdict == Verdict.APPROVE:
        held = Reason("edited_while_held", "Edited by the commenter while it waited.")
        return Decision(Verdict.HOLD, [held, *decision.reasons])
    if current == CommentStatus.APPROVED and decision.verdict == Verdict.HOLD:
        edited = Reason("edited", "Edited by the commenter after it was published.")
        return Decision(Verdict.HOLD, [edited, *decision.reasons])
    return decision
