"""Comments: submission, the commenter's edits and withdrawal, the life-cycle core, rendering."""
