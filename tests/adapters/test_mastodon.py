"""The Mastodon adapter, replayed against real recorded answers and a fake instance.

Recordings come from ../shared/recordings/mastodon (Mastodon.py's suite against a local
Mastodon 4.5); the fake instance in harness_mastodon serves hand-made data, and
tests/support/loopback_mastodon a hand-made instance on 127.0.0.1 that can lose an answer.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters._http import RequestRefused
from adapters.base import (
    AccountRef,
    Attachment,
    AttachmentKind,
    AuthExpired,
    Direction,
    FetchedContact,
    Kind,
    NotReached,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from adapters.mastodon.adapter import MastodonAdapter
from adapters.mastodon.mapping import html_to_text, id_order, status_item
from adapters.mastodon.payloads import Status
from inbox.core.sanitize import MAX_STORED_TEXT, for_storage
from inbox.store.ingest import _problem
from tests.adapters import test_hostile_payloads as hostile_pages
from tests.adapters.harness_mastodon import RICH, FakeMastodon, build
from tests.conftest import RECORDINGS, skip_or_fail
from tests.support.cassettes import Replay, pick, recording
from tests.support.loopback import Fault
from tests.support.loopback_mastodon import LoopbackMastodon

LOCAL = "http://localhost:3000"
RECORDED_TOKEN = "recorded-token"
OWN = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "mastodon" / "own_statuses.json").read_text(
        encoding="utf-8"
    )
)
"""The brand's own statuses, newest first (hand-made; 120005 is malformed on purpose)."""
OWN_STATUSES_PATH = f"/api/v1/accounts/{OWN['brand']['id']}/statuses"
NOON = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def recorded_adapter(replay: Replay, handle: str = "mastodonpy_test") -> MastodonAdapter:
    account = AccountRef(id=1, platform="mastodon", handle=handle, base_url=LOCAL)
    return MastodonAdapter(account, replay.client(), {"access_token": RECORDED_TOKEN})


def empty_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=[])


def reply(
    key: str, text: str, in_reply_to: str | None = None, kind: Kind = Kind.MENTION, **extra
) -> OutboundRequest:
    return OutboundRequest(
        idempotency_key=key, kind=kind, text=text, in_reply_to=in_reply_to, **extra
    )


# -- recordings -------------------------------------------------------------------------


def test_every_mastodon_recording_is_replayed_here():
    if not (RECORDINGS / "mastodon").exists():
        skip_or_fail(f"no shared recordings at {RECORDINGS}")
    replayed = {
        "test_notifications.yaml",
        "test_notifications_mentions_only.yaml",
        "test_grouped_notification_pagination.yaml",
        "test_conversations.yaml",
        "test_status_context.yaml",
        "test_status_reply.yaml",
        "test_status_post[None-direct].yaml",
        "test_min_max_id.yaml",
        "test_markers.yaml",
        "test_status_missing.yaml",
        "test_status_empty.yaml",
        "test_home_tl_anonymous_throws.yaml",
    }
    assert {path.name for path in (RECORDINGS / "mastodon").glob("*.yaml")} == replayed


@pytest.mark.parametrize(
    ("name", "cursor"),
    [("test_notifications_mentions_only.yaml", "21"), ("test_notifications.yaml", "20")],
)
async def test_a_recorded_mention_becomes_an_item_and_the_link_header_the_cursor(name, cursor):
    recorded = recording("mastodon", name)
    replay = Replay().route(
        "GET", "/api/v1/notifications", pick(recorded, "GET", "/api/v1/notifications")
    )
    adapter = recorded_adapter(replay)

    page = await adapter.fetch("mentions", None)

    [item] = page.items
    assert item.external_id == pick(recorded, "POST", "/api/v1/statuses").json()["id"]
    assert item.author == FetchedContact(
        external_id="117020565693913441", handle="@admin", display_name=None
    )
    assert item.text == "@mastodonpy_test hello!"
    assert (item.kind, item.direction) == (Kind.MENTION, Direction.IN)
    assert item.thread_key == f"status:{item.external_id}"
    posted_at = pick(recorded, "POST", "/api/v1/statuses").json()["created_at"]
    assert item.created_at == datetime.fromisoformat(posted_at)
    assert item.created_at.date() == datetime(2026, 8, 1, tzinfo=UTC).date()
    assert item.url == f"{LOCAL}/@admin/{item.external_id}"
    assert page.next_cursor == cursor and not page.has_more
    [request] = replay.requests
    assert request.url.params.get_list("types[]") == ["mention"]
    assert request.url.params["limit"] == "40" and "min_id" not in request.url.params
    assert request.headers["Authorization"] == f"Bearer {RECORDED_TOKEN}"


