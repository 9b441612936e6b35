"""Who holds a lease and for how long, and how long to back off after failures.

The sync engine and the outbox's sender both take leases and back off the same way, so
these live below both of them.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

LEASE_TTL = timedelta(seconds=30)
FIRST_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=15)


def new_holder_name() -> str:
    """A lease holder name unique to this process: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def backoff_after(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failure in a row: 5 s doubling to 15 min."""
    doublings = min(max(failures - 1, 0), 16)
    return min(FIRST_BACKOFF * 2**doublings, MAX_BACKOFF)
