"""Use cases for the policy's editable rules: word and domain lists, numeric settings, and the
simulator that replays a proposed change over decisions moderators already made.

Every submission meets the rules, so each worker keeps them in memory, kept current by the
"rules" version in state_versions (service/ops/state_versions.py), which `save` bumps."""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from service.audit import AuditActor
from service.errors import FieldError
from service.extensions import db
from service.models import (
    Article,
    Comment,
    CommentStatus,
    ModerationEvent,
    PolicyRule,
    PolicySetting,
    RuleKind,
    Site,
)
from service.ops import state_versions
from service.ops.database import write_transaction
from service.screening import classifier, policy
from service.sites import registry

# Settings an admin may change in the UI, with their bounds.
EDITABLE_SETTINGS = {
    "link_limit": (0, 100),
    "classifier_hold": (0.0, 1.0),
    "classifier_spam": (0.0, 1.0),
}
LIST_FIELDS = {
    RuleKind.HOLD_WORD: "hold_words",
    RuleKind.DENY_WORD: "deny_words",
    RuleKind.DENY_DOMAIN: "deny_domains",
}
ENTRY_MAX = 255
VERSION_NAME = "rules"


def admin_lists() -> dict[RuleKind, list[str]]:
    """The current site's lists as admins edited them (without the environment's entries)."""
    lists: dict[RuleKind, list[str]] = {kind: [] for kind in RuleKind}
    for kind, value in db.session.execute(
        select(PolicyRule.kind, PolicyRule.value)
        .where(PolicyRule.site_id == registry.current().id)
        .order_by(PolicyRule.id)
    ):
        lists[kind].append(value)
    return lists


def configured_rules(site: registry.SiteSettings | None = None) -> policy.Rules:
    """A site's rules (the current site's by default) before admins' lists: its moderation
    mode and link limit (the environment's where it sets none), the environment's lists and
    thresholds, which apply on every site."""
    config = current_app.config
    site = site or registry.current()
    return policy.Rules(
        moderation=site.moderation,
        link_limit=site.link_limit,
        hold_words=tuple(config["HOLD_WORDS"]),
        deny_words=tuple(config["DENY_WORDS"]),
        deny_domains=tuple(config["DENY_DOMAINS"]),
        min_form_seconds=config["MIN_FORM_SECONDS"],
        form_token_required=config["FORM_TOKEN_REQUIRED"],
        classifier_hold=config["CLASSIFIER_HOLD_THRESHOLD"],
        classifier_spam=config["CLASSIFIER_SPAM_THRESHOLD"],
    )


def current_rules(site: registry.SiteSettings | None = None) -> policy.Rules:
    """A site's rules (the current site's by default): configured_rules with its admins'
    lists added and the admins' thresholds applied, from this worker's copy (a change saved
    on another worker shows within FEED_STATE_SECONDS)."""
    stored = _copy().current()
    site = site or registry.current()
    rules = configured_rules(site)
    changes: dict[str, Any] = {
        field: tuple(dict.fromkeys((*getattr(rules, field), *values)))
        for field, values in stored.lists.get(site.id, {}).items()
    }
    return dataclasses.replace(rules, **changes | stored.settings)


@dataclass(frozen=True)
class _StoredRules:
    # site id -> Rules field -> the admins' entries
    lists: dict[int, dict[str, tuple[str, ...]]]
    # The admins' deployment-wide settings (classifier thresholds).
    settings: dict[str, float]


def _copy() -> state_versions.VersionedCopy[_StoredRules]:
    return state_versions.copy_of(VERSION_NAME, _stored_rules)


def changed(session: Session) -> None:
    """Call in a transaction that changes the rules other than through `save` (a site's
    removed with them)."""
    state_versions.bump(session, _copy())


def _stored_rules() -> _StoredRules:
    lists: dict[int, dict[str, list[str]]] = {}
    for site_id, kind, value in db.session.execute(
        select(PolicyRule.site_id, PolicyRule.kind, PolicyRule.value).order_by(PolicyRule.id)
    ):
        lists.setdefault(site_id, {}).setdefault(LIST_FIELDS[kind], []).append(value)
    settings = {
        name: value
        for name, value in db.session.execute(select(PolicySetting.name, PolicySetting.value))
        if name in EDITABLE_SETTINGS and name != "link_limit"
    }
    return _StoredRules(
        lists={
            site_id: {field: tuple(values) for field, values in by_field.items()}
            for site_id, by_field in lists.items()
        },
        settings=settings,
    )


def clean_entries(kind: RuleKind, lines: list[str]) -> list[str]:
    """Entries as stored: trimmed, one per line, duplicates dropped; domains lower-cased."""
    entries: list[str] = []
    seen: set[str] = set()
    for line in lines:
        entry = unicodedata.normalize("NFKC", line).strip()
        if kind == RuleKind.DENY_DOMAIN:
            entry = entry.lower().removeprefix("https://").removeprefix("http://").strip("/.")
        if not entry:
            continue
        if len(entry) > ENTRY_MAX or not entry.isprintable():
            raise FieldError(
                LIST_FIELDS[kind], f"Entries have 1 to {ENTRY_MAX} printable characters."
            )
        if entry.casefold() not in seen:
            seen.add(entry.casefold())
            entries.append(entry)
    return entries