async def test_the_next_poll_reads_forward_from_the_cursor_with_min_id():
    recorded = recording("mastodon", "test_notifications_mentions_only.yaml")
    replay = Replay().route("GET", "/api/v1/notifications", empty_page)

    page = await recorded_adapter(replay).fetch("mentions", "21")

    assert page.items == () and page.next_cursor == "21"
    assert replay.requests[0].url.params["min_id"] == "21"
    assert pick(recorded, "GET", "/api/v1/notifications").url.params.get_list("types[]") == [
        "mention"
    ]


async def test_recorded_conversations_become_direct_messages_keyed_by_conversation():
    recorded = recording("mastodon", "test_conversations.yaml")
    context = pick(recording("mastodon", "test_status_context.yaml"), "GET", "/context")
    replay = (
        Replay()
        .route("GET", "/api/v1/conversations", pick(recorded, "GET", "/api/v1/conversations"))
        .route("GET", "/context", context)
    )

    page = await recorded_adapter(replay, handle="mastodonpy_test_2").fetch("direct", None)

    assert [(item.external_id, item.thread_key) for item in page.items] == [
        ("117020588388552703", "conversation:12"),
        ("117020593780198542", "conversation:15"),
    ]
    assert {item.kind for item in page.items} == {Kind.DM}
    assert {item.direction for item in page.items} == {Direction.OUT}
    assert page.items[1].text == "@admin ilu bby ;3"
    assert page.items[0].parent_external_id == "117020588315335369"
    assert page.next_cursor == "117020593780198542"
    assert [request.url.path for request in replay.requests] == [
        "/api/v1/conversations",
        "/api/v1/statuses/117020588388552703/context",
    ]


async def test_a_reply_whose_context_is_empty_is_keyed_by_its_parent():
    recorded_reply = pick(
        recording("mastodon", "test_status_reply.yaml"), "POST", "/api/v1/statuses", nth=1
    ).json()
    context = pick(recording("mastodon", "test_status_context.yaml"), "GET", "/context")
    notification = {
        "id": "30",
        "type": "mention",
        "created_at": recorded_reply["created_at"],
        "status": recorded_reply,
    }
    replay = (
        Replay()
        .route(
            "GET", "/api/v1/notifications", lambda request: httpx.Response(200, json=[notification])
        )
        .route("GET", "/context", context)
    )

    [item] = (
        await recorded_adapter(replay, handle="mastodonpy_test_2").fetch("mentions", None)
    ).items

    assert item.thread_key == "status:117020583245459824"
    assert item.parent_external_id == "117020583245459824"
    assert item.text == "@mastodonpy_test_2 same!"


async def test_a_reply_is_posted_with_in_reply_to_and_the_idempotency_key():
    recorded = recording("mastodon", "test_status_reply.yaml")
    replay = Replay().route(
        "POST", "/api/v1/statuses", pick(recorded, "POST", "/api/v1/statuses", nth=1)
    )

    sent = await recorded_adapter(replay).send(
        reply("outbound-7", "@mastodonpy_test_2 same!", "117020583245459824")
    )

    assert sent.external_id == "117020583258292382"
    assert sent.url == f"{LOCAL}/@admin/117020583258292382"
    [request] = replay.requests
    form = dict(httpx.QueryParams(request.content.decode()))
    assert form == {
        "status": "@mastodonpy_test_2 same!",
        "visibility": "public",
        "in_reply_to_id": "117020583245459824",
    }
    assert request.headers["Idempotency-Key"] == "outbound-7"
    assert request.headers["Authorization"] == f"Bearer {RECORDED_TOKEN}"


@pytest.mark.parametrize(
    ("name", "recipient", "posted_text"),
    [
        ("test_conversations.yaml", "admin", "@admin ilu bby ;3"),
        ("test_status_post[None-direct].yaml", None, "Toot!"),
    ],
)
async def test_a_direct_message_is_a_direct_status_naming_its_recipient(
    name, recipient, posted_text
):
    recorded = pick(recording("mastodon", name), "POST", "/api/v1/statuses")
    replay = Replay().route("POST", "/api/v1/statuses", recorded)
    text = "ilu bby ;3" if recipient else "Toot!"
    to = FetchedContact(external_id="1", handle=f"@{recipient}") if recipient else None

    sent = await recorded_adapter(replay).send(reply("dm-1", text, kind=Kind.DM, recipient=to))

    assert sent.external_id == recorded.json()["id"]
    assert recorded.json()["visibility"] == "direct"
    form = dict(httpx.QueryParams(replay.requests[0].content.decode()))
    assert form == {"status": posted_text, "visibility": "direct"}


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("test_grouped_notification_pagination.yaml", 10),
        ("test_markers.yaml", 1),
        ("test_min_max_id.yaml", 1),
    ],
)
async def test_recorded_post_answers_become_sent_refs(name, count):
    posts = [
        i
        for i in recording("mastodon", name)
        if i.method == "POST" and i.url.path == "/api/v1/statuses"
    ]
    replay = Replay().route("POST", "/api/v1/statuses", posts)
    adapter = recorded_adapter(replay)

    sent = [await adapter.send(reply(f"key-{n}", f"post {n}")) for n in range(count)]

    assert [ref.external_id for ref in sent] == [post.json()["id"] for post in posts]
    assert all(ref.sent_at is not None and ref.sent_at.tzinfo is not None for ref in sent)
    assert [request.headers["Idempotency-Key"] for request in replay.requests] == [
        f"key-{n}" for n in range(count)
    ]


