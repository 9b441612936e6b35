"""The Textual terminal UI; it talks to one InboxService and nothing else."""

import os

# Textual draws at most TEXTUAL_FPS frames a second (default 60), read when Textual is first
# imported. A key that changes the screen twice (the cursor, then the preview) waits up to
# 1/FPS for its second frame: 17 ms at 60, 4 ms at 240. An idle screen draws nothing either
# way. Set TEXTUAL_FPS to choose another cap (docs/performance.md, "Frames").
os.environ.setdefault("TEXTUAL_FPS", "240")
