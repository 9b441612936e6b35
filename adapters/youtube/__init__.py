"""YouTube (Data API v3): comment threads on the channel and its videos in, replies out."""
