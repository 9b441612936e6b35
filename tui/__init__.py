"""The Textual terminal UI; it talks to one InboxService and nothing else."""
