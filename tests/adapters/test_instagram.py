"""The Instagram adapter, against real recorded Graph bodies and webhook deliveries, and a fake.

Recordings are read in place from ../shared/recordings/instagram (bare Graph response
bodies from python-facebook's suite, served here with the status and usage headers Meta's
docs give) and ../shared/recordings/meta-webhooks (what Meta POSTs). The older bodies were
read with Graph's default fields, without `username`: those comments must be skipped one by
one with a log line while the walk goes on. The fake in harness_instagram serves hand-made
data with every field the adapter asks for.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import (
    AccountRef,
    AdapterError,
    AttachmentKind,
    AuthExpired,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)
from adapters.instagram import mapping
from adapters.instagram.adapter import InstagramAdapter
from adapters.instagram.payloads import Comment, Media
from inbox.store.ingest import _problem
from tests.adapters.harness_instagram import (
    API_BASE,
    CREDENTIAL,
    NOW,
    PAGE_TOKEN,
    FakeGraph,
    build,
    graph_error,
    usage_header,
)
from tests.adapters.test_hostile_payloads import _paths, mutated_body, mutations
from tests.conftest import RECORDINGS, skip_or_fail

IG_USER_ID = "17841406338772941"
"""The account the recorded bodies were read as (python-facebook's `ikroskun`)."""
BRAND_IG = "17841400000000001"
BRAND_PAGE = "100000000000001"


# -- recordings ---------------------------------------------------------------------------


def recorded(folder: str, name: str) -> Any:
    """A bare recorded body, decoded; skips (fails under CI) when the recordings are absent."""
    path = RECORDINGS / folder / name
    if not path.exists():
        skip_or_fail(f"recording {path} is not there (the shared recordings sit beside it)")
    return json.loads(path.read_text(encoding="utf-8"))


Route = Callable[[httpx.Request], Any]


class GraphReplay:
    """Answers Graph requests by path from recorded bodies, with the headers Meta documents.

    A route is a path (under /v25.0) and a body, or a function of the request giving one.
    Every request is kept, so tests assert on paths, fields and the token header.
    """

    def __init__(self, routes: dict[tuple[str, str], Any], usage_percent: int = 5) -> None:
        self.routes = routes
        self.usage_percent = usage_percent
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path.removeprefix("/v25.0")
        answer = self.routes.get((request.method, path))
        if answer is None:
            raise AssertionError(f"nothing recorded for {request.method} {request.url}")
        body = answer(request) if callable(answer) else answer
        return httpx.Response(
            200,
            json=body,
            headers={"X-Business-Use-Case-Usage": usage_header(IG_USER_ID, self.usage_percent)},
        )

    def adapter(self, **settings_: Any) -> InstagramAdapter:
        account = AccountRef(
            id=1,
            platform="instagram",
            handle="@ikroskun",
            settings={"api_base": API_BASE, "ig_user_id": IG_USER_ID, "page_id": "1", **settings_},
        )
        client = httpx.AsyncClient(transport=httpx.MockTransport(self))
        return InstagramAdapter(account, client, CREDENTIAL, clock=lambda: NOW)


USED = {
    "medias_p1.json": "test_recorded_comments_without_usernames_are_skipped_and_paged_past",
    "comments_p1.json": "test_recorded_comments_without_usernames_are_skipped_and_paged_past",
    "comments_p2.json": "test_recorded_comments_without_usernames_are_skipped_and_paged_past",
    "ig_comment.json": "test_a_recorded_comment_by_the_account_is_out_in_its_own_thread",
    "ig_reply.json": "test_a_recorded_reply_by_the_account_is_found_after_an_interrupted_send",
    "replies.json": "test_recorded_replies_without_an_author_are_never_taken_for_ours",
    "mentioned_comment.json": "test_a_recorded_mention_delivery_is_fetched_by_its_ids",
    "mentioned_media.json": "test_a_recorded_caption_mention_becomes_a_mention_with_its_photo",
    "media_default.json": "test_a_recorded_caption_mention_becomes_a_mention_with_its_photo",
    "comment_fields.json": "test_recorded_comment_reads_parse_with_or_without_an_author_id",
    "comments_fields.json": "test_recorded_comment_reads_parse_with_or_without_an_author_id",
    "user_fields.json": "test_verify_names_the_recorded_account",
    "medias_p2.json": "test_recorded_comments_without_usernames_are_skipped_and_paged_past",
    "tagged_medias.json": "not polled: Instagram refuses comments on media the account is "
    "tagged in (IG User Mentions reference), so tags would be threads no one can answer",
}


def test_every_instagram_recording_is_used_or_said_why_not():
    folder = RECORDINGS / "instagram"
    if not folder.is_dir():
        skip_or_fail(f"no shared recordings at {folder}")
    assert sorted(path.name for path in folder.glob("*.json")) == sorted(USED)


async def test_recorded_comments_without_usernames_are_skipped_and_paged_past(caplog):
    media = recorded("instagram", "medias_p1.json")
    pages = [recorded("instagram", "comments_p1.json"), recorded("instagram", "comments_p2.json")]
    replay = GraphReplay(
        {
            ("GET", f"/{IG_USER_ID}/media"): media,
            ("GET", "/17896622936197745/comments"): lambda request: pages[
                1 if request.url.params.get("after") == "after" else 0
            ],
        }
    )
    adapter = replay.adapter()

    first = await adapter.fetch("comments", None)
    second = await adapter.fetch("comments", first.next_cursor)

    assert first.items == () and second.items == ()
    assert first.has_more and not second.has_more
    assert caplog.text.count("skipped a malformed Instagram comment") == 4
    assert "17858154961981086" in caplog.text
    comment_reads = [r for r in replay.requests if r.url.path.endswith("/comments")]
    assert [r.url.params.get("after") for r in comment_reads] == [None, "after"]
    assert "username" in comment_reads[0].url.params["fields"]
    assert all(r.headers["Authorization"] == f"Bearer {PAGE_TOKEN}" for r in replay.requests)
    assert all("access_token" not in str(r.url) for r in replay.requests)


async def test_a_recorded_comment_by_the_account_is_out_in_its_own_thread(caplog):
    comment = recorded("instagram", "ig_comment.json")
    replay = GraphReplay(
        {
            ("GET", f"/{IG_USER_ID}/media"): {
                "data": [{"id": "17846368219941692", "timestamp": "2020-02-13T10:35:40+0000"}]
            },
            ("GET", "/17846368219941692/comments"): {"data": [comment]},
        }
    )

    page = await replay.adapter().fetch("comments", None)

    [item] = page.items
    assert item.external_id == "17892250648466172"
    assert item.thread_key == "comment:17892250648466172"
    assert item.direction == Direction.OUT
    assert item.author == FetchedContact(external_id=IG_USER_ID, handle="@ikroskun")
    assert item.created_at == datetime(2020, 2, 24, 9, 15, 16, tzinfo=UTC)
    assert "skipped a malformed Instagram reply" in caplog.text
    assert "17845747489952795" in caplog.text


async def test_a_recorded_reply_by_the_account_is_found_after_an_interrupted_send():
    reply = recorded("instagram", "ig_reply.json")
    replay = GraphReplay({("GET", "/17955956875141196/replies"): {"data": [reply]}})
    request = OutboundRequest(
        idempotency_key="k1", kind=Kind.COMMENT, text="sex", thread_key="comment:17955956875141196"
    )

    found = await replay.adapter().find_sent(request, datetime(2019, 10, 15, 7, 6, 9, 500, UTC))

    assert found is not None and found.external_id == "18107567341036926"
    assert found.sent_at == datetime(2019, 10, 15, 7, 6, 9, tzinfo=UTC)
    later = await replay.adapter().find_sent(request, datetime(2019, 10, 15, 7, 6, 10, tzinfo=UTC))
    assert later is None


async def test_recorded_replies_without_an_author_are_never_taken_for_ours(caplog):
    replay = GraphReplay(
        {("GET", "/17858154961981086/replies"): recorded("instagram", "replies.json")}
    )
    request = OutboundRequest(
        idempotency_key="k1",
        kind=Kind.COMMENT,
        text="@lixiangguodu123 nihao",
        thread_key="comment:17858154961981086",
    )

    assert await replay.adapter().find_sent(request, datetime(2020, 1, 1, tzinfo=UTC)) is None
    assert "17847314687296283" in caplog.text


async def test_a_recorded_mention_delivery_is_fetched_by_its_ids():
    delivery = recorded("meta-webhooks", "instagram-wh-mentions.json")
    replay = GraphReplay(
        {("GET", f"/{IG_USER_ID}"): recorded("instagram", "mentioned_comment.json")}
    )

    [item] = await replay.adapter().webhook_items(delivery["entry"][0])

    [asked] = replay.requests
    assert asked.url.params["fields"].startswith("mentioned_comment.comment_id(17887498072083520){")
    assert item.kind == Kind.MENTION and item.direction == Direction.IN
    assert item.external_id == "17967008497439572"
    assert item.thread_key == "mention:17887498072083520/17967008497439572"
    assert item.text == "@ikroskun good"
    assert item.author.handle == "@ikroskun"


async def test_a_recorded_caption_mention_becomes_a_mention_with_its_photo():
    answer = recorded("instagram", "mentioned_media.json")
    replay = GraphReplay({("GET", f"/{IG_USER_ID}"): answer})
    entry = {
        "id": IG_USER_ID,
        "time": 1629364000,
        "changes": [{"field": "mentions", "value": {"media_id": "17889114512354744"}}],
    }

    [item] = await replay.adapter().webhook_items(entry)

    assert (
        replay.requests[0]
        .url.params["fields"]
        .startswith("mentioned_media.media_id(17889114512354744){")
    )
    assert item.thread_key == "mention:17889114512354744"
    assert item.text == "@ikroskun hey"
    [photo] = item.attachments
    assert photo.kind == AttachmentKind.IMAGE
    assert photo.url == answer["mentioned_media"]["media_url"]
    album = mapping.mentioning_media_item(Media.parse(recorded("instagram", "media_default.json")))
    assert album.url == "https://www.instagram.com/p/CRyZpmrjYC4/"
    assert album.attachments[0].kind == AttachmentKind.IMAGE and album.text == "ALBUM"


def test_recorded_comment_reads_parse_with_or_without_an_author_id():
    single = Comment.parse(recorded("instagram", "comment_fields.json"))
    both = recorded("instagram", "comments_fields.json")

    assert (single.id, single.username, single.author_id) == (
        "17892250648466172",
        "ikroskun",
        None,
    )
    assert mapping.comment_item(single, own_id=IG_USER_ID).author.external_id == "ikroskun"
    assert [Comment.parse(value).username for value in both.values()] == [
        "ikroskun",
        "lixiangguodu123",
    ]


async def test_verify_names_the_recorded_account():
    answer = recorded("instagram", "user_fields.json")
    replay = GraphReplay({("GET", f"/{IG_USER_ID}"): answer})

    assert await replay.adapter().verify() == "@facebookfordevelopers"
    assert replay.requests[0].url.params["fields"] == "id,username"


async def test_a_recorded_comment_delivery_is_a_reply_in_its_top_level_thread():
    delivery = recorded("meta-webhooks", "instagram-wh-comments-2021.json")

    [item] = await build({}).webhook_items(delivery["entry"][0])

    assert item.external_id == "123456789" and item.kind == Kind.COMMENT
    assert item.thread_key == "comment:987654321" and item.parent_external_id == "987654321"
    assert item.author == FetchedContact(external_id="1234536447", handle="@testuser")
    assert item.direction == Direction.IN and item.text == "This is an example."
    assert item.created_at == datetime.fromtimestamp(1519399307, UTC)


async def test_a_recorded_dm_delivery_keeps_what_instagram_cannot_show():
    delivery = recorded("meta-webhooks", "instagram-messaging-attachment-unsupported.json")

    [item] = await build({}).webhook_items(delivery["entry"][0])

    assert item.kind == Kind.DM and item.direction == Direction.IN
    assert item.thread_key == "dm:5614879045272581"
    assert item.external_id.startswith("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3")
    [attachment] = item.attachments
    assert attachment.kind == AttachmentKind.FILE
    assert attachment.url.startswith("https://lookaside.fbsbx.com/ig_messaging_cdn/")
    assert "Instagram does not show" in attachment.summary()
    assert _problem(item) is None


# -- polling and webhooks agree ------------------------------------------------------------


async def polled(stream: str, server: FakeGraph | None = None) -> dict[str, FetchedItem]:
    adapter = build({}, server or FakeGraph(page_size=100))
    items, cursor = {}, None
    while True:
        page = await adapter.fetch(stream, cursor)
        items.update({item.external_id: item for item in page.items})
        cursor = page.next_cursor
        if not page.has_more:
            return items


async def test_a_comment_polled_and_delivered_lands_in_one_thread_as_one_item():
    by_poll = (await polled("comments"))["17850000000000016"]
    entry = {
        "id": BRAND_IG,
        "time": 1772366400,
        "changes": [
            {
                "field": "comments",
                "value": {
                    "from": {"id": "5300000000000002", "username": "happy_hal"},
                    "media": {"id": "17900000000000003", "media_product_type": "FEED"},
                    "id": "17850000000000016",
                    "parent_id": "17850000000000012",
                    "text": "@bidi_bob same here",
                },
            }
        ],
    }

    [by_webhook] = await build({}).webhook_items(entry)

    for field in ("external_id", "thread_key", "kind", "direction", "author", "text"):
        assert getattr(by_webhook, field) == getattr(by_poll, field), field
    assert by_poll.thread_key == "comment:17850000000000012"


async def test_a_dm_polled_and_delivered_lands_in_one_thread_as_one_item():
    by_poll = (await polled("dms"))["aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxOjIwMQ"]
    event = {
        "sender": {"id": "6100000000000003"},
        "recipient": {"id": BRAND_IG},
        "timestamp": 1772179200000,
        "message": {"mid": by_poll.external_id, "text": "it broke like this"},
    }
    echo = {
        "sender": {"id": BRAND_IG},
        "recipient": {"id": "6100000000000003"},
        "timestamp": 1772179300000,
        "message": {"mid": "aWdfZAG1echo", "text": "Sorry Vic", "is_echo": True},
    }
    seen = {
        "sender": {"id": "6100000000000003"},
        "recipient": {"id": BRAND_IG},
        "timestamp": 1772179400000,
        "read": {"mid": "aWdfZAG1echo"},
    }

    delivered, sent = await build({}).webhook_items(
        {"id": BRAND_IG, "time": 1772179400000, "messaging": [event, echo, seen]}
    )

    assert (delivered.external_id, delivered.thread_key) == (
        by_poll.external_id,
        by_poll.thread_key,
    )
    assert delivered.direction == by_poll.direction == Direction.IN
    assert by_poll.thread_key == "dm:6100000000000003"
    assert (sent.thread_key, sent.direction) == ("dm:6100000000000003", Direction.OUT)


async def test_the_brands_own_comments_and_messages_come_back_as_out():
    comments, dms = await polled("comments"), await polled("dms")

    assert comments["17850000000000015"].direction == Direction.OUT
    assert comments["17850000000000015"].thread_key == "comment:17850000000000014"
    assert comments["17850000000000014"].direction == Direction.IN
    assert dms["aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxOjAwMw"].direction == Direction.OUT
    assert {item.thread_key for item in dms.values()} == {
        "dm:6100000000000001",
        "dm:6100000000000002",
        "dm:6100000000000003",
    }


async def test_direct_messages_carry_their_photo_shared_post_story_and_video():
    dms = await polled("dms")

    def kinds(external_id: str) -> list[tuple[AttachmentKind, str | None]]:
        return [(a.kind, a.url) for a in dms[external_id].attachments]

    assert kinds("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxOjAwMg") == [
        (
            AttachmentKind.IMAGE,
            "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=9001&signature=abc",
        )
    ]
    assert kinds("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxOjAwMQ") == [
        (AttachmentKind.LINK, "https://www.instagram.com/p/SPRING1/")
    ]
    story = dms["aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxOjEwMg"].attachments[0]
    assert story.kind == AttachmentKind.LINK and "mentions the account" in story.summary()
    assert kinds("aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxOjIwMQ")[0][0] == AttachmentKind.VIDEO


# -- cursors -------------------------------------------------------------------------------


async def test_the_next_poll_brings_only_what_arrived_even_in_the_same_second():
    server = FakeGraph(page_size=2)
    adapter = build({}, server)
    cursor = None
    while True:
        page = await adapter.fetch("comments", cursor)
        cursor = page.next_cursor
        if not page.has_more:
            break
    newest = server.data["comments"]["17900000000000003"][0]["replies"]["data"][0]
    same_second = {**newest, "id": "17850000000000099", "text": "one more", "parent_id": None}
    same_second.pop("user")
    same_second.update(
        username="late_lia", **{"from": {"id": "5300000000000009", "username": "late_lia"}}
    )
    server.data["comments"]["17900000000000003"].insert(0, same_second)

    arrived = []
    while True:
        page = await adapter.fetch("comments", cursor)
        arrived += [item.external_id for item in page.items]
        cursor = page.next_cursor
        if not page.has_more:
            break

    assert arrived == ["17850000000000099"]


async def walk_all(adapter: InstagramAdapter, cursor: str | None) -> tuple[list[str], str]:
    arrived = []
    while True:
        page = await adapter.fetch("comments", cursor)
        arrived += [item.external_id for item in page.items]
        cursor = page.next_cursor
        if not page.has_more:
            return arrived, cursor


async def test_a_comment_dated_far_ahead_does_not_hide_the_ones_after_it():
    server = FakeGraph(page_size=100)
    comments = server.data["comments"]["17900000000000003"]
    comments[0]["timestamp"] = "2199-01-01T00:00:00+0000"
    adapter = build({}, server)
    _, cursor = await walk_all(adapter, None)
    comments.insert(
        1, {**comments[1], "id": "17850000000000098", "timestamp": "2026-03-01T11:58:00+0000"}
    )

    arrived, _ = await walk_all(adapter, cursor)

    assert "17850000000000098" in arrived


async def test_a_post_deleted_mid_walk_is_passed_over_and_the_walk_goes_on(caplog):
    server = FakeGraph(page_size=2)
    adapter = build({}, server)
    first = await adapter.fetch("comments", None)
    del server.data["comments"]["17900000000000001"]

    rest = []
    cursor = first.next_cursor
    while True:
        page = await adapter.fetch("comments", cursor)
        rest += page.items
        cursor = page.next_cursor
        if not page.has_more:
            break

    assert "passed over Instagram media" in caplog.text
    assert {item.external_id for item in rest} == {
        "17850000000000012",
        "17850000000000016",
        "17850000000000011",
    }


def test_an_unreadable_cursor_is_refused_plainly():
    with pytest.raises(ValueError, match="not an Instagram cursor"):
        asyncio.run(build({}).fetch("comments", "{not json"))


# -- sending, finding, hiding --------------------------------------------------------------


def _sent_form(server: FakeGraph) -> tuple[str, dict[str, str]]:
    request = [r for r in server.requests if r.method == "POST"][-1]
    return request.url.path.removeprefix("/v25.0"), dict(
        httpx.QueryParams(request.content.decode())
    )


async def test_a_reply_to_a_reply_goes_under_its_top_level_comment():
    server = FakeGraph()
    request = OutboundRequest(
        idempotency_key="k1",
        kind=Kind.COMMENT,
        text="Thanks Hal!",
        thread_key="comment:17850000000000012",
        in_reply_to="17850000000000016",
    )

    sent = await build({}, server).send(request)

    path, form = _sent_form(server)
    assert path == "/17850000000000012/replies" and form == {"message": "Thanks Hal!"}
    assert sent.external_id in {r["id"] for r in server._replies_of("17850000000000012")}


async def test_a_mention_is_answered_on_its_media_and_comment():
    server = FakeGraph()
    adapter = build({}, server)

    await adapter.send(
        OutboundRequest("k1", Kind.MENTION, "We hear you", thread_key="mention:179100/178700")
    )
    in_comment = _sent_form(server)
    await adapter.send(OutboundRequest("k2", Kind.MENTION, "Enjoy!", thread_key="mention:179100"))
    in_caption = _sent_form(server)

    assert in_comment == (
        f"/{BRAND_IG}/mentions",
        {"media_id": "179100", "comment_id": "178700", "message": "We hear you"},
    )
    assert in_caption == (f"/{BRAND_IG}/mentions", {"media_id": "179100", "message": "Enjoy!"})


async def test_a_direct_message_goes_through_the_pages_send_api():
    server = FakeGraph()

    sent = await build({}, server).send(
        OutboundRequest("k1", Kind.DM, "Sending a new one today", thread_key="dm:6100000000000001")
    )

    [message] = server.sent_messages
    assert message["recipient"] == {"id": "6100000000000001"}
    assert message["message"] == {"text": "Sending a new one today"}
    assert sent.external_id == message["message_id"]
    assert server.requests[-1].url.path == f"/v25.0/{BRAND_PAGE}/messages"


async def test_a_reply_whose_answer_was_lost_is_found_and_not_sent_twice():
    server = FakeGraph(fail="answer_503_after_create")
    adapter = build({}, server)
    request = OutboundRequest(
        "k1", Kind.COMMENT, "Sorry about that, Rita", thread_key="comment:17850000000000002"
    )

    with pytest.raises(PlatformUnavailable):
        await adapter.send(request)
    found = await adapter.find_sent(request, NOW - timedelta(seconds=1))
    other = dataclasses.replace(request, text="A different answer")

    [created] = server._replies_of("17850000000000002")
    assert found is not None and found.external_id == created["id"]
    assert await adapter.find_sent(other, NOW - timedelta(seconds=1)) is None


async def test_hiding_and_showing_a_comment_again():
    server = FakeGraph()
    adapter = build({}, server)

    await adapter.hide("17850000000000012")
    assert server.hidden == {"17850000000000012": True}
    await adapter.hide("17850000000000012", hidden=False)

    assert server.hidden == {"17850000000000012": False}
    assert _sent_form(server) == ("/17850000000000012", {"hide": "false"})
    with pytest.raises(PayloadInvalid):
        await adapter.hide("no-such-comment")


def test_capabilities_say_what_instagram_allows():
    assert InstagramAdapter.can_post_statement is False
    assert InstagramAdapter.can_hide is True
    assert InstagramAdapter.reply_window_hours == 24
    assert InstagramAdapter.webhook_object == "instagram"
    assert (
        InstagramAdapter.webhook_key(
            AccountRef(1, "instagram", "@b", settings={"ig_user_id": BRAND_IG})
        )
        == BRAND_IG
    )
    assert InstagramAdapter.webhook_key(AccountRef(1, "instagram", "@b")) is None


# -- errors and rate limits ----------------------------------------------------------------


def _answering(status: int, body: Any, headers: dict[str, str] | None = None) -> InstagramAdapter:
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers or {})

    account = AccountRef(
        1, "instagram", "@brandcare", settings={"ig_user_id": BRAND_IG, "page_id": BRAND_PAGE}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return InstagramAdapter(account, client, CREDENTIAL, clock=lambda: NOW)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, 190, AuthExpired),
        (403, 200, AuthExpired),
        (400, 4, RateLimited),
        (400, 17, RateLimited),
        (400, 32, RateLimited),
        (400, 613, RateLimited),
        (400, 80002, RateLimited),
        (500, 2, PlatformUnavailable),
        (400, 100, PayloadInvalid),
    ],
)
async def test_graph_errors_map_to_the_error_tree_without_the_token(status, code, expected):
    body = graph_error(code, f"refused, token {PAGE_TOKEN} mentioned")
    adapter = _answering(status, body)

    with pytest.raises(expected) as raised:
        await adapter.fetch("dms", None)

    assert PAGE_TOKEN not in str(raised.value)


