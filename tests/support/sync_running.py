"""The long-running sync engine in the test's own event loop, and what it stored.

Push-channel tests run `SyncEngine.run_forever` beside the test's own steps, wait for a
condition with a deadline (never a bare sleep), and count what landed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
from sqlalchemy import Engine, func, select

from inbox.core.models import Item
from inbox.sync.engine import SyncEngine


async def while_syncing(sync: SyncEngine, steps: Callable[[], Awaitable[None]]) -> None:
    """Run `sync.run_forever` until `steps` are done (or failed), then stop it."""
    stop = asyncio.Event()
    async with httpx.AsyncClient() as client:
        worker = asyncio.create_task(sync.run_forever(client, stop))
        try:
            await steps()
        finally:
            stop.set()
            await worker


async def until(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    """Wait until `condition` (called in a thread) holds; fail naming `what` after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await asyncio.to_thread(condition):
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.05)


def stored(engine: Engine, account_id: int) -> dict[str, int]:
    """How many times each external id is stored for the account."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Item.external_id, func.count())
            .where(Item.account_id == account_id)
            .group_by(Item.external_id)
        ).all()
    return {external_id: count for external_id, count in rows}
