"""The sync side of the store: ingest, cursors, leases and the sentiment pass.

Ingest takes one page from an adapter and lands it in one transaction: contacts, items,
threads and their timestamps, the stream's cursor, and the events that tell every open
UI. It uses SQLAlchemy Core statements over whole batches, never one ORM object per row,
and it is idempotent: items are unique per (account, external id), so a page fetched
twice (after a crash between fetch and commit) changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from adapters._payload import shown
from adapters.base import (
    AccountRef,
    Attachment,
    AttachmentKind,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
)
from adapters.registry import UnknownPlatform, adapter_class
from inbox import events
from inbox.core import sanitize, sentiment
from inbox.core.clock import Clock, utc_now
from inbox.core.database import insert_ignoring_conflicts, write_transaction
from inbox.core.models import (
    Account,
    AccountHealth,
    Contact,
    Item,
    SyncCursor,
    SyncLease,
    Thread,
    ThreadStatus,
)
from inbox.sla import SlaPolicy, refresh_due_at
from inbox.store.leases import Lease
from inbox.store.team_settings import TeamSlaPolicy

log = logging.getLogger(__name__)

_account = Account.__table__
_contact = Contact.__table__
_thread = Thread.__table__
_item = Item.__table__
_cursor = SyncCursor.__table__
_lease = SyncLease.__table__

_MAX_EXTERNAL_ID = 255
_MAX_THREAD_KEY = 512
_MAX_URL = 2048
_MAX_NAME = 255
_MAX_ATTACHMENTS = 20
_MAX_ATTACHMENT_TEXT = 2_000
_ATTACHMENT_KINDS = frozenset(AttachmentKind)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)
_REOPENABLE = frozenset({ThreadStatus.CLOSED, ThreadStatus.SNOOZED, ThreadStatus.PENDING})
_ID_CHUNK = 500
_KINDS = frozenset(Kind)
_DIRECTIONS = frozenset(Direction)

OUTBOX_STREAM = "outbox"
"""The stream the outbox lands the replies it sent through, once their platform confirmed
them: their arrival is told as a reply posted, by the outbox, rather than as new messages."""


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What one batch changed, for progress displays and tests."""

    new_items: int = 0
    duplicate_items: int = 0
    malformed_items: int = 0
    new_threads: int = 0
    reopened_threads: int = 0
    thread_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class CursorState:
    """Where a stream's reading stands, and whether it must wait."""

    cursor: str | None
    backoff_until: datetime | None
    failures: int


@dataclass(slots=True)
class _ThreadChange:
    kind: str
    contact_id: int | None = None
    first_inbound_at: datetime | None = None
    last_inbound_at: datetime | None = None
    preview: str | None = None
    outbound_times: list[datetime] = field(default_factory=list)
    last_activity_at: datetime | None = None
    first_activity_at: datetime | None = None
    count: int = 0

    @property
    def last_outbound_at(self) -> datetime | None:
        return self.outbound_times[-1] if self.outbound_times else None

    def first_response_after(self, inbound_at: datetime) -> datetime | None:
        """The first outbound time in this batch at or after `inbound_at`."""
        return next((at for at in self.outbound_times if at >= inbound_at), None)


def _cursor_upsert(dialect_name: str):
    """The statement that saves a stream's cursor, built once per dialect."""
    statement = _CURSOR_UPSERTS.get(dialect_name)
    if statement is None:
        insert_for = sqlite.insert if dialect_name == "sqlite" else postgresql.insert
        statement = insert_for(_cursor)
        changes = {
            name: statement.excluded[name]
            for name in ("cursor", "last_success_at", "last_error", "failures", "backoff_until")
        }
        statement = _CURSOR_UPSERTS[dialect_name] = statement.on_conflict_do_update(
            index_elements=["account_id", "stream"], set_=changes
        )
    return statement


_CURSOR_UPSERTS: dict[str, Any] = {}


