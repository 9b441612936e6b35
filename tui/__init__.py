"""The Textual terminal UI; it talks to one InboxService and nothing else."""

import os

os.environ.setdefault("TEXTUAL_FPS", "240")
"""Textual draws at most this many frames a second (its default is 60), read when Textual is
first imported. A key press that changes the screen twice (the cursor, then the preview)
waits for the second frame up to 1/FPS after the first: 17 ms at 60, 4 ms here. Idle
screens draw nothing either way. Set TEXTUAL_FPS to choose another cap."""
