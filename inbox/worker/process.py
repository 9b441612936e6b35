"""The worker: the sync engine and the outbox sender in one process, with a heartbeat row.

Both run on the same `ServedAccounts`, so the worker polls and sends only for the accounts
whose secret its keyring holds, and both use the worker's name as their lease holder. Several
workers on several machines share the accounts through the leases (the sync engine) and the
conditional claims (the sender). A stop (SIGTERM, SIGINT) stops taking work at once, lets
the sends in flight settle for up to `SETTLE_SECONDS`, releases the leases and records
`stopped_at`; a send still unsettled then is left to its claim's expiry, after which the
next sender looks it up on the platform before trying again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from inbox.core.clock import Clock, utc_now
from inbox.core.credentials import CredentialStore
from inbox.core.database import write_transaction
from inbox.crisis.status_publisher import StatusPagePublisher
from inbox.outbox.sender import CLAIM_TTL, SendResult
from inbox.runtime import build_sender, build_sync_engine, http_client
from inbox.store import workers
from inbox.store.leases import new_holder_name
from inbox.store.serving import NOT_HELD, ServedAccounts
from inbox.triage.auto_assign import AutoAssigner, PassReport

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from inbox.core.config import Config
    from inbox.worker.log_lines import Redactor

log = logging.getLogger(__name__)

SETTLE_SECONDS = 20.0
"""How long a stop waits for the sends in flight to settle."""

CONCURRENCY = 4
"""Rows the sender tries at a time, by default."""


def package_version() -> str:
    """The installed version of the inbox, for the worker row."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("social-inbox")
    except PackageNotFoundError:
        return "unknown"


class RememberingCredentials(CredentialStore):
    """The keyring, telling the log's redactor every secret value it hands out or stores."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def get(self, platform: str, handle: str) -> dict[str, str] | None:
        """The account's secret, remembered for scrubbing."""
        secret = super().get(platform, handle)
        if secret is not None:
            self.redactor.remember(secret.values())
        return secret

    def set(self, platform: str, handle: str, secret: Mapping[str, str]) -> None:
        """Store the secret, remembered for scrubbing."""
        self.redactor.remember(secret.values())
        super().set(platform, handle, secret)


