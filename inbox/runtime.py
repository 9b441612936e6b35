"""Builds the background workers: the sync engine, the outbox sender and the adapters they use.

The only place that does, so every worker reads credentials from the keyring the same way,
writes back the ones an adapter refreshed (X rotates its refresh tokens), and serves only
the accounts whose secret that keyring holds (`inbox.store.serving`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from adapters.base import AccountRef, Adapter
from adapters.registry import adapter_class
from inbox.core.clock import Clock, utc_now
from inbox.outbox.sender import Sender, SendResult
from inbox.store.ingest import Store
from inbox.store.leases import LEASE_TTL
from inbox.store.serving import ServedAccounts
from inbox.sync.engine import AdapterFactory, AfterLanding, StreamProgress, SyncEngine

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from inbox.core.config import Config, SyncSettings
    from inbox.core.credentials import CredentialStore
    from inbox.crisis.status_publisher import StatusPagePublisher


def adapter_factory(
    credentials: CredentialStore | None, *, clock: Clock | None = None
) -> AdapterFactory:
    """An adapter factory that reads each account's credential from `credentials`.

    A credential an adapter refreshed is written back with `credentials.set`, so the next
    process does not start from a token that no longer works. With `credentials` None
    (the demo, tests) adapters get no credential; with `clock`, adapters run on it (the
    demo's simulated clock) rather than on their own.
    """
    on_clock: dict[str, Any] = {} if clock is None else {"clock": clock}

    def build(account: AccountRef, client: httpx.AsyncClient) -> Adapter:
        platform = adapter_class(account.platform)
        if not platform.needs_credential:
            return platform(account, client, None, **on_clock)

        def keep(secret: Mapping[str, str]) -> None:
            if credentials is not None:
                credentials.set(account.platform, account.handle, secret)

        credential = None
        if credentials is not None:
            credential = credentials.get(account.platform, account.handle)
        return platform(account, client, credential, on_credential_refreshed=keep, **on_clock)

    return build


def crisis_after_landing(engine: Engine, commands: Mapping[str, str] | None = None) -> AfterLanding:
    """What the sync engine does after new items land: tag the threads that match an
    active incident, then check the listening rules (which may raise alerts and run the
    alert `commands` of this machine's config that the rules name), and unsubscribe the
    subscribers whose unsubscribe mails arrived."""
    unsubscribes_read_up_to: int | None = None

    def after_landing(now: datetime, since: datetime | None) -> None:
        nonlocal unsubscribes_read_up_to
        from inbox.crisis.email_updates import unsubscribe_by_mail
        from inbox.crisis.incidents import tag_active_incidents
        from inbox.crisis.listening import evaluate_rules

        tag_active_incidents(engine, now, since=since)
        evaluate_rules(engine, now, commands=commands)
        unsubscribes_read_up_to = unsubscribe_by_mail(engine, now, unsubscribes_read_up_to)

    return after_landing


def build_sync_engine(
    engine: Engine,
    credentials: CredentialStore | None,
    *,
    clock: Clock = utc_now,
    config: Config | None = None,
    on_progress: Callable[[StreamProgress], None] | None = None,
    adapters: AdapterFactory | None = None,
    holder: str | None = None,
    served: ServedAccounts | None = None,
) -> SyncEngine:
    """The sync engine for the accounts in `engine`, listening for crises as items land.

    `config` gives the lease length (the default without it) and the alert commands the
    listening rules may run (none without it); due times follow the team's
    SLA policy in the database, read with each landed batch;
    `adapters` replaces `adapter_factory(credentials)` (the demo's run on a clock). It
    polls only the accounts `served` says this process holds the secret of (by default,
    those whose secret is in `credentials`; every account when `credentials` is None).
    """
    lease_ttl = timedelta(seconds=config.sync.lease_seconds) if config is not None else LEASE_TTL
    return SyncEngine(
        Store(engine, clock),
        adapters or adapter_factory(credentials),
        on_progress=on_progress,
        holder=holder,
        lease_ttl=lease_ttl,
        after_landing=crisis_after_landing(
            engine, config.listening.commands if config is not None else None
        ),
        served=served or ServedAccounts(credentials),
    )


def build_sender(
    engine: Engine,
    credentials: CredentialStore | None,
    *,
    clock: Clock = utc_now,
    claim_ttl: timedelta | None = None,
    on_result: Callable[[SendResult], None] | None = None,
    adapters: AdapterFactory | None = None,
    holder: str | None = None,
    served: ServedAccounts | None = None,
    config: Config | None = None,
    status_page: StatusPagePublisher | None = None,
) -> Sender:
    """The outbox sender for `engine`; `adapters` replaces `adapter_factory(credentials)`.

    It claims only the rows of accounts `served` says this process holds the secret of
    (by default, those whose secret is in `credentials`; every account when it is None).
    After it sends a statement's post, `status_page` (by default one of its own, for the
    folder and publish command of `config`'s `[status_page]`; none without `config`)
    regenerates and publishes the team's public status page.
    """
    from inbox.core.config import StatusPageOutput
    from inbox.crisis.status_publisher import StatusPagePublisher

    options: dict[str, Any] = {} if claim_ttl is None else {"claim_ttl": claim_ttl}
    output = config.status_page if config is not None else StatusPageOutput()
    publisher = status_page or StatusPagePublisher(engine, output)

    def report(result: SendResult) -> None:
        publisher.on_result(result)
        if on_result is not None:
            on_result(result)

    return Sender(
        engine,
        adapters or adapter_factory(credentials),
        clock=clock,
        holder=holder,
        on_result=report,
        served=served or ServedAccounts(credentials),
        **options,
    )


def http_client(settings: SyncSettings) -> httpx.AsyncClient:
    """The HTTP client the workers talk to the platforms with."""
    return httpx.AsyncClient(timeout=httpx.Timeout(settings.request_timeout_seconds))
