"""The demo workspace run live without the terminal UI: sync passes and sends on one clock.

Its sync engine and senders come from `inbox.runtime`, as every other process's do; the
demo adapters run on the simulated clock and never use the HTTP client.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import Engine

from inbox.core.clock import FixedClock
from inbox.outbox.targets import channel_name
from inbox.runtime import adapter_factory, build_sender, build_sync_engine
from inbox.service import InboxService


class LiveDemo:
    """The demo's sync engine, and a sender for each round of sends, on one simulated clock."""

    def __init__(self, engine: Engine, clock: FixedClock) -> None:
        self.engine = engine
        self.clock = clock
        self.adapters = adapter_factory(None, clock=clock)
        self.sync = build_sync_engine(engine, None, clock=clock, adapters=self.adapters)

    async def poll(self, step: timedelta) -> int:
        """Move the clock on by `step`, then one sync pass; how many new messages it landed."""
        self.clock.advance(seconds=step.total_seconds())
        summary = await self.sync.run_once(None)  # the demo adapters never use the HTTP client
        return summary.new_items

    async def send_due(self, reader: InboxService) -> dict[str, Counter[str]]:
        """Send what is due until nothing is left or nothing more went out; the statuses
        per channel (`reader` reads the outbox to tell each row's channel)."""
        sender = build_sender(self.engine, None, clock=self.clock, adapters=self.adapters)
        counts: dict[str, Counter[str]] = {}
        while True:
            result = await sender.send_once(None)
            if not result.results:
                break
            by_id = {row.id: row for row in reader.outbox(limit=100_000)}
            for item in result.results:
                row = by_id[item.outbound_id]
                counts.setdefault(channel_name(row.platform), Counter())[item.status] += 1
            if all(item.status != "sent" for item in result.results):
                break
        return counts
