"""marshmallow schemas: what the API accepts (load) and what it shows (dump), by concern:
`common` (limits, validators, comment fields), `public` (readers and commenters),
`moderation` (the queue, decisions, the audit log), `people` (bans, commenters, articles,
privacy requests); and what the web pages' forms and links send, reusing those:
`forms` (the queue, the audit log, the readers' include), `people_forms` (bans, notes, the
admin pages)."""
