"""Routes each entry of a verified delivery to its account, and lands what it carries.

A delivery names its platform by `object` ("page", "instagram": the adapters whose
`webhook_object` it is) and each entry its account by `entry.id` (the adapter's
`webhook_key` of the account: the Page or Instagram account id in its settings). The
account's adapter, built with its credential from this machine's keyring as the worker
builds it, reads the entry (`webhook_items`); the items land through the sync engine's
idempotent ingest (`Lander`), so a delivery Meta sends twice, or one the poller also read,
is stored once.

An entry nobody here can take is logged and skipped, and the delivery is still
acknowledged: an account not connected, disabled, or whose secret this keyring lacks (the
poller's machine reads it), an entry the adapter cannot read. Polling backfills them.
Only a failure that passes (the platform unreachable or rate limiting while an adapter asks
it for what an entry only names, the database refusing the batch) makes the delivery fail,
so that Meta sends it again; a refused credential does not (the poller marks the account,
and Meta would otherwise retry for 36 hours).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select

from adapters._payload import shown
from adapters.base import (
    AccountRef,
    Adapter,
    AdapterError,
    FetchedItem,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)
from adapters.registry import adapter_class, platform_names
from inbox.core.models import Account
from inbox.runtime import adapter_factory
from inbox.store.serving import NOT_HELD, ServedAccounts
from inbox.sync.engine import account_ref
from inbox.webhooks.landing import Lander

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from inbox.core.credentials import CredentialStore

log = logging.getLogger(__name__)

RECHECK_SECONDS = 10.0
"""How long the accounts read from the database, and the adapters built for them (with the
credentials the keyring held then), are used before they are read again."""

MISS_RECHECK_SECONDS = 1.0
"""How soon an entry for an account not known here makes the accounts be read again (one
connected a moment ago)."""

_account = Account.__table__


class DeliveryUnready(Exception):
    """An entry could not be read now, for a reason that may pass: deliver it again later."""


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one delivery held: its entries, and how many of them were skipped."""

    entries: int
    skipped_entries: int


def webhook_platforms() -> dict[str, tuple[type[Adapter], ...]]:
    """The adapter classes that receive webhooks, by the `object` their deliveries name."""
    platforms: dict[str, tuple[type[Adapter], ...]] = {}
    for name in platform_names():
        platform = adapter_class(name)
        if platform.webhook_object is not None:
            platforms[platform.webhook_object] = (
                *platforms.get(platform.webhook_object, ()),
                platform,
            )
    return platforms


class AccountDirectory:
    """Which connected, enabled accounts a webhook `(object, entry id)` names.

    Read from the database at most every `RECHECK_SECONDS`, and sooner when an entry names
    an account not known yet, so an account connected or disabled meanwhile is seen.
    """

    def __init__(
        self,
        engine: Engine,
        platforms: Mapping[str, Sequence[type[Adapter]]],
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self.platforms = platforms
        self._monotonic = monotonic
        self._keyed: dict[tuple[str, str], list[AccountRef]] = {}
        self._read_at: float | None = None
        self._reading = asyncio.Lock()

    async def accounts(self, webhook_object: str, key: str) -> list[AccountRef]:
        """The accounts a delivery of `webhook_object` names by `key` (usually one; none when
        it names no account connected here)."""
        if self._due(webhook_object, key):
            async with self._reading:
                if self._due(webhook_object, key):  # not read meanwhile by another request
                    self._keyed = await asyncio.to_thread(self._read)
                    self._read_at = self._monotonic()
        return self._keyed.get((webhook_object, key), [])

    def _due(self, webhook_object: str, key: str) -> bool:
        """Whether the accounts must be read again before answering for `key`."""
        if self._read_at is None:
            return True
        age = self._monotonic() - self._read_at
        known = (webhook_object, key) in self._keyed
        return age >= RECHECK_SECONDS or (not known and age >= MISS_RECHECK_SECONDS)

    def _read(self) -> dict[tuple[str, str], list[AccountRef]]:
        by_platform = {
            platform.platform: (webhook_object, platform)
            for webhook_object, platforms in self.platforms.items()
            for platform in platforms
        }
        if not by_platform:
            return {}
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(_account).where(
                    _account.c.platform.in_(by_platform),
                    _account.c.enabled.is_(True),
                    _account.c.removed_at.is_(None),
                )
            ).all()
        keyed: dict[tuple[str, str], list[AccountRef]] = {}
        for row in rows:
            account = account_ref(Account.model_validate(row._mapping))
            webhook_object, platform = by_platform[account.platform]
            key = platform.webhook_key(account)
            if key:
                keyed.setdefault((webhook_object, str(key)), []).append(account)
        return keyed


