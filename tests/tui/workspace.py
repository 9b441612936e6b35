"""A small, fixed workspace for the TUI tests: accounts, people and threads landed by ingest.

Everything goes through `Store.ingest`, the path real messages take, so the list reads
exactly what sync would have written. The data depends only on its arguments, which
keeps snapshots stable. Run as a script to build a database to look at by hand:

    python -m tests.tui.workspace /tmp/inbox.db 300
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from adapters.base import AccountRef, Direction, FetchedContact, FetchedItem, Kind
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account

PLATFORMS = (
    "demo-mastodon",
    "demo-bluesky",
    "demo-reddit",
    "demo-x",
    "demo-instagram",
    "demo-youtube",
)

AUTHORS = (
    "carol",
    "dan",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ivan",
    "judy",
    "mallory",
    "niaj",
    "olivia",
    "peggy",
    "rupert",
    "sybil",
    "trent",
    "victor",
    "walter",
    "yasmin",
)

TEXTS = (
    "The app crashed again after the update, I lost my whole draft. Not happy.",
    "Love the new dark mode, thank you!",
    "How do I change the email on my account?",
    "Still waiting for a refund, it's been two weeks",
    "Is the service down? Nothing loads for me",
    "Great support from your team yesterday, thanks Alice",
    "Can you DM me about the order #4411?",
    "Why was my comment removed?",
    "The checkout page keeps timing out on mobile",
    "Just wanted to say the podcast episode was brilliant",
)

KINDS = (Kind.MENTION, Kind.COMMENT, Kind.DM)


@dataclass(frozen=True, slots=True)
class Workspace:
    """What was built, for tests to point at."""

    accounts: Sequence[AccountRef]
    newest: datetime
    """The time of the newest message."""


def contact(author: str) -> FetchedContact:
    return FetchedContact(
        external_id=f"id-{author}", handle=f"@{author}", display_name=author.title()
    )


def message(
    external_id: str,
    thread_key: str,
    at: datetime,
    text: str,
    *,
    author: str = "carol",
    kind: Kind = Kind.MENTION,
    direction: Direction = Direction.IN,
) -> FetchedItem:
    """One message as an adapter would hand it over."""
    return FetchedItem(
        external_id=external_id,
        thread_key=thread_key,
        kind=kind,
        direction=direction,
        author=contact(author),
        text=text,
        created_at=at,
    )


def build_workspace(engine: Engine, now: datetime, threads: int = 30) -> Workspace:
    """Six accounts and `threads` threads, the newest a minute before `now`, a few with replies."""
    store = Store(engine, lambda: now)
    accounts = [add_account(engine, platform, "brand") for platform in PLATFORMS]
    items: dict[int, list[FetchedItem]] = {account.id: [] for account in accounts}
    for number in range(threads):
        account = accounts[number % len(accounts)]
        at = now - timedelta(minutes=1 + number * 7)
        author = AUTHORS[number % len(AUTHORS)]
        kind = KINDS[number % len(KINDS)]
        key = f"thread-{number}"
        items[account.id].append(
            message(f"m{number}", key, at, TEXTS[number % len(TEXTS)], author=author, kind=kind)
        )
        if number % 5 == 2:
            items[account.id].append(
                message(
                    f"r{number}",
                    key,
                    at + timedelta(minutes=3),
                    "Thanks for telling us. Could you send the app version in a DM?",
                    author="brand",
                    kind=kind,
                    direction=Direction.OUT,
                )
            )
    for account in accounts:
        batch = items[account.id]
        for start in range(0, len(batch), 5_000):
            store.ingest(account, "mentions", batch[start : start + 5_000], f"cursor-{start}")
    while store.score_sentiment():
        pass
    return Workspace(accounts=accounts, newest=now - timedelta(minutes=1))


def add_people(service: InboxService) -> None:
    """A lead and an agent; the first person makes the inbox ask who you are."""
    service.add_agent("alice", "Alice Moreau", "lead")
    service.add_agent("blake", "Blake Osei", "agent")


if __name__ == "__main__":
    from datetime import UTC

    from inbox.core.database import open_engine

    path = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    database = open_engine(f"sqlite:///{path}")
    build_workspace(database, datetime.now(UTC), count)
    add_people(InboxService(database))
    print(
        f"built {count} threads in {path}; open it with: inbox --db {path} --as alice tui --no-sync"
    )
