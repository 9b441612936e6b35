"""Working the queue: thread lists, triage changes, notes and presence, a thread's history and messages."""
