"""X (Twitter API v2): mentions and DM events in, replies and DMs out."""