class Deliveries:
    """Turns verified deliveries into landed items, for the webhook server."""

    def __init__(
        self,
        engine: Engine,
        credentials: CredentialStore | None,
        lander: Lander,
        client: httpx.AsyncClient,
        *,
        platforms: Mapping[str, Sequence[type[Adapter]]] | None = None,
    ) -> None:
        self.lander = lander
        self.client = client
        self.served = ServedAccounts(credentials)
        self.directory = AccountDirectory(
            engine, webhook_platforms() if platforms is None else platforms
        )
        self._build = adapter_factory(credentials)
        self._adapters: dict[int, tuple[Adapter, float]] = {}
        self._not_held_told: set[int] = set()

    async def deliver(self, webhook_object: str, entries: Sequence[Any]) -> DeliveryReport:
        """Land every entry of a delivery that an account here takes; the rest are logged.

        Raises `DeliveryUnready` or `LandingFailed` when the delivery should come again.
        """
        by_account: dict[int, tuple[AccountRef, list[FetchedItem]]] = {}
        skipped = 0
        for index, entry in enumerate(entries):
            taken = await self._read_entry(webhook_object, index, entry)
            if taken is None:
                skipped += 1
                continue
            for account, items in taken:
                by_account.setdefault(account.id, (account, []))[1].extend(items)
        await asyncio.gather(
            *(self.lander.land(account, items) for account, items in by_account.values())
        )
        return DeliveryReport(entries=len(entries), skipped_entries=skipped)

    async def _read_entry(
        self, webhook_object: str, index: int, entry: Any
    ) -> list[tuple[AccountRef, tuple[FetchedItem, ...]]] | None:
        """The items `entry` carries for each account it names; None when it is skipped."""
        key = _entry_key(entry)
        if key is None:
            log.warning(
                "skipped entry %d of a %s delivery: it names no account (no `id`)",
                index,
                shown(webhook_object),
                extra={"event": "webhook.entry_invalid"},
            )
            return None
        accounts = await self.directory.accounts(webhook_object, key)
        if not accounts:
            log.info(
                "skipped a %s delivery for %s: no enabled account here has that id",
                shown(webhook_object),
                shown(key),
                extra={"event": "webhook.unknown_account"},
            )
            return None
        taken = []
        for account in accounts:
            items = await self._items(account, entry)
            if items is not None:
                taken.append((account, items))
        return taken or None

    async def _items(
        self, account: AccountRef, entry: Mapping[str, Any]
    ) -> tuple[FetchedItem, ...] | None:
        """What the account's adapter reads in `entry`; None when it is skipped."""
        adapter = await self._adapter(account)
        if adapter is None:
            return None
        try:
            return tuple(await adapter.webhook_items(entry))
        except PayloadInvalid as error:
            problem = f"the entry is not what {adapter.display_name} documents ({error})"
        except (PlatformUnavailable, RateLimited, httpx.HTTPError, OSError) as error:
            raise DeliveryUnready(f"{adapter.display_name}: {type(error).__name__}") from None
        except AdapterError as error:
            problem = f"{adapter.display_name} refused to tell more ({type(error).__name__})"
        except Exception as error:  # noqa: BLE001 - a hostile entry must not stop the rest
            problem = f"the entry could not be read ({type(error).__name__})"
        log.warning(
            "skipped a webhook entry for %s %s (account %s): %s",
            account.platform,
            account.handle,
            account.id,
            problem,
            extra={"event": "webhook.entry_invalid", "account_id": account.id},
        )
        return None

    async def _adapter(self, account: AccountRef) -> Adapter | None:
        """The account's adapter, with its credential; None when this keyring lacks it.

        Built again after `RECHECK_SECONDS`, so a credential stored meanwhile (a login
        again) is the one it uses."""
        served = await asyncio.to_thread(self.served.serves, account.platform, account.handle)
        if not served:
            if account.id not in self._not_held_told:
                self._not_held_told.add(account.id)
                log.warning(
                    "skipped webhooks for %s %s: %s",
                    account.platform,
                    account.handle,
                    NOT_HELD,
                    extra={"event": "account.not_held", "account_id": account.id},
                )
            return None
        self._not_held_told.discard(account.id)
        built = self._adapters.get(account.id)
        now = time.monotonic()
        if built is None or built[0].account != account or now - built[1] >= RECHECK_SECONDS:
            adapter = await asyncio.to_thread(self._build, account, self.client)
            built = self._adapters[account.id] = (adapter, now)
        return built[0]


def _entry_key(entry: Any) -> str | None:
    """The account id an entry names (Meta sends it as text, older samples as a number)."""
    if not isinstance(entry, Mapping):
        return None
    key = entry.get("id")
    if isinstance(key, bool) or not isinstance(key, str | int) or key == "":
        return None
    return str(key)
