"""The sync engine: adapters in, store out.

Each (account, stream) is polled on its own schedule by its own asyncio task, so one slow
or failing platform never holds up another. Only the process holding an account's lease
polls it; the lease is renewed by a heartbeat and expires when its holder dies, so two
open terminals never double-poll and a killed poller's accounts are picked up again.

Failures back off per stream: `RateLimited` waits until the platform's reset time,
`AuthExpired` marks the account and stops polling it until someone logs in again, and
anything else backs off exponentially up to `MAX_BACKOFF`. That includes an exception no
contract names (a hostile date, JSON nested too deep, the store refusing a batch): the
stream is marked failing with the exception's type, the traceback goes to the log, and
every other account and stream goes on.

Where a platform pushes (`Adapter.pushes`: Mastodon's streaming API, IMAP IDLE), a task per
account holds the push channel open and wakes a stream's loop the moment it has news; the
loop then fetches from its cursor as always, so a push lost in a reconnect costs nothing
and an overlap lands nothing twice. While the channel is up, those streams are polled only
every `PUSHED_POLL_SECONDS` as a backfill; while it is down, at their normal pace, and it
is opened again after a backoff. A stream that only polls is paced by the platform's
rate-limit headers (`Adapter.poll_delay`), and one under a daily quota
(`Adapter.daily_quota`, counted in `account_quota`) so that a day's polls fit inside it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from adapters.base import (
    AccountRef,
    Adapter,
    AdapterError,
    AuthExpired,
    FetchResult,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)
from inbox.core.database import write_transaction
from inbox.core.models import Account, AccountHealth
from inbox.store import quotas
from inbox.store.accounts import save_text_limit
from inbox.store.ingest import CursorState, IngestReport, Store
from inbox.store.leases import (
    FIRST_BACKOFF,
    LEASE_TTL,
    MAX_BACKOFF,
    Lease,
    backoff_after,
    new_holder_name,
)
from inbox.store.serving import NOT_HELD, ServedAccounts

log = logging.getLogger(__name__)

MAX_PAGES_PER_RUN = 100_000
BATCH_ITEMS = 1_000
LISTEN_EVERY = timedelta(seconds=30)
PUSHED_POLL_SECONDS = 300.0
"""How often a stream is still polled while its platform pushes its news: a backfill."""
STEADY_PUSH_SECONDS = 60.0
"""A push channel that stayed open this long starts its reconnect backoff afresh."""

AdapterFactory = Callable[[AccountRef, httpx.AsyncClient], Adapter]
"""Builds the adapter for an account; `inbox.runtime.adapter_factory` makes the one that
reads (and keeps refreshed) credentials in the keyring."""

AfterLanding = Callable[[datetime, datetime | None], None]
"""Called (in a thread) with now and the previous call's now after new items landed;
`inbox.runtime` hands in the crisis toolkit's (tag incident threads, check listening rules)."""


@dataclass(slots=True)
class StreamProgress:
    """What a run did for one (account, stream), for progress displays."""

    account: AccountRef
    stream: str
    pages: int = 0
    new_items: int = 0
    duplicate_items: int = 0
    malformed_items: int = 0
    error: str | None = None
    skipped: str | None = None
    held_by: Lease | None = None
    """The lease of another process that kept this run from polling the stream."""
    holder_stopped: bool = False
    """That lease's holder is known to have stopped (crashed): nobody polls the stream."""
    needs_login: bool = False
    not_held: bool = False
    """Skipped because this process's keyring does not hold the account's secret."""


@dataclass(slots=True)
class SyncSummary:
    """What `run_once` did for every stream."""

    streams: list[StreamProgress] = field(default_factory=list)

    @property
    def new_items(self) -> int:
        return sum(stream.new_items for stream in self.streams)


def account_ref(account: Account) -> AccountRef:
    """The adapter's view of an account row."""
    return AccountRef(
        id=account.id,
        platform=account.platform,
        handle=account.handle,
        base_url=account.base_url,
        settings=dict(account.settings or {}),
    )


