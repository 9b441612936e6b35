"""Who holds a lease and for how long, and how long to back off after failures.

The sync engine and the outbox's sender both take leases and back off the same way, so
these live below both of them.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

LEASE_TTL = timedelta(seconds=30)
FIRST_BACKOFF = timedelta(seconds=5)
MAX_BACKOFF = timedelta(minutes=15)


def new_holder_name() -> str:
    """A lease holder name unique to this process: host, pid and a random tag."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class Lease:
    """Who holds an account's polling lease, and until when unless they renew it."""

    holder: str
    acquired_at: datetime
    expires_at: datetime

    def holder_is_gone(self) -> bool:
        """True when the holder was a process on this machine that is no longer running.

        A crashed poller leaves its lease behind until it expires; only a process on
        this machine can be looked up, so one elsewhere is never called gone.
        """
        host, _, rest = self.holder.partition(":")
        pid_text = rest.partition(":")[0]
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return True
        except OSError:  # it exists but belongs to someone else
            return False
        return False


def backoff_after(failures: int) -> timedelta:
    """How long to wait after the `failures`-th failure in a row: 5 s doubling to 15 min."""
    doublings = min(max(failures - 1, 0), 16)
    return min(FIRST_BACKOFF * 2**doublings, MAX_BACKOFF)