def test_recorded_timeline_statuses_map_to_items_and_grouped_pages_link_onward():
    recorded = recording("mastodon", "test_min_max_id.yaml")
    timeline = pick(recorded, "GET", "/api/v1/timelines/home")
    [status] = [Status.parse(entry) for entry in timeline.json()]
    item = status_item(
        status, kind=Kind.MENTION, thread_key="status:x", own_handle="@mastodonpy_test@localhost"
    )
    assert (item.external_id, item.text, item.direction) == (
        "117020594094054884",
        "Toot!",
        Direction.OUT,
    )
    assert timeline.response().links["prev"]["url"].endswith("min_id=117020594094054884")

    grouped = pick(
        recording("mastodon", "test_grouped_notification_pagination.yaml"),
        "GET",
        "/api/v2/notifications",
    )
    assert grouped.response().links["next"]["url"].endswith("max_id=38")


async def test_a_recorded_401_is_auth_expired_and_never_shows_the_token():
    refused = recording("mastodon", "test_home_tl_anonymous_throws.yaml")[0]
    replay = Replay().route("GET", "/api/v1/notifications", refused)

    with pytest.raises(AuthExpired) as raised:
        await recorded_adapter(replay).fetch("mentions", None)

    assert RECORDED_TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "status"), [("test_status_empty.yaml", 422), ("test_status_missing.yaml", 404)]
)
async def test_a_refused_post_is_request_refused_without_its_localised_text(name, status):
    refused = recording("mastodon", name)[0]
    replay = Replay().route("POST", "/api/v1/statuses", refused)

    with pytest.raises(RequestRefused) as raised:
        await recorded_adapter(replay).send(reply("k", ""))

    assert raised.value.status_code == status
    assert isinstance(raised.value, PayloadInvalid)
    assert json.loads(refused.body)["error"] not in str(raised.value)


async def test_a_recorded_404_for_a_context_falls_back_to_the_parent(caplog):
    missing = recording("mastodon", "test_status_missing.yaml")[0]
    replay = Replay().route("GET", "/context", missing)
    server = FakeMastodon()
    adapter = recorded_adapter(replay)
    reply_status = Status.parse(server.data["notifications"][2]["status"])

    assert await adapter._root(reply_status) == ("110100", False)
    assert "could not read the context" in caplog.text


def test_recorded_rate_limit_resets_are_iso_times():
    from adapters._http import reset_from_iso

    response = pick(
        recording("mastodon", "test_notifications.yaml"), "GET", "/api/v1/notifications"
    ).response()
    assert reset_from_iso("X-RateLimit-Reset")(response.headers, datetime.now(UTC)) == datetime(
        2026, 8, 1, 13, 55, 0, 248623, tzinfo=UTC
    )


# -- the fake instance (hand-made data) --------------------------------------------------


async def test_mentions_skip_direct_and_malformed_ones_and_key_replies_by_their_root(caplog):
    server = FakeMastodon()
    adapter = build({}, server)

    page = await adapter.fetch("mentions", None)

    by_id = {item.external_id: item for item in page.items}
    assert list(by_id) == ["110201", "110203", "110205", "110207"]
    assert by_id["110201"].text == (
        "@brand is the app down?\nIt will not load.\n\nSee https://status.example/incidents/42"
    )
    assert (by_id["110203"].thread_key, by_id["110203"].kind) == ("status:110100", Kind.COMMENT)
    assert by_id["110203"].author.handle == "@dave@other.example"
    assert (by_id["110207"].thread_key, by_id["110207"].kind) == ("status:109999", Kind.MENTION)
    assert "110206" in caplog.text or "506" in caplog.text
    assert page.next_cursor == "507"


async def test_a_hostile_mention_is_stored_whole_and_safe():
    page = await build({}).fetch("mentions", None)
    [hostile] = [item for item in page.items if item.external_id == "110205"]

    assert _problem(hostile) is None
    assert hostile.text.startswith("AAAA")
    assert hostile.attachments == (
        Attachment(kind=AttachmentKind.WARNING, description="spoilers \x07"),
    )
    assert (
        "[bold]markup[/bold]" in hostile.text
        and "<script>" in hostile.text
        and "\u202e" in hostile.text
    )
    assert hostile.author.display_name == "[bold red]Mallory[/]"
    stored = for_storage(hostile.text)
    assert "\x00" not in stored and len(stored) <= MAX_STORED_TEXT + 1


