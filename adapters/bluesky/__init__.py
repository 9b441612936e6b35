"""Bluesky: the AT Protocol adapter (XRPC session, notifications, chats, replies)."""
