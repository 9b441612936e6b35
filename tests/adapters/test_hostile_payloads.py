"""A hostile page never stops a stream: every adapter turns any payload into items or an
`AdapterError`, and one bad item never costs the rest of its page.

The property tests take real pages (../shared/recordings, read in place, and the
hand-made tests/data), break them at random paths with Hypothesis (wrong types, absurd
dates, control and bidi characters, deep nesting, megabytes of text, missing keys) and
serve them through `httpx.MockTransport` to the real adapter's `fetch`.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import AccountRef, Adapter, AdapterError, FetchedItem, FetchResult
from adapters.bluesky.adapter import BlueskyAdapter
from adapters.email.adapter import EmailAdapter
from adapters.mastodon.adapter import MastodonAdapter
from adapters.reddit.adapter import RedditAdapter
from tests.adapters import harness_mastodon, harness_reddit, harness_x
from tests.adapters.harness_mastodon import FakeMastodon
from tests.adapters.harness_reddit import FakeReddit
from tests.adapters.harness_x import FakeX
from tests.conftest import RECORDINGS, skip_or_fail
from tests.support import recorded
from tests.support.cassettes import pick, recording
from tests.support.fake_bluesky import APP_PASSWORD, FakePds, fixture
from tests.support.fake_mail import PASSWORD, FakeMailbox, fixture_bytes

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAR_FUTURE = "9999-12-31T23:00:00-05:00"
HOSTILE_DATES = (
    FAR_FUTURE,
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00",
    "",
    "not a date",
    "2026-02-30T10:00:00Z",
)
DEPTH = 10_000
_NESTED = "\x00nested\x00"
_HUGE = "\x00huge\x00"


# -- mutations ---------------------------------------------------------------------------


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into a JSON value, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


hostile_values = st.one_of(
    st.sampled_from(HOSTILE_DATES),
    st.sampled_from([None, True, False, 0, -1, 2**63, -(2**63), 10**400, 1e308, [], {}]),
    st.sampled_from(["\x00", "\u202egnp.exe\u202c", "\x1b[2J", "\ud800", "\ufeff", "\u2028"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=40),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@dataclass(frozen=True)
class Mutation:
    """One change to a page: at `path`, delete the key or put `value` there."""

    path: tuple
    action: str
    value: Any = None


def mutations(paths: list[tuple]) -> st.SearchStrategy[Mutation]:
    path = st.sampled_from(paths)
    return st.one_of(
        st.builds(Mutation, path, st.just("replace"), hostile_values),
        st.builds(Mutation, path, st.just("delete")),
        st.builds(Mutation, path, st.just("nest")),
        st.builds(Mutation, path, st.just("huge"), st.integers(1, 5).map(lambda mb: mb << 20)),
    )


_DATE_KEYS = ("created_at", "createdAt", "indexedAt", "sentAt", "created_utc", "created")


def _date_paths(page: Any) -> list[tuple]:
    """The paths to every time an item carries (the fields the date helpers read)."""
    return [path for path in _paths(page) if path and path[-1] in _DATE_KEYS]


def date_mutations(paths: list[tuple]) -> st.SearchStrategy[list[Mutation]]:
    extreme = st.one_of(
        st.sampled_from(HOSTILE_DATES),
        st.sampled_from([10**20, -(10**20), 1e308, float("inf"), -1, None, True, [], {}]),
    )
    change = st.builds(Mutation, st.sampled_from(paths), st.just("replace"), extreme)
    return st.lists(change, min_size=1, max_size=3)


def mutated_body(page: Any, changes: list[Mutation]) -> bytes:
    """`page` with `changes` applied, as JSON text; deep nesting is written by hand."""
    body = copy.deepcopy(page)
    huge = 0
    for change in changes:
        value: Any = {
            "replace": change.value,
            "nest": _NESTED,
            "huge": _HUGE,
        }.get(change.action)
        huge = change.value if change.action == "huge" else huge
        if not change.path:
            if change.action != "delete":
                body = value
            continue
        parent = body
        try:
            for step in change.path[:-1]:
                parent = parent[step]
            if change.action == "delete":
                del parent[change.path[-1]]
            else:
                parent[change.path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or reshaped this path
    text = json.dumps(body)
    text = text.replace(json.dumps(_NESTED), "[" * DEPTH + "]" * DEPTH)
    filler = ("a\u202e\x00" * (huge // 3 + 1))[:huge]
    return text.replace(json.dumps(_HUGE), json.dumps(filler)).encode()


# -- pages, and the adapters that read them ----------------------------------------------

Serve = Callable[[bytes], Adapter]
"""Builds an adapter whose page request is answered with the given body."""


def _answering(path_end: str, body: bytes, otherwise: Callable) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(path_end):
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        return otherwise(request)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


def mastodon(path_end: str) -> Serve:
    def build(body: bytes) -> Adapter:
        account = AccountRef(
            id=1,
            platform="mastodon",
            handle="@brand@social.example",
            base_url=harness_mastodon.BASE_URL,
        )
        client = _answering(path_end, body, FakeMastodon())
        return MastodonAdapter(account, client, {"access_token": harness_mastodon.TOKEN})

    return build


def reddit(path_end: str) -> Serve:
    def build(body: bytes) -> Adapter:
        account = AccountRef(id=1, platform="reddit", handle="u/BrandCare")
        client = _answering(path_end, body, FakeReddit())
        return RedditAdapter(account, client, harness_reddit.CREDENTIAL, clock=lambda: NOW)

    return build


def x(path_end: str) -> Serve:
    def build(body: bytes) -> Adapter:
        server = FakeX()
        account = AccountRef(
            id=1,
            platform="x",
            handle="@BrandCare",
            settings={"api_base": "https://api.x.com", "user_id": server.data["brand_id"]},
        )
        client = _answering(path_end, body, server)
        return harness_x.XAdapter(account, client, harness_x.CREDENTIAL, clock=lambda: NOW)

    return build


def bluesky(path_end: str) -> Serve:
    def build(body: bytes) -> Adapter:
        account = AccountRef(
            id=1, platform="bluesky", handle="brand.example.com", base_url="https://bsky.social"
        )
        client = _answering(path_end, body, FakePds().handle)
        return BlueskyAdapter(account, client, {"app_password": APP_PASSWORD}, clock=lambda: NOW)

    return build


def _data(platform: str, *keys: str, file: str = "inbox.json") -> Callable[[], Any]:
    def load() -> Any:
        value = json.loads((harness_mastodon.DATA.parent.parent / platform / file).read_text())
        for key in keys:
            value = value[key]
        return value

    return load


def _cassette(platform: str, name: str, path_part: str, nth: int = 0) -> Callable[[], Any]:
    return lambda: pick(recording(platform, name), "GET", path_part, nth).json()


def _bluesky_recording(name: str, nsid: str) -> Callable[[], Any]:
    def load() -> Any:
        path = RECORDINGS / "bluesky" / name
        if not path.exists():
            skip_or_fail(f"recording {path} is not there (the shared recordings sit beside it)")
        return next(i for i in recorded.load(path) if i.path.endswith(nsid)).json()

    return load


def _x_page(key: str) -> Callable[[], Any]:
    def load() -> Any:
        data = _data("x")()
        return {"data": data[key], "includes": {"users": data["users"]}, "meta": {}}

    return load


def _x_rich_page() -> Any:
    data = _data("x", file="rich.json")()
    includes = {key: data[key] for key in ("users", "tweets", "media", "polls")}
    return {"data": data["mentions"], "includes": includes, "meta": {}}


@dataclass(frozen=True)
class Case:
    """One page an adapter reads: where it comes from, who serves it, which stream."""

    name: str
    page: Callable[[], Any]
    serve: Serve
    stream: str


CASES = [
    Case(
        "mastodon-recorded-mentions",
        _cassette("mastodon", "test_notifications.yaml", "/api/v1/notifications"),
        mastodon("/api/v1/notifications"),
        "mentions",
    ),
    Case(
        "mastodon-recorded-direct",
        _cassette("mastodon", "test_conversations.yaml", "/api/v1/conversations"),
        mastodon("/api/v1/conversations"),
        "direct",
    ),
    Case(
        "mastodon-data-mentions",
        _data("mastodon", "notifications"),
        mastodon("/api/v1/notifications"),
        "mentions",
    ),
    Case(
        "mastodon-data-direct",
        _data("mastodon", "conversations"),
        mastodon("/api/v1/conversations"),
        "direct",
    ),
    Case(
        "bluesky-recorded-notifications",
        _bluesky_recording("n_notifications.yml", "listNotifications"),
        bluesky("listNotifications"),
        "notifications",
    ),
    Case(
        "bluesky-recorded-messages",
        _bluesky_recording("c_messages.yml", "getMessages"),
        bluesky("getMessages"),
        "dms",
    ),
    Case(
        "bluesky-data-notifications",
        lambda: fixture("notifications.json"),
        bluesky("listNotifications"),
        "notifications",
    ),
    Case("bluesky-data-convos", lambda: fixture("convos.json"), bluesky("listConvos"), "dms"),
    Case(
        "reddit-recorded-mentions",
        _cassette("reddit", "TestInbox.test_mentions.json", "/message/mentions"),
        reddit("/message/mentions"),
        "mentions",
    ),
    Case(
        "reddit-recorded-messages",
        _cassette("reddit", "TestInbox.test_messages.json", "/message/messages"),
        reddit("/message/messages"),
        "messages",
    ),
    Case(
        "reddit-data-comment-replies",
        _data("reddit", "comment_replies"),
        reddit("/message/comments"),
        "comment_replies",
    ),
    Case(
        "reddit-data-messages", _data("reddit", "messages"), reddit("/message/messages"), "messages"
    ),
    Case(
        "x-recorded-mentions",
        _cassette("x", "test_client_get_users_mentions.yaml", "/mentions"),
        x("/mentions"),
        "mentions",
    ),
    Case(
        "x-recorded-dm-events",
        _cassette("x", "test_manage_and_lookup_direct_messages.yaml", "/dm_events", 1),
        x("/2/dm_events"),
        "dms",
    ),
    Case("x-data-mentions", _x_page("mentions"), x("/mentions"), "mentions"),
    Case(
        "mastodon-rich-mentions",
        _data("mastodon", "notifications", file="rich.json"),
        mastodon("/api/v1/notifications"),
        "mentions",
    ),
    Case(
        "bluesky-rich-notifications",
        lambda: fixture("rich_notifications.json"),
        bluesky("listNotifications"),
        "notifications",
    ),
    Case(
        "reddit-rich-mentions",
        _data("reddit", "mentions", file="rich_posts.json"),
        reddit("/message/mentions"),
        "mentions",
    ),
    Case("x-rich-mentions", _x_rich_page, x("/mentions"), "mentions"),
    Case("x-data-dm-events", _x_page("dm_events"), x("/2/dm_events"), "dms"),
]


def assert_items_or_adapter_error(adapter: Adapter, stream: str) -> FetchResult | None:
    """Fetch once: a FetchResult of storable items, or an AdapterError; anything else fails."""

    async def fetch() -> FetchResult | None:
        try:
            return await adapter.fetch(stream, None)
        except AdapterError:
            return None

    result = asyncio.run(fetch())
    if result is not None:
        assert isinstance(result, FetchResult)
        for item in result.items:
            assert isinstance(item, FetchedItem)
            assert item.created_at.utcoffset() is not None
    return result


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_a_mutated_page_gives_items_or_an_adapter_error(case: Case):
    page = case.page()
    unharmed = assert_items_or_adapter_error(case.serve(json.dumps(page).encode()), case.stream)
    assert unharmed is not None, "the page as it is must read"

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(changes=st.lists(mutations(_paths(page)), min_size=1, max_size=3))
    def check(changes: list[Mutation]) -> None:
        assert_items_or_adapter_error(case.serve(mutated_body(page, changes)), case.stream)

    check()


DATED_CASES = [case for case in CASES if not case.name.startswith("x-recorded")]
"""The recorded X pages asked for no `created_at`: their times come from the ids."""


@pytest.mark.parametrize("case", DATED_CASES, ids=lambda case: case.name)
def test_absurd_times_in_items_never_cost_the_page(case: Case):
    page = case.page()
    paths = _date_paths(page)
    assert paths, f"{case.name} carries no item times"

    @settings(max_examples=15, deadline=None, derandomize=True)
    @given(changes=date_mutations(paths))
    def check(changes: list[Mutation]) -> None:
        result = assert_items_or_adapter_error(case.serve(mutated_body(page, changes)), case.stream)
        assert result is not None, "an item's time is that item's problem, not its page's"

    check()


_EMAIL_DAMAGE = [
    b"Date: Fri, 31 Dec 9999 23:00:00 -0500",
    b"Date: Mon, 1 Jan 0001 00:00:00 +1400",
    b"Date: not a date",
    b"From: \xe2\x80\xae\x00evil\x1b[2J <a@b.test>",
    b"Subject: =?utf-8?b?invalid?= \x00\x7f",
    b"Content-Type: text/html; charset=no-such-charset",
    b"Content-Transfer-Encoding: base64",
    b"Subject: " + b"x" * (2 << 20),
    b"<![foo[ <p>",
    b"",
]


def _email_adapter(messages: dict[int, bytes]) -> EmailAdapter:
    mailbox = FakeMailbox(messages=messages)
    account = AccountRef(
        id=1,
        platform="email",
        handle="support@example.test",
        base_url="imap://imap.example.test:143",
        settings={"smtp_url": "smtp://smtp.example.test:25"},
    )
    return EmailAdapter(
        account,
        None,
        {"password": PASSWORD},
        clock=lambda: NOW,
        imap_factory=mailbox.imap,
        smtp_factory=mailbox.smtp,
    )


@pytest.mark.parametrize("name", ["multipart.eml", "html_only.eml", "hostile_headers.eml"])
def test_a_damaged_email_gives_items_or_an_adapter_error(name: str):
    original = fixture_bytes(name)
    lines = original.split(b"\n")

    @settings(max_examples=15, deadline=None, derandomize=True)
    @given(
        at=st.integers(0, len(lines)),
        damage=st.lists(st.sampled_from(_EMAIL_DAMAGE), min_size=1, max_size=3),
        cut=st.integers(0, len(original)),
    )
    def check(at: int, damage: list[bytes], cut: int) -> None:
        damaged = b"\n".join([*lines[:at], *damage, *lines[at:]])[: cut or None]
        result = assert_items_or_adapter_error(_email_adapter({1: damaged}), "inbox")
        assert result is not None, "a mailbox read never fails for one message"

    check()


# -- the seen fault: one post dated 9999-12-31T23:00:00-05:00 among good ones -------------


def _landed(adapter: Adapter, stream: str) -> set[str]:
    return {item.external_id for item in asyncio.run(adapter.fetch(stream, None)).items}


def test_a_mastodon_status_from_the_year_9999_is_skipped_and_the_rest_land(caplog):
    baseline = _landed(harness_mastodon.build({}), "mentions")
    server = FakeMastodon()
    notification = server.data["notifications"][0]
    hostile = notification["status"]
    hostile["created_at"] = FAR_FUTURE

    landed = _landed(harness_mastodon.build({}, server), "mentions")

    assert hostile["id"] in baseline and len(baseline) > 1
    assert landed == baseline - {hostile["id"]}
    assert f"account 1 (@brand@social.example), external id '{notification['id']}'" in caplog.text


def test_an_x_post_from_the_year_9999_is_skipped_and_the_rest_land(caplog):
    baseline = _landed(harness_x.build({}, FakeX(page_size=100)), "mentions")
    server = FakeX(page_size=100)
    hostile = server.data["mentions"][0]
    hostile["created_at"] = FAR_FUTURE

    landed = _landed(harness_x.build({}, server), "mentions")

    assert hostile["id"] in baseline and len(baseline) > 1
    assert landed == baseline - {hostile["id"]}
    assert f"external id '{hostile['id']}'" in caplog.text


def test_a_bluesky_post_claiming_the_year_9999_lands_at_its_indexed_time():
    pds = FakePds()
    hostile = pds.notifications[0]
    hostile["record"]["createdAt"] = FAR_FUTURE
    account = AccountRef(
        id=1,
        platform="bluesky",
        handle="brand.example.com",
        base_url="https://entryway.example.com",
    )
    adapter = BlueskyAdapter(
        account,
        httpx.AsyncClient(transport=pds.transport),
        {"app_password": APP_PASSWORD},
        clock=lambda: NOW,
    )

    page = asyncio.run(adapter.fetch("notifications", None))

    expected = [
        entry["uri"]
        for entry in pds.notifications[:50]
        if entry["reason"] in ("mention", "reply", "quote")
    ]
    assert [item.external_id for item in page.items] == expected
    [landed] = [item for item in page.items if item.external_id == hostile["uri"]]
    assert landed.created_at == datetime.fromisoformat(hostile["indexedAt"])


def test_a_bluesky_notification_indexed_in_the_year_9999_is_skipped_and_the_rest_land():
    pds = FakePds()
    hostile = pds.notifications[0]
    hostile["indexedAt"] = FAR_FUTURE
    account = AccountRef(id=1, platform="bluesky", handle="brand.example.com")
    adapter = BlueskyAdapter(
        account,
        httpx.AsyncClient(transport=pds.transport),
        {"app_password": APP_PASSWORD},
        clock=lambda: NOW,
    )

    page = asyncio.run(adapter.fetch("notifications", None))

    expected = [
        entry["uri"]
        for entry in pds.notifications[1:50]
        if entry["reason"] in ("mention", "reply", "quote")
    ]
    assert [item.external_id for item in page.items] == expected and expected


def test_a_reddit_comment_from_beyond_the_year_9999_is_skipped_and_the_rest_land():
    baseline = _landed(harness_reddit.build({}), "mentions")
    server = FakeReddit()
    hostile = server.data["mentions"]["data"]["children"][0]["data"]
    hostile["created_utc"] = 10**20

    landed = _landed(harness_reddit.build({}, server), "mentions")

    assert hostile["name"] in baseline and len(baseline) > 1
    assert landed == baseline - {hostile["name"]}


def test_an_email_dated_in_the_year_9999_lands_at_its_arrival_time():
    damaged = fixture_bytes("multipart.eml").replace(
        b"\nDate:", b"\nDate: Fri, 31 Dec 9999 23:00:00 -0500\nX-Old-Date:", 1
    )
    adapter = _email_adapter({1: damaged, 2: fixture_bytes("html_only.eml")})

    page = asyncio.run(adapter.fetch("inbox", None))

    assert len(page.items) == 2
    assert page.items[0].created_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
