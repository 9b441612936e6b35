"""Working the queue: thread lists, triage changes, notes, presence and a thread's history."""