class InboxWorker:
    """Polls, sends, publishes and listens for the accounts this machine holds, until stopped."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        credentials: CredentialStore | None,
        *,
        concurrency: int = CONCURRENCY,
        clock: Clock = utc_now,
        claim_ttl: timedelta = CLAIM_TTL,
        heartbeat: timedelta = workers.HEARTBEAT,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.engine = engine
        self.config = config
        self.clock = clock
        self.name = new_holder_name()
        """The worker row's name and the lease holder of its engine and sender."""
        self.concurrency = max(concurrency, 1)
        self.heartbeat = heartbeat
        self.settle_seconds = settle_seconds
        self.served = ServedAccounts(credentials)
        self.version = package_version()
        self.sync_engine = build_sync_engine(
            engine, credentials, clock=clock, config=config, holder=self.name, served=self.served
        )
        self.status_page = StatusPagePublisher(engine, config.status_page)
        """Regenerates and publishes the public status page after statements and changes,
        into the folder and with the command of this machine's config (none: no page)."""
        self.sender = build_sender(
            engine,
            credentials,
            clock=clock,
            claim_ttl=claim_ttl,
            holder=self.name,
            served=self.served,
            on_result=self._report_send,
            status_page=self.status_page,
        )
        self._serving: set[int] | None = None
        self.assigner = AutoAssigner(engine, clock=clock, on_report=_report_assignments)
        """Hands waiting threads to the people who are here, as the team's rules say."""

    async def run(self, stop: asyncio.Event) -> bool:
        """Work until `stop` is set; False when a part of the worker died on its own."""
        account_ids = await asyncio.to_thread(self._served_ids)
        await asyncio.to_thread(self._start_row, account_ids)
        log.info(
            "worker %s started (version %s), serving %d accounts",
            self.name,
            self.version,
            len(account_ids),
            extra={
                "event": "worker.started",
                "holder": self.name,
                "version": self.version,
                "account_ids": sorted(account_ids),
            },
        )
        await asyncio.to_thread(self._note_serving, account_ids)
        async with http_client(self.config.sync) as client:
            polling = asyncio.create_task(
                self.sync_engine.run_forever(client, stop), name="worker: sync"
            )
            sending = asyncio.create_task(
                self.sender.run_forever(client, stop, concurrency=self.concurrency),
                name="worker: outbox",
            )
            beating = asyncio.create_task(self._keep_beating(stop), name="worker: heartbeat")
            following = asyncio.create_task(
                self.status_page.follow(stop), name="worker: status page"
            )
            assigning = asyncio.create_task(
                self.assigner.run_forever(stop), name="worker: auto-assign"
            )
            stopped = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait(
                {polling, sending, beating, assigning, stopped},
                return_when=asyncio.FIRST_COMPLETED,
            )
            healthy = stopped in done
            if not healthy:
                for task in done:
                    log.error(
                        "%s ended on its own; the worker stops",
                        task.get_name(),
                        exc_info=task.exception() if not task.cancelled() else None,
                        extra={"event": "worker.part_died"},
                    )
            log.info(
                "stopping: no new work; sends in flight get %.0f s to settle",
                self.settle_seconds,
                extra={"event": "worker.stopping"},
            )
            stop.set()
            await self._settle(sending)
            await asyncio.gather(polling, beating, following, assigning, return_exceptions=True)
            stopped.cancel()
        try:
            await asyncio.to_thread(self._stop_row)
        except Exception:  # noqa: BLE001 - the stop is logged whatever the database says
            log.exception("cannot record the stop", extra={"event": "heartbeat.failed"})
        log.info("worker %s stopped", self.name, extra={"event": "worker.stopped"})
        return healthy

    async def _settle(self, sending: asyncio.Task[None]) -> None:
        """Wait for the sends in flight, up to `settle_seconds`; then give up on them."""
        try:
            await asyncio.wait_for(asyncio.shield(sending), self.settle_seconds)
        except TimeoutError:
            log.warning(
                "sends still in flight after %.0f s were abandoned; their claims run out and "
                "the next sender looks them up on the platform before any new try",
                self.settle_seconds,
                extra={"event": "send.abandoned"},
            )
            sending.cancel()
            await asyncio.gather(sending, return_exceptions=True)
        except Exception:  # noqa: BLE001 - the sender's crash is logged, the stop goes on
            log.exception("the sender failed while stopping", extra={"event": "worker.part_died"})

    async def _keep_beating(self, stop: asyncio.Event) -> None:
        """Renew the worker row every heartbeat until `stop`."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.heartbeat.total_seconds())
                return
            except TimeoutError:
                pass
            try:
                account_ids = await asyncio.to_thread(self._served_ids)
                renewed = await asyncio.to_thread(self._beat, account_ids)
                if not renewed:
                    log.warning(
                        "the worker row was gone; writing it again",
                        extra={"event": "heartbeat.failed"},
                    )
                    await asyncio.to_thread(self._start_row, account_ids)
                await asyncio.to_thread(self._note_serving, account_ids)
            except Exception:  # noqa: BLE001 - a bad heartbeat is retried at the next one
                log.exception(
                    "cannot write the heartbeat; trying again in %.0f s",
                    self.heartbeat.total_seconds(),
                    extra={"event": "heartbeat.failed"},
                )

    def _served_ids(self) -> set[int]:
        with self.engine.connect() as connection:
            return self.served.account_ids(connection, enabled_only=True)

    def _start_row(self, account_ids: set[int]) -> None:
        with write_transaction(self.engine) as connection:
            workers.start_worker(
                connection,
                self.name,
                kind="worker",
                version=self.version,
                account_ids=sorted(account_ids),
                now=self.clock(),
            )

    def _beat(self, account_ids: set[int]) -> bool:
        with write_transaction(self.engine) as connection:
            return workers.beat(
                connection, self.name, account_ids=sorted(account_ids), now=self.clock()
            )

    def _stop_row(self) -> None:
        with write_transaction(self.engine) as connection:
            workers.stop_worker(connection, self.name, now=self.clock())

    def _note_serving(self, account_ids: set[int]) -> None:
        """Log the enabled accounts this worker cannot serve, when that set changes."""
        if account_ids == self._serving:
            return
        self._serving = set(account_ids)
        for account in self.sync_engine.enabled_accounts():
            if account.id not in account_ids:
                log.info(
                    "not polling %s %s: %s",
                    account.platform,
                    account.handle,
                    NOT_HELD,
                    extra={"event": "account.not_held", "account_id": account.id},
                )

    def _report_send(self, result: SendResult) -> None:
        """One line per send tried: sent, failed, unknown (looked up later) or retrying."""
        event = {
            "sent": "send.sent",
            "failed": "send.failed",
            "unknown": "send.unknown",
        }.get(result.status, "send.rate_limited" if result.rate_limited else "send.retrying")
        level = logging.WARNING if event in ("send.failed", "send.unknown") else logging.INFO
        detail = f": {result.detail}" if result.detail else ""
        log.log(
            level,
            "outgoing message %s %s%s",
            result.outbound_id,
            result.status,
            detail,
            extra={"event": event, "outbound_id": result.outbound_id, "status": result.status},
        )


def _report_assignments(report: PassReport) -> None:
    """One line per thread auto-assignment gave or took back, with its reason."""
    for change in (*report.handed_back, *report.assigned):
        log.info(
            "thread %s %s (%s)",
            change.thread_id,
            f"to {change.handle}" if change.handle else "handed back",
            change.reason,
            extra={
                "event": "assign.assigned" if change.handle else "assign.handed_back",
                "thread_id": change.thread_id,
                "assignee": change.handle,
            },
        )
