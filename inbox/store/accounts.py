"""The connected accounts: listing, adding, finding, changing and removing them.

An account removed without `purge` keeps its row and everything it brought in: it is
disabled, stamped `removed_at`, left out of listings, and adding the same platform and
handle again brings it back. Its secret lives in the keyring and is handled by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, literal_column, select, update

from adapters.base import AccountSetting, Adapter
from adapters.registry import UnknownPlatform, adapter_class, platform_names
from inbox import events
from inbox.core.errors import Conflict, InvalidInput, NotFound
from inbox.core.models import Account, AccountHealth, Event, Item, SyncCursor, Thread

if TYPE_CHECKING:
    from inbox.core.access import Actor

_account = Account.__table__
_thread = Thread.__table__
_item = Item.__table__
_event = Event.__table__
_cursor = SyncCursor.__table__

DEFAULT_POLL_SECONDS = 60.0
"""The poll interval of a platform this version has no adapter for."""


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """A connected account as listed to people: who it is, how its syncing goes."""

    id: int
    platform: str
    handle: str
    display_name: str | None
    base_url: str | None
    enabled: bool
    health: str
    health_detail: str | None
    open_threads: int
    settings: Mapping[str, Any] = field(default_factory=dict)
    removed_at: datetime | None = None
    """When an admin removed it (history kept); None while it is connected."""
    last_success_at: datetime | None = None
    """The latest poll of any of its streams that landed."""
    last_error: str | None = None
    """The latest failure of any of its streams, as recorded (never a secret)."""
    last_error_at: datetime | None = None
    next_poll_at: datetime | None = None
    """When the earliest of its streams is polled next: a backoff's end, or the last
    success plus the platform's poll interval. None when no stream has been polled yet,
    or when it is not polled at all (see `polled`)."""

    @property
    def polled(self) -> bool:
        """Whether the sync polls it: enabled, not removed, and not waiting for a login."""
        return (
            self.enabled and self.removed_at is None and self.health != AccountHealth.AUTH_EXPIRED
        )

    @property
    def can_post_statement(self) -> bool:
        """Whether the account can publish a post of its own (an incident statement)."""
        try:
            return adapter_class(self.platform).can_post_statement
        except UnknownPlatform:
            return False

    @property
    def needs_login(self) -> bool:
        """Whether the platform refused its credential and someone must log in again."""
        return self.health == AccountHealth.AUTH_EXPIRED


@dataclass(frozen=True, slots=True)
class AccountChange:
    """An account as it is after a change, and whether anything changed."""

    account: AccountSummary
    changed: bool


@dataclass(frozen=True, slots=True)
class ObtainedCredential:
    """What a login flow got from a person: the secret (never shown), and what the
    platform said of it when checked."""

    secret: Mapping[str, str] | None = field(repr=False)
    """None for a platform without secrets (the demo)."""
    identity: str | None
    """Who the platform says the account is; None when not checked."""
    checked: bool


@dataclass(frozen=True, slots=True)
class AccountLogin:
    """An account logged in again: healthy now, and what the platform said of it."""

    account: AccountSummary
    identity: str | None
    checked: bool


@dataclass(frozen=True, slots=True)
class _SyncState:
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    next_poll_at: datetime | None = None


def _poll_seconds(platform: str) -> float:
    try:
        return adapter_class(platform).poll_interval_seconds
    except UnknownPlatform:
        return DEFAULT_POLL_SECONDS


def _sync_states(connection: Connection, platforms: Mapping[int, str]) -> dict[int, _SyncState]:
    """Each account's latest success, latest error and next poll, from its streams' cursors."""
    rows: dict[int, list[Any]] = {}
    for row in connection.execute(
        select(
            _cursor.c.account_id,
            _cursor.c.last_success_at,
            _cursor.c.last_error,
            _cursor.c.last_error_at,
            _cursor.c.backoff_until,
        )
    ):
        if row.account_id in platforms:
            rows.setdefault(row.account_id, []).append(row)
    states = {}
    for account_id, streams in rows.items():
        interval = timedelta(seconds=_poll_seconds(platforms[account_id]))
        successes = [row.last_success_at for row in streams if row.last_success_at]
        errors = [row for row in streams if row.last_error and row.last_error_at]
        latest_error = max(errors, key=lambda row: row.last_error_at, default=None)
        next_polls = [
            row.backoff_until or row.last_success_at + interval
            for row in streams
            if row.backoff_until or row.last_success_at
        ]
        states[account_id] = _SyncState(
            last_success_at=max(successes, default=None),
            last_error=latest_error.last_error if latest_error else None,
            last_error_at=latest_error.last_error_at if latest_error else None,
            next_poll_at=min(next_polls, default=None),
        )
    return states


def list_accounts(connection: Connection, *, include_removed: bool = False) -> list[AccountSummary]:
    """Every connected account (the removed ones too, when asked), with its health,
    open thread count and how its syncing goes."""
    open_threads = (
        select(_thread.c.account_id, func.count().label("open_threads"))
        .where(
            _thread.c.status != literal_column("'closed'")
        )  # a literal, so the partial index serves it
        .group_by(_thread.c.account_id)
        .subquery()
    )
    query = (
        select(_account, func.coalesce(open_threads.c.open_threads, 0).label("open_threads"))
        .outerjoin(open_threads, open_threads.c.account_id == _account.c.id)
        .order_by(_account.c.id)
    )
    if not include_removed:
        query = query.where(_account.c.removed_at.is_(None))
    rows = connection.execute(query).all()
    states = _sync_states(connection, {row.id: row.platform for row in rows})
    summaries = []
    for row in rows:
        state = states.get(row.id, _SyncState())
        summary = AccountSummary(
            id=row.id,
            platform=row.platform,
            handle=row.handle,
            display_name=row.display_name,
            base_url=row.base_url,
            enabled=row.enabled,
            health=row.health,
            health_detail=row.health_detail,
            open_threads=row.open_threads,
            settings=dict(row.settings or {}),
            removed_at=row.removed_at,
            last_success_at=state.last_success_at,
            last_error=state.last_error,
            last_error_at=state.last_error_at,
            next_poll_at=state.next_poll_at,
        )
        summaries.append(summary if summary.polled else replace(summary, next_poll_at=None))
    return summaries


def find_account(connection: Connection, reference: str) -> AccountSummary:
    """An account by id, handle or PLATFORM:HANDLE (a connected one before a removed one).

    A handle connected on several platforms is refused with the choices: acting on
    whichever came first would remove or disable an account nobody meant.
    """
    reference = reference.strip()
    everyone = list_accounts(connection, include_removed=True)
    by_id = [account for account in everyone if str(account.id) == reference]
    platform, _, handle = reference.partition(":")
    named = [
        account
        for account in everyone
        if account.handle == reference or (account.platform, account.handle) == (platform, handle)
    ]
    connected = [account for account in named if account.removed_at is None]
    found = by_id or connected or named
    if len(found) > 1 and not by_id:
        choices = ", ".join(
            f"{account.platform}:{account.handle} (id {account.id})" for account in found
        )
        raise InvalidInput(f"{reference!r} is more than one account: {choices}; name one of those")
    if found:
        return found[0]
    raise NotFound(f"no account {reference!r} (`inbox accounts list` shows them)")


def account_named(connection: Connection, platform: str, handle: str) -> AccountSummary | None:
    """The account of `platform` and `handle`, removed or not, if there is one."""
    for account in list_accounts(connection, include_removed=True):
        if (account.platform, account.handle) == (platform, handle.strip()):
            return account
    return None


def add_account(
    connection: Connection,
    platform: str,
    handle: str,
    *,
    display_name: str | None,
    base_url: str | None,
    settings: dict[str, Any] | None,
    actor: Actor,
    now: datetime,
) -> int:
    """Connect an account, or bring a removed one back with its history; returns its id.

    Its secret goes to the keyring separately. A connected account of the same platform
    and handle is a Conflict that says how to log it in again.
    """
    if platform not in platform_names():
        raise InvalidInput(f"unknown platform {platform!r}; known: {', '.join(platform_names())}")
    handle = handle.strip()
    if not handle:
        raise InvalidInput("an account needs a handle")
    existing = connection.execute(
        select(_account.c.id, _account.c.removed_at, _account.c.settings).where(
            _account.c.platform == platform, _account.c.handle == handle
        )
    ).first()
    if existing is not None and existing.removed_at is None:
        raise Conflict(
            f"{platform} {handle} is already connected (account {existing.id}); "
            f"`inbox accounts login {existing.id}` logs it in again"
        )
    if existing is not None:
        restored = {"removed_at": None, "enabled": True, "health": str(AccountHealth.OK)}
        values: dict[str, Any] = {**restored, "health_detail": None}
        if display_name:
            values["display_name"] = display_name
        if base_url:
            values["base_url"] = base_url
        if settings:
            values["settings"] = {**(existing.settings or {}), **settings}
        connection.execute(update(_account).where(_account.c.id == existing.id).values(**values))
        clear_backoff(connection, existing.id)
        events.record(
            connection,
            events.AccountRestored(account_id=existing.id, platform=platform, handle=handle),
            at=now,
            actor=actor.handle,
        )
        return existing.id
    account_id = connection.execute(
        _account.insert().values(
            platform=platform,
            handle=handle,
            display_name=display_name or adapter_class(platform).display_name,
            base_url=base_url,
            settings=settings or {},
            enabled=True,
            health="ok",
            created_at=now,
        )
    ).inserted_primary_key[0]
    events.record(
        connection,
        events.AccountAdded(account_id=account_id, platform=platform, handle=handle),
        at=now,
        actor=actor.handle,
    )
    return account_id


def clear_backoff(connection: Connection, account_id: int) -> None:
    """Let every stream of an account be polled at once: no backoff, no failures counted.

    The last error stays, as the record of what happened.
    """
    connection.execute(
        update(_cursor)
        .where(_cursor.c.account_id == account_id)
        .values(backoff_until=None, failures=0)
    )


def require_connected(account: AccountSummary, doing: str) -> None:
    """Refuse to change a removed account, saying how to bring it back."""
    if account.removed_at is not None:
        raise InvalidInput(
            f"{account.platform} {account.handle} (account {account.id}) was removed; "
            f"`inbox accounts add {account.platform} {account.handle}` brings it back "
            f"before you {doing}"
        )


def mark_logged_in(
    connection: Connection, account: AccountSummary, *, checked: bool, actor: Actor, now: datetime
) -> None:
    """After a new login: the account is healthy at once and every stream may be polled."""
    require_connected(account, "log it in")
    connection.execute(
        update(_account)
        .where(_account.c.id == account.id)
        .values(health=str(AccountHealth.OK), health_detail=None)
    )
    clear_backoff(connection, account.id)
    if account.health != AccountHealth.OK:
        events.record(
            connection,
            events.AccountHealthChanged(account_id=account.id, health=str(AccountHealth.OK)),
            at=now,
            actor=actor.handle,
        )
    events.record(
        connection,
        events.AccountLoggedIn(account_id=account.id, checked=checked),
        at=now,
        actor=actor.handle,
    )


def set_enabled(
    connection: Connection, account: AccountSummary, enabled: bool, *, actor: Actor, now: datetime
) -> bool:
    """Start or stop polling and sending for an account; False when it already was so."""
    require_connected(account, "enable or disable it")
    changed = connection.execute(
        update(_account)
        .where(_account.c.id == account.id, _account.c.enabled.is_(not enabled))
        .values(enabled=enabled)
    ).rowcount
    if not changed:
        return False
    if enabled:
        clear_backoff(connection, account.id)
    event = events.AccountEnabled if enabled else events.AccountDisabled
    events.record(connection, event(account_id=account.id), at=now, actor=actor.handle)
    return True


def platform_class(platform: str) -> type[Adapter]:
    """The adapter of `platform`; an unknown name is InvalidInput naming the known ones."""
    try:
        return adapter_class(platform)
    except UnknownPlatform as error:
        raise InvalidInput(str(error)) from None


def settings_fields(platform: str) -> tuple[AccountSetting, ...]:
    """The settings people may set on an account of `platform`."""
    return platform_class(platform).settings_fields


def parse_settings(platform: str, assignments: Sequence[str]) -> dict[str, Any]:
    """`name=value` words as the settings they set (an empty value: back to the default).

    Checked against what the platform declares: an unknown name or a value it does not
    take is InvalidInput naming what there is.
    """
    declared = {setting.name: setting for setting in settings_fields(platform)}
    changes: dict[str, Any] = {}
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        name = name.strip()
        if not equals:
            raise InvalidInput(f"write a setting as NAME=VALUE, not {assignment!r}")
        if name not in declared:
            there = (
                f"its settings are {', '.join(declared)}"
                if declared
                else "it has no settings to change"
            )
            raise InvalidInput(f"{platform} has no setting {name!r}; {there}")
        try:
            changes[name] = declared[name].parse(text) if text.strip() else None
        except ValueError as error:
            raise InvalidInput(f"{platform}: {error}") from None
    return changes


def change_settings(
    connection: Connection,
    account: AccountSummary,
    changes: Mapping[str, Any],
    *,
    actor: Actor,
    now: datetime,
) -> dict[str, Any]:
    """Apply checked setting changes (None: remove, back to the default); returns the
    settings as they are now. Only real changes are recorded."""
    require_connected(account, "change its settings")
    row = connection.execute(select(_account.c.settings).where(_account.c.id == account.id)).one()
    settings = dict(row.settings or {})
    changed = {name: value for name, value in changes.items() if settings.get(name) != value}
    if not changed:
        return settings
    for name, value in changed.items():
        if value is None:
            settings.pop(name, None)
        else:
            settings[name] = value
    connection.execute(
        update(_account).where(_account.c.id == account.id).values(settings=settings)
    )
    events.record(
        connection,
        events.AccountSettingsChanged(account_id=account.id, changes=changed),
        at=now,
        actor=actor.handle,
    )
    return settings


def remove_account(
    connection: Connection, account_id: int, *, purge: bool, actor: Actor, now: datetime
) -> None:
    """Stop syncing an account and leave it out of listings, its history kept; with
    `purge`, delete it and everything it brought in."""
    if purge:
        for table in ("sync_cursor", "sync_lease", "outbound", "scheduled_post"):
            connection.execute(
                delete(Account.metadata.tables[table]).where(
                    Account.metadata.tables[table].c.account_id == account_id
                )
            )
        threads = select(_thread.c.id).where(_thread.c.account_id == account_id)
        for table in ("thread_tag", "note", "presence", "notification"):
            tab = Account.metadata.tables[table]
            connection.execute(delete(tab).where(tab.c.thread_id.in_(threads)))
        connection.execute(delete(_item).where(_item.c.account_id == account_id))
        connection.execute(
            update(_event).where(_event.c.thread_id.in_(threads)).values(thread_id=None)
        )
        connection.execute(delete(_thread).where(_thread.c.account_id == account_id))
        connection.execute(delete(_account).where(_account.c.id == account_id))
    else:
        removed = connection.execute(
            update(_account)
            .where(_account.c.id == account_id, _account.c.removed_at.is_(None))
            .values(enabled=False, removed_at=now)
        ).rowcount
        if not removed:
            raise Conflict(
                f"account {account_id} is already removed; `--purge` deletes its history too"
            )
    events.record(
        connection,
        events.AccountRemoved(account_id=account_id, purged=purge),
        at=now,
        actor=actor.handle,
    )


def save_text_limit(connection: Connection, account_id: int, text_limit: int) -> bool:
    """Keep the text limit the platform gave for an account in its settings; True if it changed.

    The pre-send checks read it there (`Target.text_limit`), as an instance may allow more
    or less than its platform's usual limit.
    """
    row = connection.execute(select(_account.c.settings).where(_account.c.id == account_id)).first()
    settings = dict(row.settings or {}) if row is not None else None
    if settings is None or settings.get("text_limit") == text_limit:
        return False
    connection.execute(
        update(_account)
        .where(_account.c.id == account_id)
        .values(settings={**settings, "text_limit": text_limit})
    )
    return True