async def test_direct_conversations_bring_earlier_messages_after_the_cursor():
    page = await build({}).fetch("direct", None)

    assert [(item.external_id, item.thread_key, item.direction) for item in page.items] == [
        ("110301", "conversation:31", Direction.IN),
        ("110302", "conversation:31", Direction.IN),
        ("110303", "conversation:32", Direction.OUT),
    ]
    assert page.next_cursor == "110303"

    later = await build({}).fetch("direct", "110301")
    assert [item.external_id for item in later.items] == ["110302", "110303"]


async def test_a_full_page_after_a_cursor_says_there_is_more():
    server = FakeMastodon()
    template = server.data["notifications"][0]
    server.data["notifications"] = [
        {**template, "id": str(1000 + n), "status": {**template["status"], "id": str(5000 + n)}}
        for n in range(45)
    ]
    adapter = build({}, server)

    first = await adapter.fetch("mentions", "999")
    second = await adapter.fetch("mentions", first.next_cursor)

    assert (len(first.items), first.has_more, first.next_cursor) == (40, True, "1039")
    assert (len(second.items), second.has_more) == (5, False)


async def test_a_repeated_idempotency_key_returns_the_same_status():
    server = FakeMastodon()
    adapter = build({}, server)
    request = reply("outbound-1", "We are on it.", "110201")

    first = await adapter.send(request)
    again = await build({}, server).send(request)

    assert first == again and len(server.posted) == 1
    assert await build({}, server).find_sent(request, NOON - timedelta(hours=1)) == first


async def test_the_instance_text_limit_is_read_from_v2_instance():
    assert await build({}).read_text_limit() == 1000

    refused = Replay().route(
        "GET", "/api/v2/instance", lambda request: httpx.Response(404, json={"error": "x"})
    )
    assert await recorded_adapter(refused).read_text_limit() is None


async def test_a_429_is_rate_limited_until_the_iso_reset():
    with pytest.raises(RateLimited) as raised:
        await build({"fail": "rate_limited"}).fetch("direct", None)
    assert raised.value.reset_at == datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectError("refused"), "NotReached"),
        (httpx.ReadTimeout("slow"), "PlatformUnavailable"),
        (httpx.RemoteProtocolError("dropped"), "PlatformUnavailable"),
    ],
)
async def test_network_failures_are_platform_unavailable(error, expected):
    """A refused connection posted nothing (NotReached); a lost answer may have posted."""

    def broken(request: httpx.Request) -> httpx.Response:
        raise error

    with pytest.raises(Exception) as raised:
        await recorded_adapter(Replay().route("GET", "/", broken)).fetch("mentions", None)
    assert type(raised.value).__name__ == expected


async def test_5xx_is_platform_unavailable_and_no_token_means_auth_expired():
    from adapters.base import PlatformUnavailable

    down = Replay().route("GET", "/", lambda request: httpx.Response(503, json={"error": "x"}))
    with pytest.raises(PlatformUnavailable):
        await recorded_adapter(down).fetch("mentions", None)
    account = AccountRef(id=1, platform="mastodon", handle="brand", base_url=LOCAL)
    with pytest.raises(AuthExpired):
        await MastodonAdapter(account, Replay().client(), {}).fetch("mentions", None)


def test_html_keeps_breaks_and_paragraphs_and_unescapes_entities():
    assert html_to_text("<p>a &amp; b<br />c</p><p>d</p>") == "a & b\nc\n\nd"
    assert html_to_text("") == ""


@pytest.mark.parametrize(
    ("html", "text"),
    [
        (
            '<p>See <a href="https://status.example/incidents/42"><span class="invisible">https://'
            '</span><span class="ellipsis">status.example/incid</span><span class="invisible">'
            "ents/42</span></a></p>",
            "See https://status.example/incidents/42",
        ),
        (
            '<p><a href="https://bsky.app/profile/h4lcy.bsky.social/post/3lwlumdwf522i">'
            "bsky.app/profile/h4lc...</a></p>",
            "https://bsky.app/profile/h4lcy.bsky.social/post/3lwlumdwf522i",
        ),
        (
            '<p><a href="https://status.example/incidents/42">our status page</a></p>',
            "our status page (https://status.example/incidents/42)",
        ),
        (
            '<p><a href="https://evil.example/login"><span class="invisible">https://</span>'
            "bank.example/login</a></p>",
            "bank.example/login (https://evil.example/login)",
        ),
        (
            '<p><a href="https://de.example/wiki/%C3%84rger">https://de.example/wiki/Ärger</a></p>',
            "https://de.example/wiki/%C3%84rger",
        ),
        (
            '<p><span class="h-card"><a href="https://social.example/@brand" '
            'class="u-url mention">@<span>brand</span></a></span> hi <a '
            'href="https://social.example/tags/Outage" class="mention hashtag" rel="tag">'
            "#<span>Outage</span></a></p>",
            "@brand hi #Outage",
        ),
        (
            '<p><a href="https://evil.example/" class="mention">support desk</a></p>',
            "support desk (https://evil.example/)",
        ),
        (
            '<![foo[ <p>see <a href="https://x.example/a">here</a></p>',
            "<![foo[\n\nsee here (https://x.example/a)",
        ),
    ],
    ids=[
        "mastodon-shortened",
        "bridge-truncated",
        "anchor-text",
        "text-hiding-its-host",
        "percent-encoded",
        "mention-and-hashtag",
        "mention-class-without-at",
        "broken-declaration",
    ],
)
def test_a_link_reads_as_its_full_target_and_mentions_and_hashtags_as_themselves(html, text):
    assert html_to_text(html) == text


