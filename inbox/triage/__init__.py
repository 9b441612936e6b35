"""Working the queue.

Thread lists, triage changes, notes and presence, a thread's history and messages.
"""