def _chunks(values: Sequence[Any], size: int = _ID_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _cleaned(item: Any) -> Any:
    """The item with every field as the store writes it, the same on both databases.

    Strings lose what a database refuses (`sanitize.storable`); text and names are capped,
    a parent id or link too long to be real is dropped. `raw` is cleaned only for items
    not stored yet (`_storable_raw`): a re-sync is mostly items already stored. What is not
    a string is left for `_problem` to name.
    """
    if not isinstance(item, FetchedItem):
        return item
    author = item.author
    display_name = _capped(getattr(author, "display_name", None), _MAX_NAME)
    return replace(
        item,
        external_id=_storable(item.external_id),
        thread_key=_storable(item.thread_key),
        text=sanitize.for_storage(item.text) if isinstance(item.text, str) else item.text,
        parent_external_id=_fitting(_storable(item.parent_external_id), _MAX_EXTERNAL_ID),
        url=_fitting(_storable(item.url), _MAX_URL),
        author=FetchedContact(
            external_id=_storable(getattr(author, "external_id", None)),
            handle=_capped(getattr(author, "handle", None), _MAX_NAME),
            display_name=display_name or None,
        ),
        attachments=_cleaned_attachments(item.attachments),
    )


def _cleaned_attachments(attachments: Any) -> tuple[Attachment, ...]:
    """At most `_MAX_ATTACHMENTS`, each field cleaned and capped; anything else dropped."""
    if not isinstance(attachments, tuple | list):
        return ()
    cleaned = []
    for attachment in attachments[:_MAX_ATTACHMENTS]:
        if not isinstance(attachment, Attachment) or attachment.kind not in _ATTACHMENT_KINDS:
            continue
        options = attachment.options if isinstance(attachment.options, tuple | list) else ()
        size = attachment.size
        cleaned.append(
            Attachment(
                kind=attachment.kind,
                url=_fitting(_storable(_text_or_none(attachment.url)), _MAX_URL),
                description=_capped(_text_or_none(attachment.description), _MAX_ATTACHMENT_TEXT),
                title=_capped(_text_or_none(attachment.title), _MAX_NAME),
                author=_capped(_text_or_none(attachment.author), _MAX_NAME),
                options=tuple(
                    _capped(option, _MAX_NAME)
                    for option in options[:_MAX_ATTACHMENTS]
                    if isinstance(option, str)
                ),
                size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            )
        )
    return tuple(cleaned)


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def attachment_rows(attachments: tuple[Attachment, ...]) -> list[dict[str, Any]] | None:
    """Attachments as the item's JSON column holds them (None when there are none)."""
    if not attachments:
        return None
    return [
        {
            name: value
            for name, value in (
                ("kind", str(attachment.kind)),
                ("url", attachment.url),
                ("description", attachment.description),
                ("title", attachment.title),
                ("author", attachment.author),
                ("options", list(attachment.options) or None),
                ("size", attachment.size),
            )
            if value is not None
        }
        for attachment in attachments
    ]


def _storable_raw(item: FetchedItem) -> FetchedItem:
    """The item with `raw` as JSON both databases take, capped like text."""
    if not isinstance(item.raw, Mapping):
        return item
    return replace(item, raw=sanitize.raw_for_storage(item.raw))


def _problem(item: Any) -> str | None:
    """Why an adapter's item, once `_cleaned`, cannot be stored, or None when it can."""
    if not isinstance(item, FetchedItem):
        return f"not a FetchedItem but {type(item).__name__}"
    if not isinstance(item.external_id, str) or not item.external_id:
        return "no external id"
    if len(item.external_id) > _MAX_EXTERNAL_ID:
        return "external id longer than 255 characters"
    if not isinstance(item.thread_key, str) or not item.thread_key:
        return "no thread key"
    if len(item.thread_key) > _MAX_THREAD_KEY:
        return "thread key longer than 512 characters"
    if item.kind not in _KINDS or item.direction not in _DIRECTIONS:
        return f"unknown kind {item.kind!r} or direction {item.direction!r}"
    if not isinstance(item.text, str):
        return "text is not a string"
    if not isinstance(item.created_at, datetime) or item.created_at.utcoffset() is None:
        return "created_at is not an aware datetime"
    if not _EARLIEST <= item.created_at <= _LATEST:
        return "created_at is not between 1900 and 9000"
    for name in ("parent_external_id", "url"):
        if not isinstance(getattr(item, name), str | None):
            return f"{name} is not a string"
    if item.raw is not None and not isinstance(item.raw, Mapping):
        return "raw is not a mapping"
    author = item.author
    if not isinstance(author.external_id, str) or not author.external_id:
        return "author has no external id"
    if len(author.external_id) > _MAX_EXTERNAL_ID:
        return "author's external id longer than 255 characters"
    if not isinstance(author.handle, str):
        return "author has no handle"
    if not isinstance(author.display_name, str | None):
        return "author's display name is not a string"
    return None


def _storable(value: Any) -> Any:
    return sanitize.storable(value) if isinstance(value, str) else value


def _capped(value: Any, longest: int) -> Any:
    return sanitize.for_storage(value)[:longest] if isinstance(value, str) else value


def _folded(row: dict[str, Any] | None, change: _ThreadChange) -> dict[str, Any]:
    """A thread's new column values once `change` (this batch's items) is folded into `row`.

    `row` is None for a thread this batch creates. A new inbound message reopens a
    closed, snoozed or pending thread.
    """
    status = ThreadStatus.NEW if row is None else row["status"]
    closed_at = None if row is None else row["closed_at"]
    if change.last_inbound_at is not None and status in _REOPENABLE:
        status, closed_at = ThreadStatus.OPEN, None
    elif status == ThreadStatus.NEW and change.last_outbound_at is not None:
        status = ThreadStatus.OPEN
    previous = row or {}
    first_inbound_at = _earliest(previous.get("first_inbound_at"), change.first_inbound_at)
    first_response_at = previous.get("first_response_at")
    if first_response_at is None and first_inbound_at is not None:
        first_response_at = change.first_response_after(first_inbound_at)
    newer_preview = change.preview is not None and (
        previous.get("last_inbound_at") is None
        or change.last_inbound_at >= previous["last_inbound_at"]
    )
    preview = change.preview if newer_preview else None
    return {
        "status": status,
        "closed_at": closed_at,
        "contact_id": previous.get("contact_id") or change.contact_id,
        "first_inbound_at": first_inbound_at,
        "last_inbound_at": _latest(previous.get("last_inbound_at"), change.last_inbound_at),
        "first_response_at": first_response_at,
        "last_outbound_at": _latest(previous.get("last_outbound_at"), change.last_outbound_at),
        "last_activity_at": _latest(previous.get("last_activity_at"), change.last_activity_at),
        "preview": preview if row is not None else (preview or ""),
        "unread": change.last_inbound_at is not None,
    }


_THREAD_UPDATE = (
    update(_thread)
    .where(_thread.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        closed_at=bindparam("b_closed_at"),
        contact_id=bindparam("b_contact_id"),
        first_inbound_at=bindparam("b_first_inbound_at"),
        last_inbound_at=bindparam("b_last_inbound_at"),
        first_response_at=bindparam("b_first_response_at"),
        last_outbound_at=bindparam("b_last_outbound_at"),
        last_activity_at=bindparam("b_last_activity_at"),
        preview=func.coalesce(bindparam("b_preview"), _thread.c.preview),
        unread=or_(_thread.c.unread, bindparam("b_unread")),
        item_count=_thread.c.item_count + bindparam("b_count"),
        version=_thread.c.version + 1,
    )
)
"""Folds a batch into a known thread; one statement for the whole batch (executemany)."""


class Store:
    """The database as the sync engine sees it."""

    def __init__(
        self, engine: Engine, clock: Clock = utc_now, sla_policy: SlaPolicy | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._fixed_sla_policy = sla_policy
        """A policy given here (tests, benchmarks) in place of the team's, in the database."""
        self._team_sla = TeamSlaPolicy()
        """The team's response-time targets: every landed batch sets its threads' `due_at` by
        them, read in the batch's transaction, so a lead's change applies from the next batch."""

    # -- ingest ---------------------------------------------------------------------------

    def ingest(
        self,
        account: AccountRef,
        stream: str,
        items: Iterable[Any],
        next_cursor: str | None,
        *,
        automated: bool = False,
    ) -> IngestReport:
        """Land one page of items and the cursor after it, in one transaction.

        `automated` items are the inbox's own acknowledgements: they answer nobody, so they
        set no first response and stop no SLA clock.
        """
        valid: dict[str, FetchedItem] = {}
        malformed = 0
        for item in items:
            try:
                cleaned = _cleaned(item)
                problem = _problem(cleaned)
            except Exception as error:  # noqa: BLE001 - one odd item must not cost its batch
                problem = f"cannot be read ({type(error).__name__})"
            if problem is not None:
                malformed += 1
                log.warning(
                    "skipped a malformed item from account %s (%s %s), external id %s: %s",
                    account.id,
                    account.platform,
                    account.handle,
                    shown(getattr(item, "external_id", None)),
                    problem,
                )
                continue
            valid.setdefault(cleaned.external_id, cleaned)

        now = self.clock()
        with write_transaction(self.engine) as connection:
            new_items = [
                _storable_raw(item)
                for item in self._drop_stored(connection, account.id, list(valid.values()))
            ]
            report = IngestReport(
                duplicate_items=len(valid) - len(new_items), malformed_items=malformed
            )
            if new_items:
                report = self._land(
                    connection, account, stream, new_items, now, report, automated=automated
                )
            self._save_cursor(connection, account.id, stream, next_cursor, now)
        return report

    def _drop_stored(
        self, connection: Connection, account_id: int, items: list[FetchedItem]
    ) -> list[FetchedItem]:
        stored: set[str] = set()
        for chunk in _chunks([item.external_id for item in items]):
            stored.update(
                connection.execute(
                    select(_item.c.external_id).where(
                        _item.c.account_id == account_id, _item.c.external_id.in_(chunk)
                    )
                ).scalars()
            )
        return [item for item in items if item.external_id not in stored]

    def _land(
        self,
        connection: Connection,
        account: AccountRef,
        stream: str,
        items: list[FetchedItem],
        now: datetime,
        report: IngestReport,
        *,
        automated: bool = False,
    ) -> IngestReport:
        contact_ids = self._contact_ids(connection, account.platform, items, now)
        changes = self._thread_changes(items, contact_ids, automated=automated)
        thread_ids, created, reopened = self._write_threads(connection, account.id, changes, now)
        spam, kept_closed = _keep_spam_closed(
            connection,
            [thread_ids[key] for key, change in changes.items() if change.last_inbound_at],
            now,
        )
        reopened -= kept_closed
        policy = self._fixed_sla_policy or self._team_sla.policy(connection)
        refresh_due_at(connection, policy, list(thread_ids.values()), now)

        item_rows = []
        for item in items:
            inbound = item.direction == Direction.IN
            item_rows.append(
                {
                    "account_id": account.id,
                    "thread_id": thread_ids[item.thread_key],
                    "direction": str(item.direction),
                    "external_id": item.external_id,
                    "parent_external_id": item.parent_external_id,
                    "contact_id": contact_ids.get(item.author.external_id) if inbound else None,
                    "agent_id": None,
                    "text": item.text,
                    "created_at": item.created_at,
                    "url": item.url,
                    "sentiment": None,
                    "raw": item.raw,
                    "attachments": attachment_rows(item.attachments),
                    "automated": automated,
                }
            )
        connection.execute(insert(_item), item_rows)

        posted_on = _platform_name(account.platform) if stream == OUTBOX_STREAM else None
        actor = events.OUTBOX_ACTOR if posted_on else events.SYNC_ACTOR
        event_rows = []
        for key, change in changes.items():
            thread_id = thread_ids[key]
            arrival_type: type[events.ThreadCreated | events.ThreadReopened | events.ItemsArrived]
            if key in created:
                arrival_type = events.ThreadCreated
            elif thread_id in reopened:
                arrival_type = events.ThreadReopened
            else:
                arrival_type = events.ItemsArrived
            arrival = arrival_type(
                count=change.count,
                first_at=_iso(change.first_activity_at),
                last_at=_iso(change.last_activity_at),
                posted_on=posted_on,
            )
            event_rows.append(events.row(arrival, at=now, actor=actor, thread_id=thread_id))
        events.record_many(connection, event_rows)
        events.record_many(connection, spam)

        return IngestReport(
            new_items=len(items),
            duplicate_items=report.duplicate_items,
            malformed_items=report.malformed_items,
            new_threads=len(created),
            reopened_threads=len(reopened),
            thread_ids=tuple(thread_ids[key] for key in changes),
        )

    def _contact_ids(
        self, connection: Connection, platform: str, items: list[FetchedItem], now: datetime
    ) -> dict[str, int]:
        authors = {
            item.author.external_id: item.author for item in items if item.direction == Direction.IN
        }
        if not authors:
            return {}
        ids = _contact_ids_of(connection, platform, list(authors))
        missing = [authors[external_id] for external_id in authors if external_id not in ids]
        if missing:
            connection.execute(
                insert_ignoring_conflicts(connection, _contact),
                [
                    {
                        "platform": platform,
                        "external_id": author.external_id,
                        "handle": author.handle,
                        "display_name": author.display_name,
                        "first_seen_at": now,
                    }
                    for author in missing
                ],
            )
            ids.update(
                _contact_ids_of(connection, platform, [author.external_id for author in missing])
            )
        return ids

    @staticmethod
    def _thread_changes(
        items: list[FetchedItem], contact_ids: dict[str, int], *, automated: bool = False
    ) -> dict[str, _ThreadChange]:
        changes: dict[str, _ThreadChange] = {}
        for item in sorted(items, key=lambda item: item.created_at):
            change = changes.get(item.thread_key)
            if change is None:
                change = changes[item.thread_key] = _ThreadChange(kind=str(item.kind))
            change.count += 1
            change.last_activity_at = item.created_at
            if change.first_activity_at is None:
                change.first_activity_at = item.created_at
            if item.direction == Direction.IN:
                if change.first_inbound_at is None:
                    change.first_inbound_at = item.created_at
                    change.contact_id = contact_ids.get(item.author.external_id)
                change.last_inbound_at = item.created_at
                change.preview = sanitize.preview(
                    item.text
                    if item.text.strip() or not item.attachments
                    else " ".join(attachment.summary() for attachment in item.attachments)
                )
            elif not automated:
                change.outbound_times.append(item.created_at)
        return changes

    def _write_threads(
        self,
        connection: Connection,
        account_id: int,
        changes: dict[str, _ThreadChange],
        now: datetime,
    ) -> tuple[dict[str, int], set[str], set[int]]:
        """Insert new threads with their final values and fold changes into known ones.

        Returns the id of every thread key, the keys created and the ids reopened. One
        process writes an account at a time (its lease), so a key missing here is new.
        """
        known = self._load_threads(connection, account_id, list(changes))
        created = [key for key in changes if key not in known]
        if created:
            connection.execute(
                insert_ignoring_conflicts(connection, _thread),
                [
                    {
                        "account_id": account_id,
                        "thread_key": key,
                        "kind": changes[key].kind,
                        "priority": "normal",
                        "item_count": changes[key].count,
                        "created_at": now,
                        "version": 1,
                        **_folded(None, changes[key]),
                    }
                    for key in created
                ],
            )
        thread_ids = {key: row["id"] for key, row in known.items()}
        for chunk in _chunks(created):
            thread_ids.update(
                connection.execute(
                    select(_thread.c.thread_key, _thread.c.id).where(
                        _thread.c.account_id == account_id, _thread.c.thread_key.in_(chunk)
                    )
                ).all()
            )
        reopened = {
            row["id"]
            for key, row in known.items()
            if row["status"] in _REOPENABLE and changes[key].last_inbound_at is not None
        }
        updates = [
            {
                "b_id": row["id"],
                "b_count": changes[key].count,
                **{f"b_{name}": value for name, value in _folded(row, changes[key]).items()},
            }
            for key, row in known.items()
        ]
        if updates:
            connection.execute(_THREAD_UPDATE, updates)
        return thread_ids, set(created), reopened

    @staticmethod
    def _load_threads(
        connection: Connection, account_id: int, keys: list[str]
    ) -> dict[str, dict[str, Any]]:
        columns = (
            _thread.c.id,
            _thread.c.thread_key,
            _thread.c.status,
            _thread.c.contact_id,
            _thread.c.first_inbound_at,
            _thread.c.last_inbound_at,
            _thread.c.first_response_at,
            _thread.c.last_outbound_at,
            _thread.c.last_activity_at,
            _thread.c.closed_at,
        )
        rows: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(keys):
            for row in connection.execute(
                select(*columns).where(
                    _thread.c.account_id == account_id, _thread.c.thread_key.in_(chunk)
                )
            ):
                rows[row.thread_key] = dict(row._mapping)
        return rows

    def _save_cursor(
        self,
        connection: Connection,
        account_id: int,
        stream: str,
        next_cursor: str | None,
        now: datetime,
    ) -> None:
        connection.execute(
            _cursor_upsert(connection.dialect.name),
            {
                "account_id": account_id,
                "stream": stream,
                "cursor": None if next_cursor is None else sanitize.storable(str(next_cursor)),
                "last_success_at": now,
                "last_error": None,
                "failures": 0,
                "backoff_until": None,
            },
        )

    # -- cursors and failures -------------------------------------------------------------

    def cursor(self, account_id: int, stream: str) -> CursorState:
        """The saved position of a stream (no cursor yet: start of the backfill)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_cursor.c.cursor, _cursor.c.backoff_until, _cursor.c.failures).where(
                    _cursor.c.account_id == account_id, _cursor.c.stream == stream
                )
            ).first()
        if row is None:
            return CursorState(cursor=None, backoff_until=None, failures=0)
        return CursorState(
            cursor=row.cursor, backoff_until=row.backoff_until, failures=row.failures
        )

    def record_failure(
        self,
        account_id: int,
        stream: str,
        message: str,
        backoff_until: datetime,
        health: AccountHealth,
    ) -> None:
        """Remember a failed poll: the error, when to try again, and the account's health."""
        now = self.clock()
        with write_transaction(self.engine) as connection:
            previous = connection.execute(
                select(_cursor.c.id, _cursor.c.failures).where(
                    _cursor.c.account_id == account_id, _cursor.c.stream == stream
                )
            ).first()
            message = sanitize.for_storage(message)
            values = {
                "last_error": message,
                "last_error_at": now,
                "backoff_until": backoff_until,
            }
            if previous is None:
                connection.execute(
                    insert(_cursor).values(
                        account_id=account_id, stream=stream, failures=1, **values
                    )
                )
            else:
                connection.execute(
                    update(_cursor)
                    .where(_cursor.c.id == previous.id)
                    .values(failures=_cursor.c.failures + 1, **values)
                )
            self._set_health(connection, account_id, health, message, now)

    def record_health(self, account_id: int, health: AccountHealth, detail: str | None) -> None:
        """Set an account's health, with an event when it changed."""
        with write_transaction(self.engine) as connection:
            self._set_health(connection, account_id, health, detail, self.clock())

    def _set_health(
        self,
        connection: Connection,
        account_id: int,
        health: AccountHealth,
        detail: str | None,
        now: datetime,
    ) -> None:
        detail = None if detail is None else sanitize.for_storage(detail)
        changed = connection.execute(
            update(_account)
            .where(_account.c.id == account_id, _account.c.health != str(health))
            .values(health=str(health), health_detail=detail)
        ).rowcount
        if changed:
            events.record(
                connection,
                events.AccountHealthChanged(
                    account_id=account_id, health=str(health), detail=detail
                ),
                at=now,
                actor=events.SYNC_ACTOR,
            )
        elif detail is not None:
            connection.execute(
                update(_account).where(_account.c.id == account_id).values(health_detail=detail)
            )

    # -- leases ---------------------------------------------------------------------------

    def acquire_lease(self, account_id: int, holder: str, ttl: timedelta) -> bool:
        """Take or renew the polling lease of an account; False when another live process has it."""
        now = self.clock()
        with write_transaction(self.engine) as connection:
            connection.execute(
                insert_ignoring_conflicts(connection, _lease).values(
                    account_id=account_id, holder=holder, acquired_at=now, expires_at=now + ttl
                )
            )
            taken = connection.execute(
                update(_lease)
                .where(
                    _lease.c.account_id == account_id,
                    or_(_lease.c.holder == holder, _lease.c.expires_at < now),
                )
                .values(holder=holder, expires_at=now + ttl)
            ).rowcount
        return bool(taken)

    def release_leases(self, holder: str) -> None:
        """Give up every lease `holder` has, so another process can start at once."""
        with write_transaction(self.engine) as connection:
            connection.execute(delete(_lease).where(_lease.c.holder == holder))

    def lease_holder(self, account_id: int) -> str | None:
        """Who holds a live lease on the account, if anyone."""
        with self.engine.connect() as connection:
            return connection.execute(
                select(_lease.c.holder).where(
                    _lease.c.account_id == account_id, _lease.c.expires_at >= self.clock()
                )
            ).scalar()

    def lease(self, account_id: int) -> Lease | None:
        """The account's polling lease as stored, live or lapsed, if there is a row."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(_lease.c.holder, _lease.c.acquired_at, _lease.c.expires_at).where(
                    _lease.c.account_id == account_id
                )
            ).first()
        return None if row is None else Lease(*row)

    # -- sentiment ------------------------------------------------------------------------

    def score_sentiment(self, limit: int = 2_000) -> int:
        """Score up to `limit` inbound items that have no sentiment yet; returns how many."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(_item.c.id, _item.c.thread_id, _item.c.text)
                .where(_item.c.sentiment.is_(None), _item.c.direction == str(Direction.IN))
                .order_by(_item.c.id)
                .limit(limit)
            ).all()
        if not rows:
            return 0
        scores = sentiment.score_all(row.text for row in rows)
        latest_inbound = {row.thread_id: value for row, value in zip(rows, scores, strict=True)}
        with write_transaction(self.engine) as connection:
            connection.execute(
                update(_item)
                .where(_item.c.id == bindparam("b_id"))
                .values(sentiment=bindparam("b_score")),
                [
                    {"b_id": row.id, "b_score": value}
                    for row, value in zip(rows, scores, strict=True)
                ],
            )
            connection.execute(
                update(_thread)
                .where(_thread.c.id == bindparam("b_id"))
                .values(sentiment=bindparam("b_score")),
                [{"b_id": key, "b_score": value} for key, value in latest_inbound.items()],
            )
            events.record(
                connection,
                events.SentimentScored(items=len(rows), threads=len(latest_inbound)),
                at=self.clock(),
                actor=events.SYNC_ACTOR,
            )
        return len(rows)


def _keep_spam_closed(
    connection: Connection, thread_ids: Sequence[int], now: datetime
) -> tuple[list[dict[str, Any]], set[int]]:
    """Close again, as spam, the threads among those with new inbound messages that are spam
    or whose author is blocked: a new message there pages nobody. Returns the events of
    threads newly marked spam and the ids of all it closed. Runs before the due times are
    set, so they are due at no time."""
    if not thread_ids:
        return [], set()
    found = []
    for chunk in _chunks(list(thread_ids)):
        found.extend(
            connection.execute(
                select(_thread.c.id, _thread.c.status, _thread.c.spam_at, _contact.c.handle)
                .outerjoin(_contact, _contact.c.id == _thread.c.contact_id)
                .where(
                    _thread.c.id.in_(chunk),
                    or_(_thread.c.spam_at.is_not(None), _contact.c.blocked_at.is_not(None)),
                )
            ).all()
        )
    if not found:
        return [], set()
    closed = {row.id for row in found}
    for chunk in _chunks(sorted(closed)):
        connection.execute(
            update(_thread)
            .where(_thread.c.id.in_(chunk))
            .values(
                status=str(ThreadStatus.CLOSED),
                closed_at=now,
                snoozed_until=None,
                spam_at=func.coalesce(_thread.c.spam_at, literal(now, _thread.c.spam_at.type)),
            )
        )
    marked = [
        events.row(
            events.ThreadMarkedSpam(before=row.status, blocked_author=row.handle),
            at=now,
            actor=events.SYNC_ACTOR,
            thread_id=row.id,
        )
        for row in found
        if row.spam_at is None
    ]
    return marked, closed


def _contact_ids_of(
    connection: Connection, platform: str, external_ids: list[str]
) -> dict[str, int]:
    ids: dict[str, int] = {}
    for chunk in _chunks(external_ids):
        ids.update(
            connection.execute(
                select(_contact.c.external_id, _contact.c.id).where(
                    _contact.c.platform == platform, _contact.c.external_id.in_(chunk)
                )
            ).all()
        )
    return ids


def _fitting(value: Any, longest: int) -> Any:
    """`value`, or None when it is too long to be a real id or link (it is not worth a batch)."""
    return None if isinstance(value, str) and len(value) > longest else value


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _platform_name(platform: str) -> str:
    """The platform as people name it (`Bluesky`), or its stored name when not installed."""
    try:
        return adapter_class(platform).display_name
    except UnknownPlatform:
        return platform


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
