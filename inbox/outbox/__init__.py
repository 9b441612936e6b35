"""The only way out.

Drafts and their pre-send checks, the queue and approvals, the sender, scheduled posts.
"""
