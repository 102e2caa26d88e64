"""marshmallow schemas: what the API accepts (load) and what it shows (dump), by concern:
`common` (limits, validators, comment fields), `public` (readers and commenters),
`moderation` (the queue, decisions, the audit log), `people` (bans, commenters, articles,
privacy requests)."""
