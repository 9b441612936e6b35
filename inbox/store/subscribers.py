"""The people who asked for the brand's public updates by email during incidents.

The list comes from a CSV file (`email[,name]`, a header row) and is kept by leads and
admins. Every address is checked before it is stored, with the standard library's address
parser and a refusal of any control character or line break, so no address can carry a
second header into the mails sent to it. An import is idempotent: an address already on
the list is skipped, and so is one that unsubscribed earlier (an old file never signs
someone up again). Each subscriber has a secret unsubscribe token (`secrets`) that their
mails carry; unsubscribing withdraws every mail still waiting for them.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.errors import HeaderParseError, MessageDefect
from email.headerregistry import Address
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from inbox import events
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.models import Outbound, OutboundStatus, Subscriber

_subscriber = Subscriber.__table__
_outbound = Outbound.__table__

MAX_ADDRESS_LENGTH = 254
"""The longest address SMTP carries (RFC 5321's path limit less the brackets)."""
MAX_NAME_LENGTH = 255
BATCH = 500
"""Addresses looked up or inserted per statement: well inside every database's limits."""
TOKEN_BYTES = 24
"""Random bytes in an unsubscribe token (32 URL-safe characters)."""

_LINE_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAME_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_DOMAIN = re.compile(r"^[^\s.@\[\]]+(\.[^\s.@\[\]]+)+$")

WAITING_STATUSES = (
    OutboundStatus.AWAITING_APPROVAL,
    OutboundStatus.QUEUED,
    OutboundStatus.UNKNOWN,
    OutboundStatus.FAILED,
)
"""Mails not yet on their way that unsubscribing withdraws (one being sent cannot be)."""


def checked_address(text: str) -> str:
    """The address in `text`, lower-cased; InvalidInput says why it is not one.

    Refused: control characters and line breaks anywhere (header injection), a display
    name or anything after the address, quoted local parts, address literals (`[1.2.3.4]`).
    """
    if _LINE_BREAKS_AND_CONTROLS.search(text):
        raise InvalidInput("it contains a control character or a line break")
    candidate = text.strip()
    if not candidate:
        raise InvalidInput("the address is empty")
    if len(candidate) > MAX_ADDRESS_LENGTH:
        raise InvalidInput(f"the address is longer than {MAX_ADDRESS_LENGTH} characters")
    try:
        address = Address(addr_spec=candidate)
    except (ValueError, IndexError, HeaderParseError, MessageDefect):
        raise InvalidInput(f"{candidate!r} is not an email address") from None
    if (
        address.addr_spec != candidate
        or not address.username
        or candidate.startswith('"')
        or not _DOMAIN.match(address.domain)
    ):
        raise InvalidInput(f"{candidate!r} is not an email address")
    return candidate.lower()


def cleaned_name(text: str | None) -> str | None:
    """A subscriber's name on one line, without control or bidi characters, capped; or None."""
    if text is None:
        return None
    name = " ".join(_NAME_UNSAFE.sub("", text).split())[:MAX_NAME_LENGTH]
    return name or None


def new_token() -> str:
    """A fresh unsubscribe token, unguessable."""
    return secrets.token_urlsafe(TOKEN_BYTES)


# -- importing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RejectedLine:
    """A line of an imported file that was not taken, and why."""

    line: int
    text: str
    reason: str


@dataclass(slots=True)
class SubscriberImport:
    """What an import did: how many were added or skipped, and each rejected line."""

    added: int = 0
    already_subscribed: int = 0
    unsubscribed_earlier: int = 0
    """Addresses that unsubscribed before: never signed up again by a file."""
    duplicates_in_file: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)

    def sentence(self) -> str:
        """The counts in one line for a person."""
        parts = [
            f"{self.added:,} added",
            f"{self.already_subscribed:,} already subscribed",
            f"{self.unsubscribed_earlier:,} unsubscribed earlier (left out)",
            f"{self.duplicates_in_file:,} repeated in the file",
            f"{len(self.rejected):,} rejected",
        ]
        return ", ".join(parts)


