"""Every row of the threads, items or events table, for `inbox export`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, select

from inbox.core.errors import InvalidInput
from inbox.core.models import Event, Item, Thread

TABLES = {"threads": Thread.__table__, "items": Item.__table__, "events": Event.__table__}
"""What may be exported, by the name `inbox export` takes."""


def export_rows(engine: Engine, what: str, batch: int = 5_000) -> Iterator[dict[str, Any]]:
    """Every row of `what` in id order, column name to value, without the platforms' raw payloads.

    Read in batches of `batch` rows, each in a connection of its own, so a long export
    holds no read open while the caller writes the rows out.
    """
    if what not in TABLES:
        raise InvalidInput(f"cannot export {what!r}; choose one of {', '.join(TABLES)}")
    table = TABLES[what]
    columns = [column for column in table.c if column.name != "raw"]
    last_id = 0
    while True:
        with engine.connect() as connection:
            rows = connection.execute(
                select(*columns).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
            ).all()
        if not rows:
            return
        for row in rows:
            yield dict(row._mapping)
        last_id = rows[-1].id
