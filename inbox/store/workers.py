"""The `worker` rows: each running `inbox worker` says here that it is alive, and for what.

A worker writes its row when it starts, renews `heartbeat_at` about every `HEARTBEAT`, and
sets `stopped_at` when it stops cleanly. A row whose heartbeat is older than `ALIVE_WITHIN`
belongs to a process that died. Every open TUI reads these rows to say who polls and sends,
and polls in-process only while no worker is alive.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, update

from inbox.core.models import Worker

HEARTBEAT = timedelta(seconds=10)
"""How often a worker renews its row."""

ALIVE_WITHIN = 3 * HEARTBEAT
"""A worker whose last heartbeat is older than this is taken for dead."""

FORGET_AFTER = timedelta(days=7)
"""Rows of workers stopped or dead this long are deleted when a worker starts."""

_worker = Worker.__table__


@dataclass(frozen=True, slots=True)
class WorkerRecord:
    """A worker as its row reports it, and whether it is alive now."""

    name: str
    kind: str
    host: str
    pid: int
    version: str
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None
    account_ids: tuple[int, ...]
    alive: bool
    """A recent heartbeat (within `ALIVE_WITHIN`) and no clean stop."""


def is_alive(heartbeat_at: datetime, stopped_at: datetime | None, now: datetime) -> bool:
    """Whether a worker with this heartbeat and stop time is running at `now`."""
    return stopped_at is None and now - heartbeat_at <= ALIVE_WITHIN


def start_worker(
    connection: Connection,
    name: str,
    *,
    kind: str,
    version: str,
    account_ids: list[int],
    now: datetime,
) -> None:
    """Write the row of a worker starting now, forgetting long-gone ones."""
    connection.execute(
        delete(_worker).where(_worker.c.heartbeat_at < now - FORGET_AFTER, _worker.c.name != name)
    )
    connection.execute(delete(_worker).where(_worker.c.name == name))
    connection.execute(
        _worker.insert().values(
            name=name,
            kind=kind,
            host=socket.gethostname(),
            pid=os.getpid(),
            version=version,
            started_at=now,
            heartbeat_at=now,
            stopped_at=None,
            account_ids=sorted(account_ids),
        )
    )


def beat(connection: Connection, name: str, *, account_ids: list[int], now: datetime) -> bool:
    """Renew a worker's heartbeat and what it serves; False when its row is gone."""
    renewed = connection.execute(
        update(_worker)
        .where(_worker.c.name == name)
        .values(heartbeat_at=now, account_ids=sorted(account_ids), stopped_at=None)
    ).rowcount
    return bool(renewed)


def stop_worker(connection: Connection, name: str, *, now: datetime) -> None:
    """Record that a worker stopped cleanly."""
    connection.execute(
        update(_worker).where(_worker.c.name == name).values(stopped_at=now, heartbeat_at=now)
    )


def worker_records(
    connection: Connection, now: datetime, *, kind: str | None = "worker"
) -> list[WorkerRecord]:
    """Every worker row of `kind` (None: every kind), the alive first, newest heartbeat first."""
    query = select(_worker)
    if kind is not None:
        query = query.where(_worker.c.kind == kind)
    records = [
        WorkerRecord(
            name=row.name,
            kind=row.kind,
            host=row.host,
            pid=row.pid,
            version=row.version,
            started_at=row.started_at,
            heartbeat_at=row.heartbeat_at,
            stopped_at=row.stopped_at,
            account_ids=tuple(row.account_ids or ()),
            alive=is_alive(row.heartbeat_at, row.stopped_at, now),
        )
        for row in connection.execute(query).all()
    ]
    return sorted(records, key=lambda record: (not record.alive, -record.heartbeat_at.timestamp()))


def alive_workers(connection: Connection, now: datetime) -> list[WorkerRecord]:
    """The `inbox worker` processes alive at `now`."""
    return [record for record in worker_records(connection, now) if record.alive]
