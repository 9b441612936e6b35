"""The only way out: drafts and their pre-send checks, the queue and approvals, the sender, scheduled posts."""