# -- what a status carries besides its text (tests/data/mastodon/rich.json) ---------------

RICH_DATA = json.loads(RICH.read_text(encoding="utf-8"))


def rich_server() -> FakeMastodon:
    return FakeMastodon(data=json.loads(RICH.read_text(encoding="utf-8")))


async def rich_items(stream: str = "mentions", server: FakeMastodon | None = None) -> dict:
    page = await build({}, server or rich_server()).fetch(stream, None)
    return {item.external_id: item for item in page.items}


async def test_an_image_only_status_is_an_item_with_its_image_and_alt_text():
    items = await rich_items()

    image_only = items["110401"]
    assert image_only.text == ""
    assert image_only.attachments == (
        Attachment(
            kind=AttachmentKind.IMAGE,
            url="https://files.social.example/media_attachments/files/110/400/002/original/"
            "97232afa341c291e.jpg",
            description="A parcel with its corner crushed in, the label torn",
        ),
    )


@pytest.mark.parametrize(
    ("media", "kind", "url"),
    [
        ({"type": "image", "url": "https://f.example/a.jpg"}, AttachmentKind.IMAGE, "/a.jpg"),
        ({"type": "gifv", "url": "https://f.example/b.mp4"}, AttachmentKind.VIDEO, "/b.mp4"),
        ({"type": "video", "url": "https://f.example/c.mp4"}, AttachmentKind.VIDEO, "/c.mp4"),
        ({"type": "audio", "url": "https://f.example/d.mp3"}, AttachmentKind.AUDIO, "/d.mp3"),
        (
            {"type": "unknown", "url": None, "remote_url": "https://r.example/e.opus"},
            AttachmentKind.FILE,
            "/e.opus",
        ),
    ],
)
def test_each_media_type_becomes_its_kind_with_its_alt_text(media, kind, url):
    raw = {
        **RICH_DATA["notifications"][0]["status"],
        "media_attachments": [{**media, "id": "9", "description": "what it shows"}],
    }

    item = status_item(Status.parse(raw), kind=Kind.MENTION, thread_key="status:x", own_handle="b")

    [attachment] = item.attachments
    assert (attachment.kind, attachment.description) == (kind, "what it shows")
    assert attachment.url is not None and attachment.url.endswith(url)


async def test_a_content_warning_comes_first_and_its_words_stay_out_of_the_text():
    outage = (await rich_items())["110402"]

    assert [attachment.kind for attachment in outage.attachments] == [
        AttachmentKind.WARNING,
        AttachmentKind.VIDEO,
    ]
    assert outage.attachments[0].description == "Outage, flashing images"
    assert outage.attachments[1].description == "The app's spinner going round and round"
    assert outage.text == "@brand the app is stuck again #BrandOutage"


async def test_a_poll_brings_its_options_and_the_votes_so_far():
    asked = (await rich_items())["110403"]

    [poll] = asked.attachments
    assert poll.kind == AttachmentKind.POLL
    assert poll.options == ("Yes, all day", "Only this morning", "No problems here")
    assert (
        poll.description
        == "Yes, all day: 39, Only this morning: 17, No problems here: 8 (64 votes)"
    )
    assert asked.text == "@brand was the app down for everyone today?"


async def test_a_poll_whose_votes_are_hidden_still_brings_its_options():
    server = rich_server()
    poll = server.data["notifications"][2]["status"]["poll"]
    poll.update(votes_count=None, expired=True)
    for option in poll["options"]:
        option["votes_count"] = None

    [attachment] = (await rich_items(server=server))["110403"].attachments

    assert attachment.options == ("Yes, all day", "Only this morning", "No problems here")
    assert attachment.description is None


async def test_a_link_card_brings_its_title_description_and_address():
    asking = (await rich_items())["110404"]

    assert asking.attachments == (
        Attachment(
            kind=AttachmentKind.LINK,
            url="https://shop.example/orders/help/returns-and-refunds-for-damaged-parcels",
            title="Returns and refunds for damaged parcels",
            description="Send us a photo within 14 days and we refund or replace the order.",
        ),
    )
    assert asking.text.endswith(
        "page? https://shop.example/orders/help/returns-and-refunds-for-damaged-parcels"
    )