class SyncEngine:
    """Polls every enabled account whose lease this process holds and whose secret its
    keyring has (`served`; accounts it cannot serve are left alone, health included)."""

    def __init__(
        self,
        store: Store,
        adapter_factory: AdapterFactory,
        *,
        holder: str | None = None,
        on_progress: Callable[[StreamProgress], None] | None = None,
        lease_ttl: timedelta = LEASE_TTL,
        after_landing: AfterLanding | None = None,
        served: ServedAccounts | None = None,
    ) -> None:
        self.store = store
        self.adapter_factory = adapter_factory
        self.holder = holder or new_holder_name()
        self.on_progress = on_progress
        self.lease_ttl = lease_ttl
        self.after_landing = after_landing
        self.served = served or ServedAccounts(None)
        self._listened_at: datetime | None = None
        self._listening = asyncio.Lock()

    def enabled_accounts(self) -> list[AccountRef]:
        """Accounts to poll: enabled, and not waiting for someone to log in again."""
        with self.store.engine.connect() as connection:
            rows = connection.execute(
                select(Account.__table__).where(
                    Account.__table__.c.enabled.is_(True),
                    Account.__table__.c.health != AccountHealth.AUTH_EXPIRED,
                )
            ).all()
        return [account_ref(Account.model_validate(row._mapping)) for row in rows]

    def served_accounts(self) -> list[AccountRef]:
        """The enabled accounts this process may poll: those whose secret it holds."""
        return [
            account
            for account in self.enabled_accounts()
            if self.served.serves(account.platform, account.handle)
        ]

    async def run_once(self, client: httpx.AsyncClient) -> SyncSummary:
        """Read every stream of every account until it has nothing more, once.

        An account whose secret this process does not hold is reported as skipped
        (`not_held`) and not touched: no lease, no poll, no health.
        """
        summary = SyncSummary()
        accounts = []
        for account in self.enabled_accounts():
            if self.served.serves(account.platform, account.handle):
                accounts.append(account)
                continue
            progress = StreamProgress(account=account, stream="*", skipped=NOT_HELD, not_held=True)
            summary.streams.append(progress)
            self._report(progress)
        try:
            outcomes = await asyncio.gather(
                *(self._run_account_once(account, client, summary) for account in accounts),
                return_exceptions=True,
            )
            for account, outcome in zip(accounts, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    progress = StreamProgress(account=account, stream="*")
                    summary.streams.append(progress)
                    await self._crashed(progress, outcome)
                elif isinstance(outcome, BaseException):
                    raise outcome
            if summary.new_items:
                await self._listen(throttled=False)
        finally:
            await asyncio.to_thread(self.store.release_leases, self.holder)
        return summary

    async def _run_account_once(
        self, account: AccountRef, client: httpx.AsyncClient, summary: SyncSummary
    ) -> None:
        adapter = await self._build_adapter(account, client)
        if adapter is None:
            progress = StreamProgress(
                account=account, stream="*", error="cannot start, see its health"
            )
            summary.streams.append(progress)
            self._report(progress)
            return
        taken = await asyncio.to_thread(
            self.store.acquire_lease, account.id, self.holder, self.lease_ttl
        )
        if taken:
            await self._keep_text_limit(adapter)
        for stream in adapter.streams:
            progress = StreamProgress(account=account, stream=stream)
            summary.streams.append(progress)
            try:
                await self._run_stream_once(adapter, progress, taken)
            except Exception as error:  # noqa: BLE001 - one stream must not stop the others
                await self._crashed(progress, error)

    async def _run_stream_once(
        self, adapter: Adapter, progress: StreamProgress, taken: bool
    ) -> None:
        account, stream = adapter.account, progress.stream
        if not taken:
            lease = await asyncio.to_thread(self.store.lease, account.id)
            progress.held_by = lease
            progress.holder_stopped = lease is not None and lease.holder_is_gone()
            progress.skipped = self._held_elsewhere(lease, progress.holder_stopped)
            self._report(progress)
            return
        state = await asyncio.to_thread(self.store.cursor, account.id, stream)
        if state.backoff_until is not None and state.backoff_until > self.store.clock():
            progress.skipped = f"backing off until {state.backoff_until:%H:%M:%S} UTC"
            self._report(progress)
            return
        while progress.pages < MAX_PAGES_PER_RUN:
            has_more = await self.poll(adapter, stream, progress)
            if not has_more:
                break
            await asyncio.to_thread(
                self.store.acquire_lease, account.id, self.holder, self.lease_ttl
            )

    def _held_elsewhere(self, lease: Lease | None, holder_stopped: bool) -> str:
        """Why another process's lease stops this run, and when it ends."""
        if lease is None or lease.expires_at < self.store.clock():
            return "its lease was released just now; run again"
        ends = f"{lease.expires_at:%H:%M:%S} UTC"
        seconds_left = max(int((lease.expires_at - self.store.clock()).total_seconds()), 1)
        if holder_stopped:
            return (
                f"its lease is held by {lease.holder}, which is no longer running and "
                f"stopped renewing it; the lease ends at {ends} (in {seconds_left} s), "
                "then any sync takes it over"
            )
        return (
            f"another process is polling it ({lease.holder}); its lease runs until {ends} "
            f"(in {seconds_left} s) and is renewed while that process polls"
        )

    async def poll(self, adapter: Adapter, stream: str, progress: StreamProgress) -> bool:
        """Fetch and land what is ready; True when the adapter has more ready now.

        During a backfill, pages are gathered up to `BATCH_ITEMS` and landed in one
        transaction with the cursor after the last of them: fewer, larger transactions,
        and a crash still loses nothing (the next run refetches from the saved cursor).
        Whatever a page raises (short of cancellation) is recorded as the stream's failure.
        """
        account = adapter.account
        state = await asyncio.to_thread(self.store.cursor, account.id, stream)
        cursor, items, pages, has_more = state.cursor, [], 0, True
        failure: Exception | None = None
        while has_more and len(items) < BATCH_ITEMS:
            failure = await asyncio.to_thread(self._spend_quota, adapter, stream)
            if failure is not None:
                break
            try:
                result = await adapter.fetch(stream, cursor)
                if not isinstance(result, FetchResult):
                    raise PayloadInvalid(f"adapter returned {type(result).__name__}, not a page")
                items.extend(result.items)
            except AdapterError as error:
                failure = error
                break
            except (httpx.HTTPError, OSError) as error:
                failure = PlatformUnavailable(str(error) or type(error).__name__)
                break
            except Exception as error:  # noqa: BLE001 - a hostile page must not stop the stream
                failure = self._unexpected(account, stream, error, "reading a page")
                break
            cursor, has_more, pages = result.next_cursor, result.has_more, pages + 1

        if pages:
            try:
                report: IngestReport = await asyncio.to_thread(
                    self.store.ingest, account, stream, items, cursor
                )
            except Exception as error:  # noqa: BLE001 - a batch the store refuses is a failure
                failure = self._unexpected(account, stream, error, "storing a page")
            else:
                await self._landed(account, state, failure, pages, report, progress)
        if failure is not None:
            await self._record(account, stream, failure, state.failures + 1)
            progress.error = _describe(failure)
            progress.needs_login = isinstance(failure, AuthExpired)
            self._report(progress)
            return False
        self._report(progress)
        return has_more

    async def _landed(
        self,
        account: AccountRef,
        state: CursorState,
        failure: Exception | None,
        pages: int,
        report: IngestReport,
        progress: StreamProgress,
    ) -> None:
        """After a batch landed: health back to ok, sentiment, listening, progress."""
        if state.failures and failure is None:
            await asyncio.to_thread(self.store.record_health, account.id, AccountHealth.OK, None)
        try:
            while await asyncio.to_thread(self.store.score_sentiment):
                pass
        except Exception:  # noqa: BLE001 - scoring must never stop the sync
            log.exception("scoring sentiment failed")
        if report.new_items:
            log.info(
                "%s new items from %s %s (%s)",
                report.new_items,
                account.platform,
                account.handle,
                progress.stream,
                extra={
                    "event": "items.landed",
                    "account_id": account.id,
                    "stream": progress.stream,
                    "new_items": report.new_items,
                },
            )
            await self._listen()
        progress.pages += pages
        progress.new_items += report.new_items
        progress.duplicate_items += report.duplicate_items
        progress.malformed_items += report.malformed_items
        progress.error = None

    def _spend_quota(self, adapter: Adapter, stream: str) -> QuotaUsedUp | None:
        """Count one fetch of `stream` against the account's daily quota, if it has one.

        Refused (nothing counted) when polling has used its share of today's quota.
        """
        if adapter.daily_quota is None:
            return None
        account, now = adapter.account, self.store.clock()
        cost = quotas.fetch_cost(adapter.quota_costs, stream)
        with write_transaction(self.store.engine) as connection:
            used = quotas.used_today(connection, account.id, now)
            if quotas.polling_left(adapter.daily_quota, used) < cost:
                return QuotaUsedUp(adapter, used, quotas.next_quota_day(now))
            quotas.spend(connection, account.id, cost, now)
        return None

    async def _quota_pace(self, adapter: Adapter, stream: str) -> float:
        """Seconds between polls that make the account's daily quota last the day.

        When polling's share is spent, the stream backs off until the next quota day and
        the account's health says so, at once rather than at the next refused poll.
        """
        account, quota, now = adapter.account, adapter.daily_quota or 0, self.store.clock()
        used = await asyncio.to_thread(self._quota_used, account.id)
        if quotas.polling_left(quota, used) < quotas.fetch_cost(adapter.quota_costs, stream):
            state = await asyncio.to_thread(self.store.cursor, account.id, stream)
            used_up = QuotaUsedUp(adapter, used, quotas.next_quota_day(now))
            await self._record(account, stream, used_up, state.failures + 1)
        return quotas.paced_interval(quota, adapter.quota_costs, adapter.streams, used, now)

    def _quota_used(self, account_id: int) -> int:
        with self.store.engine.connect() as connection:
            return quotas.used_today(connection, account_id, self.store.clock())

    def _unexpected(
        self, account: AccountRef, stream: str, error: Exception, doing: str
    ) -> _Unexpected:
        """Log an exception no contract names, with its traceback; the failure to record.

        The failure's reason names only the exception's type: its message may quote the
        payload, and the reason is shown to people and kept in the database.
        """
        log.error(
            "sync of account %s (%s %s), stream %s: unexpected error while %s",
            account.id,
            account.platform,
            account.handle,
            stream,
            doing,
            exc_info=error,
        )
        return _Unexpected(f"unexpected {type(error).__name__} while {doing}; see the log")

    async def _crashed(self, progress: StreamProgress, error: Exception) -> None:
        """Record an exception that escaped a stream's (or, stream `*`, an account's) run."""
        account, stream = progress.account, progress.stream
        failure = self._unexpected(account, stream, error, "syncing")
        progress.error = _describe(failure)
        try:
            if stream == "*":
                await asyncio.to_thread(
                    self.store.record_health, account.id, AccountHealth.FAILING, progress.error
                )
            else:
                state = await asyncio.to_thread(self.store.cursor, account.id, stream)
                await self._record(account, stream, failure, state.failures + 1)
        except Exception:  # noqa: BLE001 - the store may be what failed
            log.exception("cannot record the failure of account %s, stream %s", account.id, stream)
        self._report(progress)

    async def _listen(self, *, throttled: bool = True) -> None:
        """Call `after_landing` (tag new threads to active incidents, check the listening rules).

        While polling, at most every `LISTEN_EVERY` (a backfill lands many batches, and the
        rules look at whole windows); once more at the end of a run, when every account
        has landed what it had.
        """
        if self.after_landing is None:
            return
        async with self._listening:
            now = self.store.clock()
            recent = self._listened_at is not None and now - self._listened_at < LISTEN_EVERY
            if throttled and recent:
                return
            since, self._listened_at = self._listened_at, now
            try:
                await asyncio.to_thread(self.after_landing, now, since)
            except Exception:  # noqa: BLE001 - listening must never stop the sync
                log.exception("checking the listening rules failed")

    async def _record(
        self, account: AccountRef, stream: str, error: Exception, failures: int
    ) -> None:
        now = self.store.clock()
        if isinstance(error, RateLimited):
            health, until = AccountHealth.RATE_LIMITED, max(error.reset_at, now)
            event = "poll.rate_limited"
        elif isinstance(error, AuthExpired):
            health, until = AccountHealth.AUTH_EXPIRED, now + MAX_BACKOFF
            event = "account.auth_expired"
        else:
            health, until = AccountHealth.FAILING, now + backoff_after(failures)
            event = "poll.failed"
        log.warning(
            "sync of %s %s (%s) failed: %s; next try at %s",
            account.platform,
            account.handle,
            stream,
            _describe(error),
            until.isoformat(),
            extra={"event": event, "account_id": account.id, "stream": stream},
        )
        await asyncio.to_thread(
            self.store.record_failure, account.id, stream, _describe(error), until, health
        )

    def _report(self, progress: StreamProgress) -> None:
        if self.on_progress is None:
            return
        try:
            self.on_progress(progress)
        except Exception:  # noqa: BLE001 - showing progress must never stop the sync
            log.exception("showing sync progress failed")

    # -- the long-running worker ----------------------------------------------------------

    async def run_forever(self, client: httpx.AsyncClient, stop: asyncio.Event) -> None:
        """Poll every account on its own schedule until `stop` is set.

        Every heartbeat renews this process's leases, takes free ones, restarts a stream
        whose task ended, restarts an account's streams when its row changed (settings
        edited, a demo crisis scheduled), and stops them when it was disabled, lost its
        credentials or is now polled by another process.
        """
        running: dict[int, _RunningAccount] = {}
        heartbeat = self.lease_ttl.total_seconds() / 3
        try:
            while not stop.is_set():
                try:
                    await self._heartbeat(client, stop, running)
                except Exception:  # noqa: BLE001 - the worker outlives a bad heartbeat
                    log.exception(
                        "a sync heartbeat failed; trying again at the next one",
                        extra={"event": "heartbeat.failed"},
                    )
                await _wait(stop, heartbeat)
        finally:
            for current in running.values():
                await _cancel(current.all_tasks())
            await asyncio.to_thread(self.store.release_leases, self.holder)

    async def _heartbeat(
        self, client: httpx.AsyncClient, stop: asyncio.Event, running: dict[int, _RunningAccount]
    ) -> None:
        """Renew and take leases, and start, restart or stop the accounts' stream tasks."""
        accounts = {
            account.id: account for account in await asyncio.to_thread(self.served_accounts)
        }
        for account_id, current in list(running.items()):
            if accounts.get(account_id) != current.account:
                await _cancel(current.all_tasks())
                del running[account_id]
        for account in accounts.values():
            try:
                await self._keep_following(account, client, stop, running)
            except Exception:  # noqa: BLE001 - one account must not stop the others
                log.exception(
                    "cannot keep polling account %s (%s %s)",
                    account.id,
                    account.platform,
                    account.handle,
                )

    async def _keep_following(
        self,
        account: AccountRef,
        client: httpx.AsyncClient,
        stop: asyncio.Event,
        running: dict[int, _RunningAccount],
    ) -> None:
        taken = await asyncio.to_thread(
            self.store.acquire_lease, account.id, self.holder, self.lease_ttl
        )
        if not taken:
            if account.id in running:
                await _cancel(running.pop(account.id).all_tasks())
                log.info(
                    "lost the lease of account %s (%s %s) to another process",
                    account.id,
                    account.platform,
                    account.handle,
                    extra={"event": "lease.lost", "account_id": account.id},
                )
            return
        current = running.get(account.id)
        if current is None:
            adapter = await self._build_adapter(account, client)
            if adapter is None:
                return
            log.info(
                "took the lease of account %s (%s %s) as %s",
                account.id,
                account.platform,
                account.handle,
                self.holder,
                extra={"event": "lease.taken", "account_id": account.id},
            )
            account = await self._keep_text_limit(adapter)
            channel = _PushChannel(
                {stream: asyncio.Event() for stream in adapter.streams if stream in adapter.pushes}
            )
            current = running[account.id] = _RunningAccount(account, adapter, {}, channel)
        for stream in current.adapter.streams:
            task = current.tasks.get(stream)
            if task is None or task.done():
                current.tasks[stream] = asyncio.create_task(
                    self._follow(current.adapter, stream, stop, current.channel),
                    name=f"sync {account.platform} {account.handle} {stream}",
                )
        if current.channel.wakes and (current.listener is None or current.listener.done()):
            current.listener = asyncio.create_task(
                self._keep_listening(current.adapter, current.channel, stop),
                name=f"push {account.platform} {account.handle}",
            )

    async def _build_adapter(
        self, account: AccountRef, client: httpx.AsyncClient
    ) -> Adapter | None:
        """The account's adapter, or None (the account marked failing) when it cannot be made."""
        try:
            return self.adapter_factory(account, client)
        except Exception as error:  # noqa: BLE001 - a broken account must not stop the others
            log.warning("cannot start syncing %s %s: %s", account.platform, account.handle, error)
            await asyncio.to_thread(
                self.store.record_health,
                account.id,
                AccountHealth.FAILING,
                f"cannot start: {error}",
            )
            return None

    async def _keep_text_limit(self, adapter: Adapter) -> AccountRef:
        """Ask the platform for the account's text limit and keep a changed one in its settings.

        Returns the account as now stored. A failure is logged and changes nothing: the
        limit only sharpens the pre-send checks and must never stop the sync.
        """
        account = adapter.account
        try:
            text_limit = await adapter.read_text_limit()
            if text_limit is None or text_limit == account.settings.get("text_limit"):
                return account
            await asyncio.to_thread(self._save_text_limit, account.id, text_limit)
        except Exception as error:  # noqa: BLE001 - the limit must never stop the sync
            log.warning(
                "cannot read the text limit of %s %s: %s",
                account.platform,
                account.handle,
                _describe(error),
            )
            return account
        log.info("%s %s may send %s characters", account.platform, account.handle, text_limit)
        return replace(account, settings={**account.settings, "text_limit": text_limit})

    def _save_text_limit(self, account_id: int, text_limit: int) -> None:
        with write_transaction(self.store.engine) as connection:
            save_text_limit(connection, account_id, text_limit)

    async def _keep_listening(
        self, adapter: Adapter, channel: _PushChannel, stop: asyncio.Event
    ) -> None:
        """Hold the account's push channel open until `stop`, waking a stream at each news.

        A break is logged and wakes the pushed streams (they poll at once, then at their
        normal pace); the channel is opened again after a backoff that doubles, with jitter,
        and starts afresh once the channel stayed open `STEADY_PUSH_SECONDS`. A refused
        credential ends listening: polling marks the account for a new login.
        """
        account, loop = adapter.account, asyncio.get_running_loop()
        failures = 0
        while not stop.is_set():
            opened_at: float | None = None
            try:
                news = adapter.listen()
                try:
                    async for stream in news:
                        if opened_at is None:
                            opened_at = loop.time()
                            channel.up = True
                            log.info(
                                "listening to %s %s: its news arrives as it happens",
                                account.platform,
                                account.handle,
                                extra={"event": "push.open", "account_id": account.id},
                            )
                        channel.wake(stream)
                finally:
                    await _close(news)
                failure: Exception = PlatformUnavailable("the push channel closed")
            except (AdapterError, NotImplementedError) as error:
                failure = error
            except (httpx.HTTPError, OSError) as error:
                failure = PlatformUnavailable(str(error) or type(error).__name__)
            except Exception as error:  # noqa: BLE001 - listening must never stop the polling
                failure = self._unexpected(account, "(push)", error, "listening")
            if channel.up:
                channel.up = False
                channel.wake()
            if opened_at is not None and loop.time() - opened_at >= STEADY_PUSH_SECONDS:
                failures = 0
            failures += 1
            if isinstance(failure, AuthExpired | NotImplementedError):
                log.warning(
                    "stopped listening to %s %s: %s; polling goes on",
                    account.platform,
                    account.handle,
                    _describe(failure),
                    extra={"event": "push.stopped", "account_id": account.id},
                )
                return
            delay = backoff_after(failures).total_seconds() * random.uniform(0.5, 1.0)
            log.warning(
                "the push channel of %s %s broke: %s; polling meanwhile, listening again in %.0f s",
                account.platform,
                account.handle,
                _describe(failure),
                delay,
                extra={"event": "push.broke", "account_id": account.id},
            )
            await _wait(stop, delay)

    async def _follow(
        self, adapter: Adapter, stream: str, stop: asyncio.Event, channel: _PushChannel
    ) -> None:
        """Poll one stream until `stop`, the lease is lost, or the account needs a login.

        A push of the stream's news ends a wait early, but never a backoff.
        """
        progress = StreamProgress(account=adapter.account, stream=stream)
        wake = channel.wakes.get(stream)
        while not stop.is_set():
            if wake is not None:
                wake.clear()
            try:
                wait = await self._follow_once(adapter, progress, channel)
            except Exception as error:  # noqa: BLE001 - the stream goes on after its backoff
                await self._crashed(progress, error)
                wait = FIRST_BACKOFF.total_seconds()
            if wait is None:
                return
            await _wait(stop, wait, wake)

    async def _follow_once(
        self, adapter: Adapter, progress: StreamProgress, channel: _PushChannel
    ) -> float | None:
        """Poll the stream if it is due; seconds to wait before the next look, None to stop."""
        account, stream = adapter.account, progress.stream
        holder = await asyncio.to_thread(self.store.lease_holder, account.id)
        if holder is not None and holder != self.holder:
            return None
        if holder is None:
            # the lease lapsed (a slow heartbeat); the next one renews it or hands it over
            return self.lease_ttl.total_seconds() / 3
        state = await asyncio.to_thread(self.store.cursor, account.id, stream)
        now = self.store.clock()
        if state.backoff_until is not None and state.backoff_until > now:
            return (state.backoff_until - now).total_seconds()
        has_more = await self.poll(adapter, stream, progress)
        if progress.needs_login:
            return None
        return 0 if has_more else await self._next_poll_in(adapter, stream, channel)

    async def _next_poll_in(self, adapter: Adapter, stream: str, channel: _PushChannel) -> float:
        """Seconds from a poll that found nothing more to the stream's next poll.

        The pace the platform's rate-limit headers allow, else its poll interval; never
        faster than the account's daily quota lasts the day; and while the platform pushes
        the stream's news, `PUSHED_POLL_SECONDS` at the least (a backfill).
        """
        try:
            seconds = adapter.poll_delay()
        except Exception:  # noqa: BLE001 - pacing must never stop the stream
            log.exception("reading the poll pace of %s failed", adapter.account.platform)
            seconds = None
        if seconds is None:
            seconds = adapter.poll_interval_seconds
        if adapter.daily_quota is not None:
            seconds = max(seconds, await self._quota_pace(adapter, stream))
        if channel.up and stream in channel.wakes:
            seconds = max(seconds, PUSHED_POLL_SECONDS)
        return seconds


@dataclass(slots=True)
class _PushChannel:
    """An account's push channel as its stream loops see it: whether it is open, and the
    wake-up of each stream whose news it carries."""

    wakes: dict[str, asyncio.Event]
    up: bool = False

    def wake(self, stream: str | None = None) -> None:
        """Wake `stream`'s loop to poll at once; every pushed stream's when None."""
        for name, event in self.wakes.items():
            if stream is None or name == stream:
                event.set()


@dataclass(slots=True)
class _RunningAccount:
    """An account this process polls: its row as last read, its adapter, a task per stream,
    and its push channel with the task that listens to it."""

    account: AccountRef
    adapter: Adapter
    tasks: dict[str, asyncio.Task[None]]
    channel: _PushChannel
    listener: asyncio.Task[None] | None = None

    def all_tasks(self) -> list[asyncio.Task[None]]:
        """Every task working for the account, to cancel them together."""
        return [*self.tasks.values(), *([self.listener] if self.listener else [])]


class _Unexpected(Exception):
    """A failure no adapter or store contract names; its message is safe to show."""


class QuotaUsedUp(RateLimited):
    """Polling has spent its share of the account's daily quota; it resumes the next day."""

    def __init__(self, adapter: Adapter, used: int, resumes_at: datetime) -> None:
        super().__init__(resumes_at)
        quota = adapter.daily_quota or 0
        self.args = (
            f"{used:,} of the {quota:,} units of today's {adapter.display_name} quota are "
            f"used (the last {1 - quotas.POLLING_SHARE:.0%} are kept for replies); polling "
            f"resumes when the quota day ends, at {resumes_at:%Y-%m-%d %H:%M} UTC",
        )


async def _cancel(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def _close(news: AsyncIterator[str]) -> None:
    """Close a push channel's iterator (an async generator) so it hangs up at once."""
    close = getattr(news, "aclose", None)
    if close is not None:
        await close()


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Wait `seconds`, or less if `stop` (or `wake`, when given) is set meanwhile."""
    waits = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=max(seconds, 0), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()


def _describe(error: BaseException) -> str:
    if isinstance(error, QuotaUsedUp):
        return str(error)
    if isinstance(error, AuthExpired):
        return f"the platform refused the credentials; log in again ({error})"
    if isinstance(error, RateLimited):
        return f"rate limited until {error.reset_at:%Y-%m-%d %H:%M:%S} UTC"
    return str(error) or type(error).__name__
