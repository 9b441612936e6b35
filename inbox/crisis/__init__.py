"""The crisis toolkit.

Listening rules and alerts, incidents, statements and the post-crisis review's data.
"""