async def test_a_quote_brings_the_quoted_status_and_its_re_link_leaves_the_text():
    quoting = (await rich_items())["110405"]

    assert quoting.text == "@brand it is not back for me"
    assert quoting.attachments == (
        Attachment(
            kind=AttachmentKind.QUOTE,
            url="https://social.example/@brand/110100",
            description="Our service is back. Thanks for your patience!",
            author="@brand",
        ),
    )


@pytest.mark.parametrize(
    "quote",
    [
        {"state": "deleted", "quoted_status": None},
        {"state": "pending"},
        {"state": "revoked", "quoted_status": RICH_DATA["notifications"][1]["status"]},
        None,
    ],
    ids=["deleted", "pending", "revoked", "none"],
)
async def test_a_quote_that_cannot_be_shown_keeps_its_re_link_in_the_text(quote):
    server = rich_server()
    server.data["notifications"][4]["status"]["quote"] = quote

    quoting = (await rich_items(server=server))["110405"]

    assert quoting.attachments == ()
    assert quoting.text == (
        "RE: https://social.example/@brand/110100\n\n@brand it is not back for me"
    )


def test_a_quote_nested_thousands_deep_is_read_one_level(caplog):
    raw = RICH_DATA["notifications"][4]["status"]
    nested = raw
    for depth in range(3000):
        nested = {**raw, "id": str(depth), "quote": {"state": "accepted", "quoted_status": nested}}

    item = status_item(
        Status.parse(nested), kind=Kind.MENTION, thread_key="status:x", own_handle="b"
    )

    [quote] = item.attachments
    assert quote.kind == AttachmentKind.QUOTE and quote.author == "@dave@other.example"
    assert caplog.records == [], "nothing below the first quote is read, so nothing fails"


async def test_links_in_text_keep_their_targets_and_the_mention_stays_a_mention():
    bridged = (await rich_items())["110406"]

    assert bridged.text == (
        "same problem here https://bsky.app/profile/h4lcy.bsky.social/post/3lwlumdwf522i, "
        "see their status page (https://status.example/incidents/42) @brand"
    )


async def test_an_uncached_remote_file_is_a_file_at_its_remote_address():
    [voice] = (await rich_items())["110408"].attachments

    assert voice == Attachment(
        kind=AttachmentKind.FILE,
        url="https://misskey.example/files/voice-note-8e2be16453b30958.opus",
    )


async def test_a_direct_message_carries_its_media_and_card_too():
    [receipt] = (await rich_items("direct")).values()

    assert receipt.kind == Kind.DM
    assert [(attachment.kind, attachment.description) for attachment in receipt.attachments] == [
        (AttachmentKind.IMAGE, "Receipt for order 1234, paid twice"),
        (
            AttachmentKind.LINK,
            "Send us a photo within 14 days and we refund or replace the order.",
        ),
    ]
    assert "https://shop.example/orders/help/returns-and-refunds-for-damaged-parcels" in (
        receipt.text
    )


async def test_a_mention_whose_status_was_deleted_is_passed_over_quietly(caplog):
    server = rich_server()
    deleted = server.data["notifications"][6]
    server.data["notifications"] += [{**deleted, "id": str(700 + number)} for number in range(31)]
    caplog.set_level("DEBUG", logger="adapters.mastodon")

    page = await build({}, server).fetch("mentions", None)

    assert deleted["status"] is None
    assert [item.external_id for item in page.items] == [
        "110401",
        "110402",
        "110403",
        "110404",
        "110405",
        "110406",
        "110408",
    ]
    assert page.next_cursor == "730", "the deleted ones are read past"
    assert [record.levelname for record in caplog.records] == ["DEBUG"]
    assert "32 Mastodon mentions" in caplog.records[0].getMessage()


async def test_an_unreadable_attachment_is_dropped_and_its_status_kept(caplog):
    server = rich_server()
    card = server.data["notifications"][3]["status"]
    card["card"] = {"title": "no url"}
    image = server.data["notifications"][0]["status"]
    image["media_attachments"] += ["junk", {"type": 5}]
    poll = server.data["notifications"][2]["status"]
    poll["poll"]["options"].append(7)
    quote = server.data["notifications"][4]["status"]
    del quote["quote"]["quoted_status"]["created_at"]

    items = await rich_items(server=server)

    assert len(items) == 7
    assert items["110404"].attachments == ()
    assert [attachment.kind for attachment in items["110401"].attachments] == [AttachmentKind.IMAGE]
    assert items["110403"].attachments == ()
    assert items["110405"].attachments == ()
    assert "RE: https://social.example/@brand/110100" in items["110405"].text
    dropped = [record.getMessage() for record in caplog.records if "dropped" in record.getMessage()]
    assert len(dropped) == 5 and all("of Mastodon status" in line for line in dropped)


