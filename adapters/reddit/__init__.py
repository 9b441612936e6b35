"""Reddit: the inbox (mentions, comment and post replies, private messages) and replies."""
