"""Lands what webhooks carry: one writer, batching whatever arrives meanwhile.

SQLite has a single writer, and on a bad day Meta posts hundreds of deliveries a second.
Each request hands its items here and waits; one task lands everything waiting, one
transaction per account, through the sync engine's ingest (`Store.ingest`, idempotent by
account and external id), then answers every request it landed. A request is answered
only once its items are committed. A batch the database refuses (locked past its busy
timeout, a race with the poller over the same item) is tried again request by request;
what still fails raises `LandingFailed`, the server answers 500, Meta delivers it again,
and nothing acknowledged is ever lost.

The writer scores the sentiment of what landed after answering, before the next batch (one
writer, so the two never wait on each other's lock); the crisis toolkit's checks
(`AfterLanding`) run beside it, at most every `LISTEN_EVERY`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from adapters.base import AccountRef, FetchedItem
from inbox.store.ingest import IngestReport, Store
from inbox.sync.engine import LISTEN_EVERY, AfterLanding

log = logging.getLogger(__name__)

WEBHOOK_STREAM = "webhook"
"""The stream webhook items land under: its cursor row says when the last one landed, and
the polling streams' cursors never move because of a webhook."""

BATCH_ITEMS = 2_000
"""Items landed in one batch at most; more wait for the next."""


class LandingFailed(Exception):
    """The database did not take a delivery's items; Meta must deliver them again."""


@dataclass(slots=True)
class _Waiting:
    """One request's items for one account, and the future its request waits on."""

    account: AccountRef
    items: Sequence[FetchedItem]
    landed: asyncio.Future[None]


class Lander:
    """Lands webhook items for every request of the server, one writer at a time."""

    def __init__(self, store: Store, *, after_landing: AfterLanding | None = None) -> None:
        self.store = store
        self.after_landing = after_landing
        self._waiting: deque[_Waiting] = deque()
        self._arrived = asyncio.Event()
        self._landed_new = asyncio.Event()
        self._closed = asyncio.Event()
        self._closing = False
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the writer (and the listening rules' checks) on the running loop."""
        self._tasks = [asyncio.create_task(self._write(), name="webhooks: writer")]
        if self.after_landing is not None:
            self._tasks.append(
                asyncio.create_task(self._keep_listening(), name="webhooks: listening")
            )

    async def close(self) -> None:
        """Land what is waiting, then stop."""
        self._closing = True
        self._closed.set()
        self._arrived.set()
        self._landed_new.set()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def land(self, account: AccountRef, items: Sequence[FetchedItem]) -> None:
        """Land `items` of `account`, returning once they are committed (else LandingFailed)."""
        if not items:
            return
        if self._closing:
            raise LandingFailed("the server is stopping")
        waiting = _Waiting(account, items, asyncio.get_running_loop().create_future())
        self._waiting.append(waiting)
        self._arrived.set()
        await waiting.landed

    async def _write(self) -> None:
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            while self._waiting:
                batch = self._next_batch()
                try:
                    landed_new = await self._land(batch)
                except Exception:  # noqa: BLE001 - the writer must outlive a batch
                    log.exception("landing webhook items failed", extra={"event": "webhook.failed"})
                    self._fail(batch, LandingFailed("the server failed while landing them"))
                    continue
                except BaseException:
                    self._fail(batch, LandingFailed("the server stopped before landing them"))
                    raise
                if landed_new:
                    await asyncio.to_thread(self._score)
                    self._landed_new.set()
            if self._closing:
                return

    def _next_batch(self) -> list[_Waiting]:
        batch = [self._waiting.popleft()]
        count = len(batch[0].items)
        while self._waiting and count + len(self._waiting[0].items) <= BATCH_ITEMS:
            count += len(self._waiting[0].items)
            batch.append(self._waiting.popleft())
        return batch

    async def _land(self, batch: list[_Waiting]) -> bool:
        """Land a batch and answer its requests; whether any item was new."""
        by_account: dict[int, list[_Waiting]] = {}
        for waiting in batch:
            by_account.setdefault(waiting.account.id, []).append(waiting)
        outcomes = await asyncio.to_thread(self._ingest_all, list(by_account.values()))
        for waiting, outcome in outcomes:
            if waiting.landed.done():
                continue
            if isinstance(outcome, LandingFailed):
                waiting.landed.set_exception(outcome)
            else:
                waiting.landed.set_result(None)
        return any(
            isinstance(outcome, IngestReport) and outcome.new_items for _, outcome in outcomes
        )

    def _fail(self, batch: list[_Waiting], error: LandingFailed) -> None:
        for waiting in batch:
            if not waiting.landed.done():
                waiting.landed.set_exception(error)

    def _ingest_all(
        self, groups: list[list[_Waiting]]
    ) -> list[tuple[_Waiting, IngestReport | LandingFailed]]:
        """Land each account's items in one transaction; a refused one request by request."""
        outcomes: list[tuple[_Waiting, IngestReport | LandingFailed]] = []
        for group in groups:
            account = group[0].account
            items = [item for waiting in group for item in waiting.items]
            report = self._ingest(account, items)
            if isinstance(report, IngestReport):
                outcomes.extend((waiting, report) for waiting in group)
                continue
            outcomes.extend((waiting, self._ingest(account, waiting.items)) for waiting in group)
        return outcomes

    def _ingest(
        self, account: AccountRef, items: Sequence[FetchedItem]
    ) -> IngestReport | LandingFailed:
        try:
            report = self.store.ingest(account, WEBHOOK_STREAM, items, None)
        except Exception as error:  # noqa: BLE001 - answered 500, so Meta delivers again
            # Only the type: the database's message quotes the rows, customers' words included.
            log.warning(
                "the database did not take %d webhook items of account %s (%s %s): %s",
                len(items),
                account.id,
                account.platform,
                account.handle,
                type(error).__name__,
                extra={"event": "webhook.not_landed", "account_id": account.id},
            )
            return LandingFailed(f"the database did not take them ({type(error).__name__})")
        if report.new_items:
            log.info(
                "%s new items from %s %s (webhook)",
                report.new_items,
                account.platform,
                account.handle,
                extra={
                    "event": "items.landed",
                    "account_id": account.id,
                    "stream": WEBHOOK_STREAM,
                    "new_items": report.new_items,
                },
            )
        return report

    async def _keep_listening(self) -> None:
        """Check the listening rules after items landed, at most every `LISTEN_EVERY` (they
        look at whole windows), until closed."""
        assert self.after_landing is not None
        since: datetime | None = None
        while True:
            await self._landed_new.wait()
            self._landed_new.clear()
            if self._closing:
                return
            now = self.store.clock()
            await asyncio.to_thread(self._listen, now, since)
            since = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), LISTEN_EVERY.total_seconds())

    def _score(self) -> None:
        try:
            while self.store.score_sentiment():
                pass
        except Exception:  # noqa: BLE001 - scoring must never stop the server
            log.exception("scoring sentiment failed")

    def _listen(self, now: datetime, since: datetime | None) -> None:
        assert self.after_landing is not None
        try:
            self.after_landing(now, since)
        except Exception:  # noqa: BLE001 - listening must never stop the server
            log.exception("checking the listening rules failed")