@pytest.mark.parametrize("stream", ["mentions", "direct"])
def test_a_mutated_rich_page_gives_items_or_an_adapter_error(stream):
    page = RICH_DATA["notifications" if stream == "mentions" else "conversations"]
    path = "/api/v1/notifications" if stream == "mentions" else "/api/v1/conversations"
    serve = hostile_pages.mastodon(path)

    @settings(max_examples=40, deadline=None, derandomize=True)
    @given(
        changes=st.lists(
            hostile_pages.mutations(hostile_pages._paths(page)), min_size=1, max_size=3
        )
    )
    def check(changes) -> None:
        hostile_pages.assert_items_or_adapter_error(
            serve(hostile_pages.mutated_body(page, changes)), stream
        )

    check()


# -- finding an interrupted send on the instance -----------------------------------------


def own_statuses(page_size: int):
    """A handler serving the brand's own statuses newest first, `page_size` to a page,
    below `max_id`, with the `Link` header a real instance sends."""

    def answer(request: httpx.Request) -> httpx.Response:
        max_id = request.url.params.get("max_id")
        older = [
            status
            for status in OWN["statuses"]
            if max_id is None or id_order(status["id"]) < id_order(max_id)
        ]
        page = older[:page_size]
        if not page:
            return httpx.Response(200, json=[])
        base = f"{LOCAL}{OWN_STATUSES_PATH}?limit={page_size}"
        link = (
            f'<{base}&max_id={page[-1]["id"]}>; rel="next", '
            f'<{base}&min_id={page[0]["id"]}>; rel="prev"'
        )
        return httpx.Response(200, json=page, headers={"Link": link})

    return answer


def own_replay(page_size: int = 40) -> Replay:
    return (
        Replay()
        .route(
            "GET",
            "/api/v1/accounts/verify_credentials",
            lambda request: httpx.Response(200, json=OWN["brand"]),
        )
        .route("GET", OWN_STATUSES_PATH, own_statuses(page_size))
    )


async def test_a_reply_whose_answer_was_a_5xx_is_found_among_the_accounts_statuses():
    recorded = recording("mastodon", "test_status_reply.yaml")
    posted = pick(recorded, "POST", "/api/v1/statuses", nth=1)
    replay = (
        Replay()
        .route("POST", "/api/v1/statuses", lambda request: httpx.Response(503, json={}))
        .route("GET", "/verify_credentials", pick(recorded, "GET", "/verify_credentials"))
        .route("GET", "/statuses", lambda request: httpx.Response(200, json=[posted.json()]))
    )
    adapter = recorded_adapter(replay)
    request = reply("outbound-7", "@mastodonpy_test_2 same!", "117020583245459824")
    posted_at = datetime.fromisoformat(posted.json()["created_at"])

    with pytest.raises(PlatformUnavailable):
        await adapter.send(request)
    found = await recorded_adapter(replay).find_sent(request, posted_at - timedelta(minutes=2))

    assert found == SentRef(
        external_id="117020583258292382",
        url=f"{LOCAL}/@admin/117020583258292382",
        sent_at=posted_at,
    )
    [lookup] = replay.sent("GET", "/statuses")
    assert lookup.url.path == "/api/v1/accounts/117020565693913441/statuses"
    assert lookup.url.params["exclude_reblogs"] == "true"


@pytest.mark.parametrize(
    ("request_", "status_id"),
    [
        (
            reply(
                "k",
                "We are looking into it, thank you for your patience.\n\n"
                "Updates: https://status.example/incidents/42",
                "110201",
            ),
            "120003",
        ),
        (
            reply(
                "k",
                "@carol We are looking into it, thank you for your patience. Updates: "
                "https://status.example/incidents/42",
                thread_key="status:110201",
            ),
            "120003",
        ),
        (
            reply(
                "k",
                "Your refund is on its way & should land by Friday.",
                kind=Kind.DM,
                thread_key="conversation:41",
                recipient=FetchedContact(external_id="205", handle="@erin"),
            ),
            "120004",
        ),
    ],
    ids=["reply", "reply-by-thread-root", "direct-message"],
)
async def test_find_sent_answers_the_status_with_the_same_parent_and_text(request_, status_id):
    found = await recorded_adapter(own_replay(), handle="brand").find_sent(request_, NOON)

    assert found is not None and found.external_id == status_id
    assert found.url == f"https://social.example/@brand/{status_id}"
    assert found.sent_at is not None and found.sent_at >= NOON