async def test_a_throttled_account_waits_as_long_as_meta_says():
    headers = {"X-Business-Use-Case-Usage": usage_header(BRAND_IG, 100, regain_minutes=42)}
    adapter = _answering(400, graph_error(80002, "too many calls"), headers)

    with pytest.raises(RateLimited) as raised:
        await adapter.fetch("comments", None)

    assert raised.value.reset_at == NOW + timedelta(minutes=42)
    assert adapter.poll_delay() == 42 * 60


@pytest.mark.parametrize(("percent", "slower"), [(10, False), (90, True)])
async def test_polling_slows_down_before_the_budget_is_spent(percent, slower):
    adapter = build({}, FakeGraph(usage_percent=percent))

    await adapter.fetch("comments", None)

    delay = adapter.poll_delay()
    assert (delay is not None and delay > adapter.poll_interval_seconds) == slower


# -- logging in ----------------------------------------------------------------------------


class Person:
    """Plays the person connecting the account: answers questions, reads what is shown."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.shown: list[str] = []
        self.secret_questions: list[str] = []

    def show(self, text: str) -> None:
        self.shown.append(text)

    def ask(self, question: str, *, secret: bool = False) -> str:
        if secret:
            self.secret_questions.append(question)
        return next(answer for start, answer in self.answers.items() if question.startswith(start))


def accounts_endpoint(seen: list[httpx.Request]) -> Callable[[httpx.Request], httpx.Response]:
    pages = {
        "data": [
            {"id": "200", "name": "Brand Blog", "access_token": "page-token-blog"},
            {
                "id": BRAND_PAGE,
                "name": "Brand Care",
                "access_token": "page-token-care",
                "instagram_business_account": {"id": BRAND_IG},
            },
            {
                "id": "300",
                "name": "Brand Outlet",
                "access_token": "page-token-outlet",
                "instagram_business_account": {"id": "17841400000000300"},
            },
        ]
    }

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("/oauth/access_token"):
            return httpx.Response(200, json={"access_token": "long-user-token", "expires_in": 5e6})
        assert request.url.path == "/v25.0/me/accounts"
        return httpx.Response(200, json=pages)

    return handle


async def log_in(person: Person, settings_: dict[str, Any]) -> tuple[dict, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    account = AccountRef(0, "instagram", "@brandcare", settings=settings_)
    async with httpx.AsyncClient(transport=httpx.MockTransport(accounts_endpoint(seen))) as client:
        credential = await InstagramAdapter.log_in(account, client, person)
    return dict(credential or {}), seen


async def test_logging_in_keeps_the_token_of_the_page_linked_to_the_account():
    person = Person({"User access token": "short-user-token", "Meta app id": ""})

    credential, seen = await log_in(person, {"ig_user_id": BRAND_IG})

    assert credential == {
        "access_token": "page-token-care",
        "page_id": BRAND_PAGE,
        "ig_user_id": BRAND_IG,
    }
    assert seen[0].headers["Authorization"] == "Bearer short-user-token"
    assert "instagram_business_account" in seen[0].url.params["fields"]
    assert person.secret_questions == ["User access token"]
    assert not any("token-" in line for line in person.shown)


async def test_logging_in_with_the_app_secret_makes_the_page_token_long_lived():
    person = Person(
        {
            "User access token": "short-user-token",
            "Meta app id": "1234",
            "Meta app secret": "app-secret",
            "Which Page": "2",
        }
    )

    credential, seen = await log_in(person, {})

    exchange, listing = seen
    assert dict(httpx.QueryParams(exchange.content.decode())) == {
        "grant_type": "fb_exchange_token",
        "client_id": "1234",
        "client_secret": "app-secret",
        "fb_exchange_token": "short-user-token",
    }
    assert "short-user-token" not in str(exchange.url)
    assert listing.headers["Authorization"] == "Bearer long-user-token"
    assert credential["access_token"] == "page-token-outlet"
    assert any("ig_user_id=17841400000000300" in line for line in person.shown)
    assert [line for line in person.shown if "Brand Blog" in line] == []


async def test_logging_in_for_an_account_no_page_links_says_so():
    person = Person({"User access token": "t", "Meta app id": ""})

    with pytest.raises(ValueError, match="no Page this token manages links"):
        await log_in(person, {"ig_user_id": "17841499999999999"})


# -- hostile payloads -----------------------------------------------------------------------


def _serving(path_end: str, body: bytes) -> InstagramAdapter:
    fake = FakeGraph(page_size=100)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(path_end):
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        return fake(request)

    account = AccountRef(1, "instagram", "@brandcare", settings={"api_base": API_BASE})
    client = httpx.AsyncClient(transport=httpx.MockTransport(handle))
    return InstagramAdapter(account, client, CREDENTIAL, clock=lambda: NOW)


def _items_or_adapter_error(run: Callable[[], Any]) -> tuple[FetchedItem, ...] | None:
    async def call() -> Any:
        try:
            return await run()
        except AdapterError:
            return None

    result = asyncio.run(call())
    items = () if result is None else getattr(result, "items", result)
    for item in items:  # an item the store cannot keep (a huge id) is the store's to skip
        assert isinstance(item, FetchedItem) and item.created_at.utcoffset() is not None
    return result


PAGES = {
    "comments": (
        "/17900000000000003/comments",
        lambda data: {"data": data["comments"]["17900000000000003"]},
    ),
    "dms": (f"/{BRAND_PAGE}/conversations", lambda data: {"data": data["conversations"]}),
}


@pytest.mark.parametrize("stream", sorted(PAGES))
def test_a_mutated_page_gives_items_or_an_adapter_error(stream):
    path_end, page_of = PAGES[stream]
    page = page_of(FakeGraph().data)
    assert _items_or_adapter_error(
        lambda: _serving(path_end, json.dumps(page).encode()).fetch(stream, None)
    )

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(changes=st.lists(mutations(_paths(page)), min_size=1, max_size=3))
    def check(changes) -> None:
        body = mutated_body(page, changes)
        _items_or_adapter_error(lambda: _serving(path_end, body).fetch(stream, None))

    check()


def _deliveries() -> list[dict[str, Any]]:
    """One entry of each kind: a comment, a DM with attachments, a mention (asked of Graph)."""
    return [
        {
            "id": BRAND_IG,
            "time": 1772366400,
            "changes": [
                {
                    "field": "comments",
                    "value": {
                        "from": {"id": "1", "username": "u"},
                        "media": {"id": "2", "media_product_type": "FEED"},
                        "id": "3",
                        "text": "hi",
                    },
                },
                {
                    "field": "mentions",
                    "value": {"media_id": "5", "comment_id": "17870000000000001"},
                },
            ],
        },
        {
            "id": BRAND_IG,
            "time": 1772366400000,
            "messaging": [
                {
                    "sender": {"id": "7"},
                    "recipient": {"id": BRAND_IG},
                    "timestamp": 1772366400000,
                    "message": {
                        "mid": "m1",
                        "text": "look",
                        "attachments": [{"type": "image", "payload": {"url": "https://x/y.jpg"}}],
                        "reply_to": {"story": {"url": "https://x/s", "id": "9"}},
                    },
                }
            ],
        },
    ]


@pytest.mark.parametrize(("index", "count"), [(0, 2), (1, 1)])
def test_a_mutated_delivery_gives_items_or_an_adapter_error(index, count):
    entry = _deliveries()[index]
    whole = _items_or_adapter_error(lambda: build({}).webhook_items(copy.deepcopy(entry)))
    assert whole is not None and len(whole) == count

    @settings(
        max_examples=40,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(changes=st.lists(mutations(_paths(entry)), min_size=1, max_size=3))
    def check(changes) -> None:
        try:
            mutated = json.loads(mutated_body(entry, changes).decode())
        except RecursionError:
            return  # the receiver cannot decode such a body, so no entry reaches the adapter
        _items_or_adapter_error(lambda: build({}).webhook_items(mutated))

    check()


def test_mapping_keeps_thread_keys_that_the_sender_can_read_back():
    assert mapping.comment_root(mapping.comment_thread_key("17")) == "17"
    assert mapping.mention_target(mapping.mention_thread_key("5", "6")) == ("5", "6")
    assert mapping.mention_target(mapping.mention_thread_key("5")) == ("5", None)
    assert mapping.dm_customer(mapping.dm_thread_key("61")) == "61"
    assert mapping.comment_root("mention:5/6") is None and mapping.dm_customer("comment:1") is None