def read_csv(text: str) -> tuple[list[tuple[int, str, str | None]], list[RejectedLine]]:
    """The (line, address, name) rows of a subscriber file, and the lines refused.

    The first row is the header and must name an `email` column; `name` is optional.
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("the file is empty; it needs a header row: email,name") from None
    except csv.Error as error:
        raise InvalidInput(f"the file is not CSV: {error}") from None
    columns = [column.strip().lower() for column in header]
    if "email" not in columns:
        raise InvalidInput(
            "the first row must be a header naming an 'email' column (and optionally 'name')"
        )
    email_at = columns.index("email")
    name_at = columns.index("name") if "name" in columns else None
    rows: list[tuple[int, str, str | None]] = []
    rejected: list[RejectedLine] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rejected.append(RejectedLine(line, "", f"unreadable CSV: {error}"))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        raw = cells[email_at] if email_at < len(cells) else ""
        try:
            address = checked_address(raw)
        except InvalidInput as error:
            rejected.append(RejectedLine(line, _shown(raw), str(error)))
            continue
        name = cells[name_at] if name_at is not None and name_at < len(cells) else None
        rows.append((line, address, cleaned_name(name)))
    return rows, rejected


def _shown(text: str) -> str:
    """A refused cell as a report may quote it: one line, short, without control characters."""
    return " ".join(_LINE_BREAKS_AND_CONTROLS.sub(" ", text).split())[:80]


def import_subscribers(
    connection: Connection, text: str, *, actor: str, now: datetime
) -> SubscriberImport:
    """Add the addresses of a CSV file not yet on the list; call it in `write_transaction`."""
    rows, rejected = read_csv(text)
    result = SubscriberImport(rejected=rejected)
    wanted: dict[str, str | None] = {}
    for _, address, name in rows:
        if address in wanted:
            result.duplicates_in_file += 1
        else:
            wanted[address] = name
    known = dict(_known(connection, list(wanted)))
    result.already_subscribed = sum(1 for state in known.values() if state == "active")
    result.unsubscribed_earlier = sum(1 for state in known.values() if state == "unsubscribed")
    new = [(address, name) for address, name in wanted.items() if address not in known]
    for batch in _batches(new, BATCH):
        connection.execute(
            insert(_subscriber),
            [
                {
                    "email": address,
                    "name": name,
                    "unsubscribe_token": new_token(),
                    "created_at": now,
                    "unsubscribed_at": None,
                }
                for address, name in batch
            ],
        )
    result.added = len(new)
    events.record(
        connection,
        events.SubscribersImported(
            added=result.added,
            already_subscribed=result.already_subscribed,
            unsubscribed_earlier=result.unsubscribed_earlier,
            rejected=len(result.rejected),
        ),
        at=now,
        actor=actor,
    )
    return result


def _known(connection: Connection, addresses: Sequence[str]) -> Iterator[tuple[str, str]]:
    """Each of `addresses` already stored, with "active" or "unsubscribed"."""
    for batch in _batches(addresses, BATCH):
        for address, unsubscribed_at in connection.execute(
            select(_subscriber.c.email, _subscriber.c.unsubscribed_at).where(
                _subscriber.c.email.in_(batch)
            )
        ):
            yield address, "active" if unsubscribed_at is None else "unsubscribed"


def _batches(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriberRow:
    """One subscriber as people see them (never with their token)."""

    id: int
    email: str
    name: str | None
    created_at: datetime
    unsubscribed_at: datetime | None

    @property
    def active(self) -> bool:
        """Whether they still get the updates."""
        return self.unsubscribed_at is None


def list_subscribers(
    connection: Connection, *, include_unsubscribed: bool = False
) -> list[SubscriberRow]:
    """The subscribers by address; with `include_unsubscribed`, those who left too."""
    query = select(
        _subscriber.c.id,
        _subscriber.c.email,
        _subscriber.c.name,
        _subscriber.c.created_at,
        _subscriber.c.unsubscribed_at,
    ).order_by(_subscriber.c.email)
    if not include_unsubscribed:
        query = query.where(_subscriber.c.unsubscribed_at.is_(None))
    return [SubscriberRow(**row._mapping) for row in connection.execute(query)]


def active_count(connection: Connection) -> int:
    """How many people get the updates now."""
    return connection.execute(
        select(func.count()).where(_subscriber.c.unsubscribed_at.is_(None))
    ).scalar_one()


def active_recipients(connection: Connection) -> list[tuple[str, str]]:
    """Every active subscriber's (address, unsubscribe token), by id."""
    rows = connection.execute(
        select(_subscriber.c.email, _subscriber.c.unsubscribe_token)
        .where(_subscriber.c.unsubscribed_at.is_(None))
        .order_by(_subscriber.c.id)
    )
    return [(email, token) for email, token in rows]


# -- leaving --------------------------------------------------------------------------------


def remove_subscriber(connection: Connection, address: str, *, actor: str, now: datetime) -> int:
    """Delete a subscriber by address and withdraw their waiting mails; how many were withdrawn."""
    email = checked_address(address)
    row = connection.execute(select(_subscriber.c.id).where(_subscriber.c.email == email)).first()
    if row is None:
        raise NotFound(f"{email} is not on the subscriber list")
    withdrawn = _withdraw_mails(connection, email, now)
    connection.execute(delete(_subscriber).where(_subscriber.c.id == row.id))
    events.record(
        connection,
        events.SubscriberRemoved(subscriber_id=row.id, withdrawn_mails=withdrawn),
        at=now,
        actor=actor,
    )
    return withdrawn


def unsubscribe(connection: Connection, token: str, *, actor: str, now: datetime) -> str:
    """Unsubscribe whoever holds `token` and withdraw their waiting mails; their address.

    Unsubscribing twice is not an error: the second changes nothing.
    """
    token = token.strip()
    row = connection.execute(
        select(_subscriber.c.id, _subscriber.c.email, _subscriber.c.unsubscribed_at).where(
            _subscriber.c.unsubscribe_token == token
        )
    ).first()
    if not token or row is None:
        raise NotFound("no subscriber has that unsubscribe token")
    if row.unsubscribed_at is not None:
        return row.email
    connection.execute(
        update(_subscriber).where(_subscriber.c.id == row.id).values(unsubscribed_at=now)
    )
    withdrawn = _withdraw_mails(connection, row.email, now)
    events.record(
        connection,
        events.SubscriberUnsubscribed(subscriber_id=row.id, withdrawn_mails=withdrawn),
        at=now,
        actor=actor,
    )
    return row.email


def _withdraw_mails(connection: Connection, email: str, now: datetime) -> int:
    """Cancel every mail to `email` not yet on its way."""
    return connection.execute(
        update(_outbound)
        .where(
            _outbound.c.recipient == email,
            _outbound.c.status.in_([str(status) for status in WAITING_STATUSES]),
        )
        .values(status=str(OutboundStatus.CANCELLED), next_attempt_at=None, updated_at=now)
    ).rowcount