@pytest.mark.parametrize(
    ("request_", "since"),
    [
        (reply("k", "We are looking into it!", "110201"), NOON),
        (reply("k", "Thanks Dave, fixed now.", "110201"), NOON),
        (reply("k", "We are looking into it.", "110201"), NOON - timedelta(minutes=30)),
        (reply("k", "Your refund is on its way & should land by Friday."), NOON),
        (reply("k", "Sorry for the wait!", "110201", kind=Kind.DM), NOON - timedelta(hours=1)),
    ],
    ids=[
        "other-text",
        "other-parent",
        "older-than-since",
        "reply-posted-as-dm",
        "dm-posted-public",
    ],
)
async def test_find_sent_is_none_when_no_own_status_since_matches(request_, since):
    assert await recorded_adapter(own_replay(), handle="brand").find_sent(request_, since) is None


async def test_find_sent_pages_back_by_the_link_header_and_stops_at_since():
    replay = own_replay(page_size=2)
    adapter = recorded_adapter(replay, handle="brand")

    sorry = await adapter.find_sent(
        reply("a", "Sorry for the wait!", "110201"), NOON - timedelta(hours=1)
    )
    never = await adapter.find_sent(
        reply("b", "Not posted.", "110201"), NOON - timedelta(minutes=30)
    )

    assert sorry is not None and sorry.external_id == "120002"
    assert never is None
    pages = [request.url.params.get("max_id") for request in replay.sent("GET", "/statuses")]
    assert pages == [None, "120005", "120003"] * 2, "the third page reaches past `since`"
    assert len(replay.sent("GET", "/verify_credentials")) == 1, "the account id is kept"


async def test_a_malformed_own_status_is_skipped_and_the_rest_are_read(caplog):
    replay = own_replay(page_size=2)
    request = reply("k", "Your refund is on its way & should land by Friday.", kind=Kind.DM)

    found = await recorded_adapter(replay, handle="brand").find_sent(request, NOON)

    assert found is not None and found.external_id == "120004"
    assert "120005" in caplog.text and "skipped a malformed Mastodon status" in caplog.text


async def test_find_sent_cannot_tell_when_more_pages_than_it_reads_are_newer_than_since():
    replay = own_replay(page_size=1)

    with pytest.raises(PlatformUnavailable, match="cannot tell"):
        await recorded_adapter(replay, handle="brand").find_sent(
            reply("k", "Not posted.", "110201"), NOON - timedelta(hours=3)
        )

    assert len(replay.sent("GET", "/statuses")) == 5


async def test_an_account_with_no_statuses_has_sent_nothing():
    replay = (
        Replay()
        .route("GET", "/verify_credentials", lambda request: httpx.Response(200, json=OWN["brand"]))
        .route("GET", OWN_STATUSES_PATH, empty_page)
    )

    assert await recorded_adapter(replay).find_sent(reply("k", "Hi", "1"), NOON) is None


@pytest.mark.parametrize("fault", [Fault.ANSWER_500, Fault.DROP, Fault.HANG])
async def test_a_send_whose_answer_was_lost_is_found_on_a_loopback_instance(fault):
    with LoopbackMastodon() as server:
        parent_id, thread_key = server.incoming(1)
        account = AccountRef(
            id=1,
            platform=server.platform,
            handle=server.handle,
            base_url=server.base_url,
            settings=server.settings,
        )
        request = OutboundRequest(
            idempotency_key="outbound-9",
            kind=Kind.MENTION,
            text="@customer Sorry! Your parcel: https://track.example/p/9\n\nA refund is coming.",
            thread_key=thread_key,
            in_reply_to=parent_id,
        )
        since = datetime.now(UTC) - timedelta(minutes=2)
        timeout = httpx.Timeout(10, read=0.5 if fault == Fault.HANG else 10)
        async with httpx.AsyncClient(timeout=timeout) as client:
            server.fault = fault
            with pytest.raises(PlatformUnavailable) as raised:
                await MastodonAdapter(account, client, server.credential).send(request)
            assert not isinstance(raised.value, NotReached), "it reached the instance"
            server.fault = Fault.NONE
            restarted = MastodonAdapter(account, client, server.credential)
            found = await restarted.find_sent(request, since)
            other = await restarted.find_sent(
                OutboundRequest(
                    idempotency_key="x", kind=Kind.MENTION, text="Hello", in_reply_to=parent_id
                ),
                since,
            )
            again = await restarted.send(request)

        assert found is not None and found.url == f"{server.base_url}/@brand/{found.external_id}"
        assert other is None
        assert again == found, "within the hour the same key answers the same status"
        assert server.replies_to(parent_id) == [request.text]


async def test_a_reply_with_no_parent_answers_its_threads_root_and_a_dm_answers_nothing():
    server = FakeMastodon()
    adapter = build({}, server)

    await adapter.send(reply("a", "Following up.", thread_key="status:110100"))
    await adapter.send(reply("b", "Following up.", kind=Kind.DM, thread_key="conversation:31"))

    assert [post["form"].get("in_reply_to_id") for post in server.posted] == ["110100", None]
