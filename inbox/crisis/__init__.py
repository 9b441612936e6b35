"""The crisis toolkit: listening rules and alerts, incidents, statements and the post-crisis review's data."""
