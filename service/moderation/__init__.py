"""Moderation: the queue, decisions, the audit trail, bans, commenters, moderator accounts."""
