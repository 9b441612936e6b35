"""Ingest throughput: the real pipeline against raw sqlite3 doing the same inserts.

Generates N demo items (default 1,000,000) from the simulator, then, in one run:

- ours: `Store.ingest` in batches of `BATCH_ITEMS` (1,000: ten pages of the demo
  adapter's 100), as the sync engine lands a backfill: validation, contacts, threads,
  items, cursor and events in one transaction per batch;
- raw: `sqlite3.executemany` of the same item rows into an identical, freshly migrated
  database (same indexes, same FTS5 triggers), in one transaction, rows prepared ahead;
- resync: the same N items again (all already stored) through ours, against raw
  `INSERT OR IGNORE` of the same rows into the raw database;
- sentiment: VADER scoring of the inbound items afterwards, reported on its own.

Prints the figures and ends with `RESULT ratio=<x> resync_ratio=<y> sentiment_per_s=<z>`.
Budgets (issue 2): ratio >= 0.30, resync_ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from adapters.base import AccountRef  # noqa: E402
from adapters.demo.simulator import Simulator  # noqa: E402
from inbox.core.database import open_engine  # noqa: E402
from inbox.core.models import Account, to_micros  # noqa: E402
from inbox.store.ingest import Store  # noqa: E402
from inbox.sync.engine import BATCH_ITEMS as PAGE  # noqa: E402

STYLES = ("mastodon", "bluesky", "x", "reddit", "facebook", "email")


def generate(count: int):
    """`count` demo items spread over the six styles, with the stream each came from."""
    epoch = datetime(2026, 1, 1, tzinfo=UTC)
    per_style = count // len(STYLES) + 1
    pages = []
    produced = 0
    for style in STYLES:
        simulator = Simulator(
            seed=1, style=style, account_handle=f"brand-{style}", epoch=epoch, rate_per_hour=3600
        )
        per_stream = per_style // len(simulator.streams) + 1
        for stream in simulator.streams:
            take = min(per_stream, count - produced)
            items = simulator.items(stream, 0, take)
            produced += len(items)
            for start in range(0, len(items), PAGE):
                pages.append((style, stream, items[start : start + PAGE], str(start + PAGE)))
    return pages, produced


def fresh_database(directory: Path, name: str) -> tuple[str, object]:
    url = f"sqlite:///{directory / name}"
    engine = open_engine(url)
    accounts = {}
    with engine.begin() as connection:
        for style in STYLES:
            accounts[style] = connection.execute(
                Account.__table__.insert().values(
                    platform=f"demo-{style}",
                    handle=f"brand-{style}",
                    settings={},
                    enabled=True,
                    health="ok",
                    created_at=datetime.now(UTC),
                )
            ).inserted_primary_key[0]
    return url, engine, accounts


def raw_rows(pages, accounts):
    """The item rows as raw sqlite3 would insert them, prepared before timing."""
    thread_ids: dict[tuple[str, str], int] = {}
    rows = []
    for style, _stream, items, _cursor in pages:
        for item in items:
            key = (style, item.thread_key)
            thread_id = thread_ids.setdefault(key, len(thread_ids) + 1)
            rows.append(
                (
                    accounts[style],
                    thread_id,
                    str(item.direction),
                    item.external_id,
                    item.parent_external_id,
                    None,
                    None,
                    item.text,
                    to_micros(item.created_at),
                    item.url,
                    None,
                    json.dumps(dict(item.raw)) if item.raw else None,
                )
            )
    return rows, len(thread_ids)


RAW_INSERT = (
    "INSERT {verb} INTO item (account_id, thread_id, direction, external_id, parent_external_id, "
    "contact_id, agent_id, text, created_at, url, sentiment, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


def run_raw(path: Path, rows, thread_count: int, verb: str) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    if verb == "":
        # the item table's foreign key needs thread rows; made before timing, not counted
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO thread (account_id, kind, thread_key, status, priority, preview, "
            "item_count, unread, last_activity_at, created_at, version) "
            "VALUES (1, 'mention', ?, 'new', 'normal', '', 0, 1, 0, 0, 1)",
            ((str(n),) for n in range(1, thread_count + 1)),
        )
        connection.execute("COMMIT")
    started = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany(RAW_INSERT.format(verb=verb), rows)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def run_ours(store: Store, pages, accounts) -> float:
    refs = {
        style: AccountRef(id=accounts[style], platform=f"demo-{style}", handle=f"brand-{style}")
        for style in STYLES
    }
    started = time.perf_counter()
    for style, stream, items, cursor in pages:
        store.ingest(refs[style], stream, items, cursor)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument(
        "--sentiment-sample",
        type=int,
        default=50_000,
        help="inbound items to score for the sentiment rate",
    )
    options = parser.parse_args()

    started = time.perf_counter()
    pages, count = generate(options.items)
    print(
        f"generated {count:,} demo items in {len(pages):,} pages of <= {PAGE} "
        f"in {time.perf_counter() - started:.1f} s"
    )

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as directory:
        directory = Path(directory)
        _url, engine, accounts = fresh_database(directory, "ours.db")
        _raw_url, raw_engine, raw_accounts = fresh_database(directory, "raw.db")
        raw_engine.dispose()
        rows, thread_count = raw_rows(pages, raw_accounts)

        raw_seconds = run_raw(directory / "raw.db", rows, thread_count, "")
        store = Store(engine)
        ours_seconds = run_ours(store, pages, accounts)
        raw_resync_seconds = run_raw(directory / "raw.db", rows, thread_count, "OR IGNORE")
        ours_resync_seconds = run_ours(store, pages, accounts)

        sample = min(options.sentiment_sample, count)
        scored = 0
        sentiment_started = time.perf_counter()
        while scored < sample:
            done = store.score_sentiment(min(5_000, sample - scored))
            if not done:
                break
            scored += done
        sentiment_seconds = time.perf_counter() - sentiment_started
        engine.dispose()

    raw_rate, ours_rate = count / raw_seconds, count / ours_seconds
    raw_resync_rate, ours_resync_rate = count / raw_resync_seconds, count / ours_resync_seconds
    sentiment_rate = scored / sentiment_seconds if sentiment_seconds else 0.0
    print(
        f"raw sqlite3 executemany, one transaction: {raw_rate:,.0f} items/s ({raw_seconds:.1f} s)"
    )
    print(
        f"Store.ingest, {len(pages):,} transactions:      "
        f"{ours_rate:,.0f} items/s ({ours_seconds:.1f} s)"
    )
    print(
        f"resync, raw INSERT OR IGNORE:              "
        f"{raw_resync_rate:,.0f} items/s ({raw_resync_seconds:.1f} s)"
    )
    print(
        f"resync, Store.ingest:                      "
        f"{ours_resync_rate:,.0f} items/s ({ours_resync_seconds:.1f} s)"
    )
    print(
        f"sentiment (VADER, after ingest):           "
        f"{sentiment_rate:,.0f} items/s over {scored:,} inbound items"
    )
    print(
        f"RESULT ratio={ours_rate / raw_rate:.2f} "
        f"resync_ratio={ours_resync_rate / raw_resync_rate:.2f} "
        f"sentiment_per_s={sentiment_rate:.0f}"
    )


if __name__ == "__main__":
    main()
