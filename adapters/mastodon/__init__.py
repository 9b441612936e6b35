"""Mastodon: mentions from notifications, DMs from conversations, replies as statuses."""