def check_settings(settings: dict[str, float]) -> dict[str, float]:
    for name, value in settings.items():
        low, high = EDITABLE_SETTINGS[name]
        if not low <= value <= high:
            raise FieldError(name, f"{name.replace('_', ' ')} must be between {low} and {high}.")
    if settings.get("classifier_hold", 0) > settings.get("classifier_spam", 1):
        raise FieldError("classifier_hold", "The hold threshold cannot exceed the spam threshold.")
    return settings


def save(lists: dict[RuleKind, list[str]], settings: dict[str, float]) -> policy.Rules:
    """Replace the current site's admin-edited lists and link limit, and the thresholds."""
    cleaned = {kind: clean_entries(kind, lines) for kind, lines in lists.items()}
    check_settings(settings)
    site_id = registry.current().id
    with write_transaction() as session:
        for kind, entries in cleaned.items():
            session.execute(
                delete(PolicyRule).where(PolicyRule.site_id == site_id, PolicyRule.kind == kind)
            )
            session.add_all(
                PolicyRule(site_id=site_id, kind=kind, value=entry) for entry in entries
            )
        if "link_limit" in settings:
            site = session.get_one(Site, site_id)
            site.link_limit = int(settings["link_limit"])
            registry.changed(session)
        for name, value in settings.items():
            if name == "link_limit":
                continue
            setting = session.get(PolicySetting, name)
            if setting is None:
                session.add(PolicySetting(name=name, value=value))
            else:
                setting.value = value
        state_versions.bump(session, _copy())
    # The site as saved: the request's copy of it predates a new link limit.
    return current_rules(registry.by_id(site_id))


def proposed(lists: dict[RuleKind, list[str]], settings: dict[str, float]) -> policy.Rules:
    """The rules as they would be after `save`, without saving anything."""
    changes: dict[str, Any] = {
        LIST_FIELDS[kind]: tuple(
            dict.fromkeys(
                (*getattr(configured_rules(), LIST_FIELDS[kind]), *clean_entries(kind, lines))
            )
        )
        for kind, lines in lists.items()
    }
    for name, value in check_settings(settings).items():
        changes[name] = int(value) if name == "link_limit" else value
    return dataclasses.replace(current_rules(), **changes)


@dataclass(frozen=True)
class Replay:
    flagged: int
    flagged_approved: int
    flagged_refused: int

    @property
    def false_positive_rate(self) -> float | None:
        return self.flagged_approved / self.flagged if self.flagged else None


@dataclass(frozen=True)
class Simulation:
    considered: int
    current: Replay
    proposed: Replay
    # Whether a classifier model scored the replay (out-of-fold: see `simulate`).
    classifier_scored: bool = False


def simulate(candidate_rules: policy.Rules, last: int = 1000) -> Simulation:
    """Replay the content checks over the last `last` comments a moderator decided on the
    current site, under its current rules and under the proposed ones: what each would have
    held, and how many of those the moderators approved (false positives) or refused
    (rejected or spam). Other sites' decisions are left out: their rules are their own.

    The classifier's scores are out-of-fold: each decision is scored by a model that did not
    see it, since the current model would only recall the decisions it was trained on."""
    decided_by_moderator = exists().where(
        ModerationEvent.comment_id == Comment.id, ModerationEvent.actor == AuditActor.MODERATOR
    )
    rows = db.session.execute(
        select(Comment.name, Comment.body, Comment.website, Comment.status)
        .join(Article, Article.id == Comment.article_id)
        .where(
            Article.site_id == registry.current().id,
            Comment.status.in_(
                [CommentStatus.APPROVED, CommentStatus.REJECTED, CommentStatus.SPAM]
            ),
            decided_by_moderator,
        )
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(last)
    ).all()
    scores = classifier.out_of_fold_scores(
        [classifier.CommentText(row.body, row.name, row.website) for row in rows]
    )
    candidates = [
        (
            policy.Candidate(
                name=row.name, body=row.body, website=row.website, spam_probability=score
            ),
            row.status,
        )
        for row, score in zip(rows, scores, strict=True)
    ]
    return Simulation(
        considered=len(rows),
        current=_replay(candidates, current_rules()),
        proposed=_replay(candidates, candidate_rules),
        classifier_scored=any(score is not None for score in scores),
    )


def _replay(
    candidates: list[tuple[policy.Candidate, CommentStatus]], rules: policy.Rules
) -> Replay:
    flagged = [
        status
        for candidate, status in candidates
        if policy.evaluate(candidate, rules, policy.CONTENT_CHECKS).verdict
        != policy.Verdict.APPROVE
    ]
    approved = sum(status == CommentStatus.APPROVED for status in flagged)
    return Replay(len(flagged), approved, len(flagged) - approved)
