"""The Reddit adapter, replayed against real recorded answers and a fake Reddit.

Recordings come from ../shared/recordings/reddit (PRAW's suite against reddit.com; the
`<USERNAME>`-style placeholders are literal text there, so the brand is `<USERNAME>`).
The fake in harness_reddit serves hand-made data.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters._http import RequestRefused
from adapters.base import (
    AccountRef,
    Attachment,
    AttachmentKind,
    AuthExpired,
    Direction,
    FetchedContact,
    FetchedItem,
    Kind,
    NotReached,
    OutboundRequest,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from adapters.reddit.adapter import CONTEXT_CALLS, RedditAdapter
from adapters.reddit.mapping import comment_item, message_item, post_attachments
from adapters.reddit.payloads import CommentThread, InboxComment, PrivateMessage, Submission
from inbox.store.ingest import _problem
from tests.adapters.harness_reddit import (
    ACCESS_TOKEN,
    CREDENTIAL,
    DEEP_CHAIN,
    NOW,
    RICH,
    FakeReddit,
    build,
    deep_chain,
    rich_data,
)
from tests.conftest import RECORDINGS, skip_or_fail
from tests.support.cassettes import Interaction, Replay, pick, recording
from tests.support.loopback import Fault
from tests.support.loopback_reddit import LoopbackReddit

BRAND = "<USERNAME>"


def recorded_adapter(replay: Replay, **settings) -> RedditAdapter:
    account = AccountRef(id=1, platform="reddit", handle=BRAND, settings=settings)
    return RedditAdapter(account, replay.client(), CREDENTIAL, clock=lambda: NOW)


def replay_of(interactions: list[Interaction]) -> Replay:
    """Routes the recording's token grant, then whatever the test adds."""
    return Replay().route(
        "POST", "/api/v1/access_token", pick(interactions, "POST", "/api/v1/access_token")
    )


def api_requests(replay: Replay) -> list[httpx.Request]:
    return [request for request in replay.requests if request.url.host == "oauth.reddit.com"]


def test_every_reddit_recording_is_replayed_here():
    if not (RECORDINGS / "reddit").exists():
        skip_or_fail(f"no shared recordings at {RECORDINGS}")
    replayed = {
        "TestInbox.test_mentions.json",
        "TestInbox.test_comment_replies.json",
        "TestInbox.test_submission_replies.json",
        "TestInbox.test_unread.json",
        "TestInbox.test_messages.json",
        "TestInbox.test_mark_read.json",
        "TestInbox.test_message__unauthorized.json",
        "TestComment.test_reply.json",
        "TestSubmission.test_reply.json",
        "TestMessage.test_reply.json",
        "TestRedditor.test_message.json",
        "TestComment.test_refresh.json",
        "TestInbox.test_comment_reply__refresh.json",
        "TestSubreddit.test_submit__verify_invalid.json",
    }
    assert {path.name for path in (RECORDINGS / "reddit").glob("*.json")} == replayed


async def test_recorded_mentions_become_mention_items_keyed_by_link_and_comment():
    recorded = recording("reddit", "TestInbox.test_mentions.json")
    replay = replay_of(recorded).route(
        "GET", "/message/mentions", pick(recorded, "GET", "/message/mentions")
    )

    page = await recorded_adapter(replay).fetch("mentions", None)

    assert len(page.items) == 16
    newest = page.items[-1]
    assert newest.external_id == "t1_ekftbox"
    assert (newest.kind, newest.direction) == (Kind.MENTION, Direction.IN)
    assert newest.author.handle == "u/2Botter2Loop"
    assert newest.thread_key == "t3_bb24k7/t1_ekftbox"
    assert newest.created_at == datetime.fromtimestamp(1554774308, UTC)
    assert newest.url.startswith("https://www.reddit.com/r/RemovedByBotter/comments/bb24k7/")
    assert page.next_cursor == "t1_ekftbox" and not page.has_more
    assert [_problem(item) for item in page.items] == [None] * 16

    token_request, listing_request = replay.requests
    assert dict(httpx.QueryParams(token_request.content.decode())) == {
        "grant_type": "refresh_token",
        "refresh_token": CREDENTIAL["refresh_token"],
    }
    assert token_request.headers["Authorization"].startswith("Basic ")
    assert listing_request.headers["Authorization"] == "Bearer <ACCESS_TOKEN>"
    assert listing_request.headers["User-Agent"] == "python:social-inbox:0.1 (by /u/<username>)"
    assert dict(listing_request.url.params) == {"limit": "100", "raw_json": "1"}


async def test_recorded_comment_replies_in_one_chain_find_their_top_comment_with_one_request():
    recorded = recording("reddit", "TestInbox.test_comment_replies.json")
    context = pick(
        recording("reddit", "TestInbox.test_comment_reply__refresh.json"),
        "GET",
        "/comments/1j7g9uj",
    )
    replay = (
        replay_of(recorded)
        .route("GET", "/message/comments", pick(recorded, "GET", "/message/comments"))
        .route("GET", "/comments/", context)
    )

    page = await recorded_adapter(replay).fetch("comment_replies", None)

    assert len(page.items) == 64
    assert {item.kind for item in page.items} == {Kind.COMMENT}
    assert {item.thread_key for item in page.items} == {"t3_1j7g9uj/t1_mynfrrh"}
    assert (
        page.items[-1].external_id == "t1_mynqwvd"
        and page.items[-1].parent_external_id == "t1_myngt77"
    )
    [context_request] = [r for r in api_requests(replay) if r.url.path.startswith("/comments/")]
    assert context_request.url.path == "/comments/1j7g9uj/_/mynqwvd"
    assert context_request.url.params["context"] == "8"


async def test_the_recorded_reply_refresh_case_keys_the_thread_by_the_brands_top_comment():
    recorded = recording("reddit", "TestInbox.test_comment_reply__refresh.json")
    replay = (
        replay_of(recorded)
        .route("GET", "/message/comments", pick(recorded, "GET", "/message/comments"))
        .route("GET", "/comments/", pick(recorded, "GET", "/comments/1j7g9uj"))
    )

    [item] = (await recorded_adapter(replay).fetch("comment_replies", None)).items

    assert (item.external_id, item.thread_key, item.text) == (
        "t1_myngt77",
        "t3_1j7g9uj/t1_mynfrrh",
        "Reply",
    )
    assert item.author == FetchedContact(external_id="t2_75u2lqkb", handle="u/Lil_SpazTest")
    assert [r.url.path for r in api_requests(replay)] == [
        "/message/comments",
        "/comments/1j7g9uj/_/myngt77",
    ]


async def test_recorded_post_replies_need_no_context_requests():
    recorded = recording("reddit", "TestInbox.test_submission_replies.json")
    replay = replay_of(recorded).route(
        "GET", "/message/selfreply", pick(recorded, "GET", "/message/selfreply")
    )

    page = await recorded_adapter(replay).fetch("post_replies", None)

    assert len(page.items) == 64
    assert all(
        item.thread_key == f"{item.parent_external_id}/{item.external_id}" for item in page.items
    )
    assert [r.url.path for r in api_requests(replay)] == ["/message/selfreply"]
    assert page.next_cursor == "t1_m30xcs6"


async def test_recorded_private_messages_are_flattened_into_conversations():
    recorded = recording("reddit", "TestInbox.test_messages.json")
    first_page, second_page = [i for i in recorded if i.url.path.startswith("/message/messages")]
    replay = replay_of(recorded).route("GET", "/message/messages", [first_page, second_page])
    adapter = recorded_adapter(replay)

    page = await adapter.fetch("messages", None)

    by_id = {item.external_id: item for item in page.items}
    roots = len(first_page.json()["data"]["children"])
    assert len(by_id) > roots
    assert by_id["t4_2r17c8r"].thread_key == "message:t4_2r17c8r"
    assert by_id["t4_2r17c8r"].text == "Test message\n\ntest"
    assert (by_id["t4_22ydkji"].thread_key, by_id["t4_22ydkji"].direction) == (
        "message:t4_22ydk2c",
        Direction.OUT,
    )
    assert by_id["t4_22ydkme"].direction == Direction.IN
    assert {item.kind for item in page.items} == {Kind.DM}
    assert page.next_cursor == "t4_2r17c8r"

    later = await adapter.fetch("messages", page.next_cursor)
    assert api_requests(replay)[-1].url.params["before"] == "t4_2r17c8r"
    assert later.items and all(_problem(item) is None for item in later.items)


@pytest.mark.parametrize("name", ["TestInbox.test_unread.json", "TestInbox.test_mark_read.json"])
def test_recorded_unread_listings_map_comments_and_messages_alike(name):
    listing = pick(recording("reddit", name), "GET", "/message/unread").json()
    items = []
    for child in listing["data"]["children"]:
        if child["kind"] == "t1":
            comment = InboxComment.parse(child)
            items.append(comment_item(comment, top_comment_name=comment.name, own_handle=BRAND))
        else:
            message = PrivateMessage.parse(child)
            items.append(
                message_item(
                    message, root_name=message.first_message_name or message.name, own_handle=BRAND
                )
            )
    assert len(items) == len(listing["data"]["children"])
    assert {item.kind for item in items} <= {Kind.DM, Kind.COMMENT, Kind.MENTION}
    assert all(_problem(item) is None for item in items)


def test_a_recorded_context_names_the_top_comment():
    recorded = pick(recording("reddit", "TestComment.test_refresh.json"), "GET", "/comments/54hhwl")
    top = CommentThread.parse(recorded.json()).top_comment_name
    assert top.startswith("t1_")
    assert recorded.url.path == "/comments/54hhwl/_/d81vwef"


async def test_a_recorded_403_listing_is_a_refused_request():
    recorded = recording("reddit", "TestInbox.test_message__unauthorized.json")
    replay = replay_of(recorded).route(
        "GET", "/message/messages", pick(recorded, "GET", "/message/messages")
    )

    with pytest.raises(RequestRefused) as raised:
        await recorded_adapter(replay).fetch("messages", None)
    assert raised.value.status_code == 403


@pytest.mark.parametrize(
    ("name", "thing_id", "text", "created"),
    [
        ("TestComment.test_reply.json", "t1_d1616q2", "Comment reply", "t1_"),
        ("TestSubmission.test_reply.json", "t3_4b1tfm", "Test reply", "t1_"),
        ("TestMessage.test_reply.json", "t4_2r1s1k2", "Message reply", "t4_zzzzzzzzzzzz"),
    ],
)
async def test_recorded_replies_go_through_api_comment(name, thing_id, text, created):
    recorded = recording("reddit", name)
    answer = pick(recorded, "POST", "/api/comment")
    replay = replay_of(recorded).route("POST", "/api/comment", answer)

    sent = await recorded_adapter(replay).send(
        OutboundRequest(idempotency_key="k1", kind=Kind.COMMENT, text=text, in_reply_to=thing_id)
    )

    assert sent.external_id.startswith(created)
    assert sent.external_id == answer.json()["json"]["data"]["things"][0]["data"]["name"]
    [request] = [r for r in api_requests(replay)]
    assert dict(httpx.QueryParams(request.content.decode())) == {
        "api_type": "json",
        "thing_id": thing_id,
        "text": text,
    }
    assert dict(httpx.QueryParams(answer.request_body)) == {
        "api_type": "json",
        "thing_id": thing_id,
        "text": text,
    }


async def test_a_recorded_compose_sends_a_new_private_message():
    recorded = recording("reddit", "TestRedditor.test_message.json")

    def empty_sent(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"kind": "Listing", "data": {"children": []}})

    replay = (
        replay_of(recorded)
        .route("POST", "/api/compose", pick(recorded, "POST", "/api/compose"))
        .route("GET", "/message/sent", empty_sent)
    )
    request = OutboundRequest(
        idempotency_key="dm-9",
        kind=Kind.DM,
        text="This is a test from PRAW",
        recipient=FetchedContact(external_id="t2_x", handle="u/subreddit_stats"),
    )

    sent = await recorded_adapter(replay, dm_subject="PRAW test").send(request)

    assert sent.external_id == "compose:dm-9"
    compose = api_requests(replay)[0]
    assert dict(httpx.QueryParams(compose.content.decode())) == dict(
        httpx.QueryParams(pick(recorded, "POST", "/api/compose").request_body)
    )


async def test_a_recorded_400_on_a_send_is_a_refused_request():
    recorded = recording("reddit", "TestSubreddit.test_submit__verify_invalid.json")
    replay = replay_of(recorded).route(
        "POST", "/api/comment", pick(recorded, "POST", "/api/submit")
    )

    with pytest.raises(RequestRefused) as raised:
        await recorded_adapter(replay).send(
            OutboundRequest(idempotency_key="k", kind=Kind.COMMENT, text="x", in_reply_to="t3_a")
        )
    assert raised.value.status_code == 400


# -- the fake Reddit (hand-made data) ------------------------------------------------------


async def test_streams_from_hand_made_data(caplog):
    adapter = build({})

    mentions = await adapter.fetch("mentions", None)
    replies = await adapter.fetch("comment_replies", None)
    messages = await adapter.fetch("messages", None)

    assert [item.external_id for item in mentions.items] == ["t1_m1", "t1_m3"]
    assert "t1_m2" in caplog.text
    assert {item.external_id: item.thread_key for item in replies.items} == {
        "t1_c1": "t3_aaa1/t1_b1",
        "t1_c2": "t3_aaa1/t1_top1",
    }
    assert [(item.external_id, item.direction, item.author.handle) for item in messages.items] == [
        ("t4_s1", Direction.IN, "r/brandsub"),
        ("t4_r1", Direction.IN, "u/Carol"),
        ("t4_r2", Direction.OUT, "u/BrandCare"),
        ("t4_r3", Direction.IN, "u/Carol"),
    ]


async def test_a_hostile_comment_comes_through_storable():
    [_, hostile] = (await build({}).fetch("mentions", None)).items
    assert _problem(hostile) is None
    assert hostile.text.startswith("\x1b]0;pwned\x07[link=file:///etc]") and hostile.text.endswith(
        "\x00"
    )


async def test_before_reads_forward_and_drops_the_anchor():
    server = FakeReddit()
    adapter = build({}, server)

    page = await adapter.fetch("post_replies", "t1_p1")

    assert [item.external_id for item in page.items] == ["t1_p2"]
    assert server.requests[-1].url.params["before"] == "t1_p1"
    assert (await adapter.fetch("post_replies", page.next_cursor)).items == ()


async def test_the_token_is_refreshed_once_and_again_after_a_401():
    server = FakeReddit()
    adapter = build({}, server, credential={**CREDENTIAL, "access_token": "stale"})
    refreshed = []
    adapter._auth._on_refreshed = refreshed.append

    await adapter.fetch("post_replies", None)
    await adapter.fetch("post_replies", None)

    assert server.token_grants == 1
    assert refreshed[0]["access_token"] == ACCESS_TOKEN
    assert refreshed[0]["expires_at"] == (NOW + timedelta(seconds=86400 - 60)).isoformat()


async def test_a_refused_refresh_token_is_auth_expired_without_secrets(caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthExpired) as raised:
        await build({"fail": "auth_expired"}).fetch("mentions", None)
    for secret in CREDENTIAL.values():
        assert secret not in str(raised.value) and secret not in caplog.text


async def test_a_ratelimit_error_inside_a_200_is_rate_limited():
    server = FakeReddit()
    server.api_answers.append(
        httpx.Response(
            200,
            json={
                "json": {
                    "ratelimit": 420.0,
                    "errors": [
                        ["RATELIMIT", "Looks like you've been doing that a lot.", "ratelimit"]
                    ],
                }
            },
        )
    )
    server.api_answers.append(
        httpx.Response(
            200,
            json={"json": {"errors": [["RATELIMIT", "Take a break for 3 minutes", "ratelimit"]]}},
        )
    )
    adapter = build({}, server)
    request = OutboundRequest(
        idempotency_key="k", kind=Kind.COMMENT, text="hi", in_reply_to="t1_m1"
    )

    with pytest.raises(RateLimited) as first:
        await adapter.send(request)
    with pytest.raises(RateLimited) as second:
        await adapter.send(request)

    assert first.value.reset_at == NOW + timedelta(seconds=420)
    assert second.value.reset_at == NOW + timedelta(minutes=10)


async def test_other_errors_inside_a_200_are_refused_by_code():
    server = FakeReddit()
    server.api_answers.append(
        httpx.Response(
            200,
            json={
                "json": {"errors": [["DELETED_COMMENT", "that comment has been deleted", "parent"]]}
            },
        )
    )

    with pytest.raises(RequestRefused) as raised:
        await build({}, server).send(
            OutboundRequest(
                idempotency_key="k", kind=Kind.COMMENT, text="hi", in_reply_to="t1_gone"
            )
        )
    assert "DELETED_COMMENT" in str(raised.value) and "has been deleted" not in str(raised.value)


# -- threads: a long chain of replies is one conversation ---------------------------------


CHAIN_THREAD = "t3_chain1/t1_d01"
"""The thread of deep_chain.json: its link and its top-level comment."""


def chain_server() -> FakeReddit:
    """A fake whose comment replies are u/Dave_Customer's six in deep_chain.json (depths 2-12)."""
    server = FakeReddit()
    server.data["comment_replies"] = json.loads(DEEP_CHAIN.read_text())["comment_replies"]
    return server


def context_requests(server: FakeReddit) -> list[str]:
    return [
        request.url.path.rsplit("/", 1)[-1]
        for request in server.requests
        if request.url.path.startswith("/comments/")
    ]


def threads(items) -> dict[str, str]:
    return {item.external_id: item.thread_key for item in items}


async def test_a_reply_twelve_deep_is_in_the_thread_of_its_top_comment_after_two_requests():
    server = chain_server()

    page = await build({}, server).fetch("comment_replies", None)

    assert threads(page.items) == {
        name: CHAIN_THREAD for name in ("t1_d02", "t1_d04", "t1_d06", "t1_d08", "t1_d10", "t1_d12")
    }
    assert context_requests(server) == ["d12", "d04"]


async def test_a_later_reply_in_a_walked_chain_asks_nothing():
    server = chain_server()
    adapter = build({}, server)
    await adapter.fetch("comment_replies", None)
    later = json.loads(json.dumps(server.data["comment_replies"]["data"]["children"][0]))
    later["data"].update(name="t1_d13", id="d13", parent_id="t1_d12", created_utc=NOW.timestamp())
    later["data"]["context"] = later["data"]["context"].replace("/d12/", "/d13/")
    server.data["comment_replies"]["data"]["children"].insert(0, later)

    page = await adapter.fetch("comment_replies", "t1_d12")

    assert threads(page.items) == {"t1_d13": CHAIN_THREAD}
    assert context_requests(server) == ["d12", "d04"]


async def test_a_chain_deeper_than_the_walk_allows_keeps_its_reply_under_the_highest_ancestor(
    caplog,
):
    server = FakeReddit()
    server.chain, entry = deep_chain(100)
    server.data["comment_replies"]["data"]["children"] = [entry]

    [item] = (await build({}, server).fetch("comment_replies", None)).items

    assert len(context_requests(server)) == CONTEXT_CALLS
    assert item.thread_key == "t3_chain1/t1_x19"
    assert "t1_x100" in caplog.text and "deeper than 10" in caplog.text


async def test_a_deleted_parent_mid_chain_keeps_every_reply_under_the_highest_ancestor_known(
    caplog,
):
    server = chain_server()
    server.chain["t1_d04"].update(author="[deleted]", body="[deleted]")
    server.context_status["t1_d04"] = 404
    replies = server.data["comment_replies"]["data"]
    replies["children"] = [c for c in replies["children"] if c["data"]["name"] != "t1_d04"]

    page = await build({}, server).fetch("comment_replies", None)

    below_the_gap = {name: "t3_chain1/t1_d03" for name in ("t1_d06", "t1_d08", "t1_d10", "t1_d12")}
    assert threads(page.items) == {**below_the_gap, "t1_d02": CHAIN_THREAD}
    assert context_requests(server) == ["d12", "d04", "d02"]
    assert "t1_d12" in caplog.text and "404" in caplog.text


async def test_a_rate_limit_mid_walk_keeps_every_reply_and_stops_asking(caplog):
    server = chain_server()
    server.context_status["t1_d04"] = 429

    page = await build({}, server).fetch("comment_replies", None)

    below_the_limit = {
        name: "t3_chain1/t1_d03" for name in ("t1_d04", "t1_d06", "t1_d08", "t1_d10", "t1_d12")
    }
    assert threads(page.items) == {**below_the_limit, "t1_d02": CHAIN_THREAD}
    assert context_requests(server) == ["d12", "d04"]
    assert "t1_d12" in caplog.text and "rate limited" in caplog.text


# -- content: Markdown, Reddit's escapes, posts with media ---------------------------------


async def rich_items(stream: str = "mentions") -> dict[str, FetchedItem]:
    page = await build(RICH).fetch(stream, None)
    return {item.external_id: item for item in page.items}


async def test_a_markdown_link_keeps_its_full_target_beside_its_text():
    item = (await rich_items())["t1_ml1"]

    assert item.text == (
        "u/BrandCare your [status page](https://status.example.com/incidents/42?from=reddit) "
        "says all good, and [https://help.example.com/articles/4411-reset...]"
        "(https://help.example.com/articles/4411-reset-your-charger-safely) did nothing."
    )
    assert item.attachments == ()


async def test_reddits_escapes_are_decoded_once_and_a_raw_ampersand_left_alone():
    item = (await rich_items())["t1_ma1"]

    assert item.text == (
        "u/BrandCare Q&A: is 5V < 9V > 12V the right order? &amp; is how I'd write an "
        "ampersand. Tried https://help.example.com/search?q=charger&region=eu too."
    )


async def test_a_private_message_keeps_its_markdown_link_and_decodes_escapes():
    [message] = (await rich_items("messages")).values()

    assert message.text == (
        "Refund & return\n\nHere is my "
        "[order](https://shop.example.com/orders/8841?view=items&lang=en), "
        "can I send it back <today>?"
    )


async def test_an_image_post_that_mentions_the_brand_arrives_with_its_image():
    post = (await rich_items())["t3_img1"]

    assert (post.kind, post.thread_key, post.parent_external_id) == (Kind.MENTION, "t3_img1", None)
    assert post.text == "u/BrandCare the new charger melted overnight"
    assert post.attachments == (
        Attachment(kind=AttachmentKind.IMAGE, url="https://i.redd.it/z5mux8w0bgx21.png"),
    )
    assert post.url == (
        "https://www.reddit.com/r/brandsub/comments/img1/ubrandcare_the_charger_melted/"
    )
    assert post.author == FetchedContact(external_id="t2_erin_photos", handle="u/Erin_Photos")
    assert _problem(post) is None


async def test_a_gallery_arrives_in_order_with_captions_and_its_links():
    post = (await rich_items())["t3_gal1"]

    assert post.text == "Unboxing my u/BrandCare order: box crushed & one part missing"
    assert [(a.kind, a.url, a.description) for a in post.attachments] == [
        (
            AttachmentKind.IMAGE,
            "https://preview.redd.it/pb7qsvi6i3c51.png?width=128&format=png&auto=webp"
            "&s=7c2e610589cb5c8d60384b1d2a8eadc5c874d1d9",
            None,
        ),
        (
            AttachmentKind.IMAGE,
            "https://preview.redd.it/14wmudl6i3c51.jpg?width=128&format=pjpg&auto=webp"
            "&s=978f65bc49a7bc65ed5b0cb7493e7da85ba87909",
            "The box as it arrived",
        ),
        (
            AttachmentKind.IMAGE,
            "https://preview.redd.it/wka18en6i3c51.png?width=128&format=png&auto=webp"
            "&s=da421b79862a56e00187a720bf90693de71efbbe",
            "Order page says 3 parts",
        ),
        (AttachmentKind.LINK, "https://shop.example.com/orders/8841?view=items&region=eu", None),
        (AttachmentKind.IMAGE, "https://i.redd.it/vkm62gm6i3c51.gif", "The unboxing, slowed down"),
    ]


async def test_a_gallery_item_that_does_not_read_is_dropped_and_the_post_kept(caplog):
    server = FakeReddit(data=rich_data())
    [gallery] = [
        child["data"]
        for child in server.data["mentions"]["data"]["children"]
        if child["data"]["name"] == "t3_gal1"
    ]
    gallery["media_metadata"]["14wmudl6i3c51"] = {"status": "failed", "id": "14wmudl6i3c51"}
    del gallery["media_metadata"]["pb7qsvi6i3c51"]["s"]

    page = await build(RICH, server).fetch("mentions", None)

    [post] = [item for item in page.items if item.external_id == "t3_gal1"]
    assert [a.description for a in post.attachments if a.kind == AttachmentKind.IMAGE] == [
        "Order page says 3 parts",
        "The unboxing, slowed down",
    ]
    assert "14wmudl6i3c51" in caplog.text and "pb7qsvi6i3c51" in caplog.text


async def test_a_link_post_arrives_with_its_link_card():
    post = (await rich_items())["t3_lnk1"]

    assert post.text == "Review: the u/BrandCare charger after a month"
    assert post.attachments == (
        Attachment(
            kind=AttachmentKind.LINK,
            url="https://reviews.example.org/2026/02/brandcare-charger-review"
            "?utm_source=reddit&ref=r_brandsub",
        ),
    )


def test_a_hosted_video_and_a_crosspost_become_a_video_and_a_quote():
    """Modelled on t3_8h7yxa in praw's TestFront.test_best.json (a v.redd.it video)."""
    post = Submission.parse(
        {
            "kind": "t3",
            "data": {
                "name": "t3_8h7yxa",
                "author": "PhoeniX_XVIII",
                "title": "MFW the new charger works",
                "created_utc": 1525531773.0,
                "permalink": "/r/brandsub/comments/8h7yxa/mfw/",
                "url": "https://v.redd.it/gvfh7n7nv1w01",
                "domain": "v.redd.it",
                "post_hint": "hosted:video",
                "is_video": True,
                "is_self": False,
                "crosspost_parent_list": [
                    {
                        "title": "The charger &amp; me",
                        "author": "Erin_Photos",
                        "permalink": "/r/gadgets/comments/abc1/the_charger_me/",
                    }
                ],
            },
        }
    )

    assert post_attachments(post) == (
        Attachment(kind=AttachmentKind.VIDEO, url="https://v.redd.it/gvfh7n7nv1w01"),
        Attachment(
            kind=AttachmentKind.QUOTE,
            url="https://www.reddit.com/r/gadgets/comments/abc1/the_charger_me/",
            description="The charger & me",
            author="u/Erin_Photos",
        ),
    )


# -- find_sent: an interrupted send looked up on (the fake) Reddit -------------------------


SINCE = NOW - timedelta(minutes=2)
"""What the outbox passes `find_sent`: a moment before the interrupted send (at `NOW`)."""


def reply(text: str, parent: str) -> OutboundRequest:
    return OutboundRequest(idempotency_key="r", kind=Kind.COMMENT, text=text, in_reply_to=parent)


def new_message(text: str, to: str = "u/Carol") -> OutboundRequest:
    return OutboundRequest(
        idempotency_key="d",
        kind=Kind.DM,
        text=text,
        recipient=FetchedContact(external_id=f"t2_{to[2:].lower()}", handle=to),
    )


def form_of(server: FakeReddit, path: str) -> list[dict[str, str]]:
    return [
        dict(httpx.QueryParams(request.content.decode()))
        for request in server.requests
        if request.url.path == path
    ]


def lookups(server: FakeReddit, path: str) -> list[httpx.Request]:
    return [request for request in server.requests if request.url.path == path]


async def send_lost_after_create(server: FakeReddit, request: OutboundRequest, **settings) -> None:
    """Send `request` through a fake that keeps it, then answers 503: the outcome is unknown."""
    server.after_create = 503
    with pytest.raises(PlatformUnavailable) as raised:
        await build(settings, server).send(request)
    assert not isinstance(raised.value, NotReached)
    server.after_create = None


async def test_sends_a_reply_and_a_new_message_and_reads_their_ids():
    server = FakeReddit()
    adapter = build({}, server)

    sent_reply = await adapter.send(reply("On it", "t1_m1"))
    sent_message = await adapter.send(new_message("Following up on your ticket."))

    assert sent_reply == SentRef(
        external_id="t1_new1",
        url="https://www.reddit.com/r/brandsub/comments/aaa1/x/new1/",
        sent_at=NOW,
    )
    assert sent_message == SentRef(external_id="t4_new2", sent_at=NOW)
    assert form_of(server, "/api/compose") == [
        {
            "api_type": "json",
            "to": "carol",
            "subject": "Message from u/brandcare",
            "text": "Following up on your ticket.",
        }
    ]


async def test_a_failed_look_up_after_a_compose_still_reports_the_message_sent():
    server = FakeReddit()
    server.api_answers.append(httpx.Response(200, json={"json": {"errors": []}}))
    server.api_answers.append(httpx.Response(503, text="<html>busy</html>"))

    sent = await build({}, server).send(new_message("Following up on your ticket."))

    assert sent == SentRef(external_id="compose:d", sent_at=NOW)


async def test_a_reply_reddit_kept_before_answering_503_is_found_by_a_new_adapter():
    server = FakeReddit()
    request = reply("Thanks, we are on it.", "t1_m1")
    await send_lost_after_create(server, request)

    found = await build({}, server).find_sent(request, SINCE)

    assert found == SentRef(
        external_id="t1_new1",
        url="https://www.reddit.com/r/brandsub/comments/aaa1/x/new1/",
        sent_at=NOW,
    )
    assert len(form_of(server, "/api/comment")) == 1
    [look_up] = lookups(server, "/user/brandcare/comments")
    assert look_up.url.params["sort"] == "new" and look_up.url.params["limit"] == "100"


@pytest.mark.parametrize(
    "other",
    [
        reply("Thanks, we are working on it.", "t1_m1"),
        reply("Thanks, we are on it.", "t1_c1"),
        reply("Thanks, we are on it.", "t3_m1"),
    ],
    ids=["other text", "other parent", "a post with the comment's id"],
)
async def test_a_reply_with_another_text_or_parent_is_not_found(other):
    server = FakeReddit()
    await send_lost_after_create(server, reply("Thanks, we are on it.", "t1_m1"))

    assert await build({}, server).find_sent(other, SINCE) is None


@pytest.mark.parametrize(
    ("outbound", "found_id"),
    [
        (reply("Update: the outage is over.", "t3_aaa1"), "t1_o3"),
        (
            reply(
                "Sorry to hear that, Dave. We're looking into it: https://status.example.com/i/7",
                "t1_c2",
            ),
            "t1_o4",
        ),
    ],
    ids=["under a post", "same text with another link and wrapping"],
)
async def test_own_comments_are_matched_by_fullname_parent_and_same_text(outbound, found_id):
    found = await build({}).find_sent(outbound, NOW - timedelta(minutes=10))

    assert found is not None and found.external_id == found_id
    assert (
        found.url == f"https://www.reddit.com/r/brandsub/comments/aaa1/outage_today/{found_id[3:]}/"
    )


async def test_a_malformed_own_comment_is_skipped_and_the_look_up_goes_on(caplog):
    found = await build({}).find_sent(
        reply("Update: the outage is over.", "t3_aaa1"), SINCE - timedelta(minutes=8)
    )

    assert found is not None and found.external_id == "t1_o3"
    assert "t1_o5" in caplog.text and "created_utc" in caplog.text


async def test_the_same_reply_made_before_since_is_not_the_interrupted_send():
    server = FakeReddit()
    request = reply("On it", "t1_m1")

    assert await build({}, server).find_sent(request, SINCE) is None
    earlier = await build({}, server).find_sent(request, NOW - timedelta(hours=2))

    assert earlier is not None and earlier.external_id == "t1_o2"
    assert all(
        "after" not in look_up.url.params for look_up in lookups(server, "/user/brandcare/comments")
    )


def brand_comment(number: int) -> dict:
    return {
        "kind": "t1",
        "data": {
            "name": f"t1_f{number}",
            "author": "BrandCare",
            "parent_id": "t1_c1",
            "body": f"Filler reply {number}",
            "created_utc": NOW.timestamp(),
        },
    }


async def test_the_look_up_pages_with_after_to_an_older_page():
    server = FakeReddit()
    request = reply("Thanks, we are on it.", "t1_m1")
    await send_lost_after_create(server, request)
    later = [brand_comment(number) for number in range(150)]
    server.own_comments[:0] = later

    found = await build({}, server).find_sent(request, SINCE)

    assert found is not None and found.external_id == "t1_new1"
    pages = lookups(server, "/user/brandcare/comments")
    assert [page.url.params.get("after") for page in pages] == [None, "t1_f99"]


async def test_more_own_comments_than_the_pages_read_cannot_tell():
    server = FakeReddit()
    server.own_comments[:0] = [brand_comment(number) for number in range(600)]

    with pytest.raises(PlatformUnavailable, match="cannot tell"):
        await build({}, server).find_sent(reply("Thanks, we are on it.", "t1_m1"), SINCE)
    assert len(lookups(server, "/user/brandcare/comments")) == 5


async def test_a_new_message_reddit_kept_before_answering_503_is_found_in_sent():
    server = FakeReddit()
    request = new_message("Following up on your ticket.")
    await send_lost_after_create(server, request)

    found = await build({}, server).find_sent(request, SINCE)
    to_someone_else = await build({}, server).find_sent(
        new_message("Following up on your ticket.", to="u/Dave"), SINCE
    )
    under_another_subject = await build({"dm_subject": "Your ticket"}, server).find_sent(
        request, SINCE
    )

    assert found == SentRef(external_id="t4_new1", sent_at=NOW)
    assert to_someone_else is None and under_another_subject is None
    assert len(form_of(server, "/api/compose")) == 1
    assert lookups(server, "/message/sent")[-1].url.params["limit"] == "100"


async def test_a_reply_in_a_conversation_is_found_in_sent_by_its_parent():
    server = FakeReddit()
    request = dataclasses.replace(new_message("Glad to help!"), in_reply_to="t4_r3")
    await send_lost_after_create(server, request)

    found = await build({}, server).find_sent(request, SINCE)
    elsewhere = await build({}, server).find_sent(
        dataclasses.replace(request, in_reply_to="t4_r2"), SINCE
    )

    assert found == SentRef(external_id="t4_new1", sent_at=NOW)
    assert elsewhere is None
    assert form_of(server, "/api/comment")[0]["thing_id"] == "t4_r3"
    assert not lookups(server, "/user/brandcare/comments")


async def test_the_same_message_sent_before_since_is_not_the_interrupted_send():
    adapter = build({"dm_subject": "Message from u/BrandCare"})
    request = new_message("Following up on your ticket.")

    assert await adapter.find_sent(request, SINCE) is None
    earlier = await adapter.find_sent(request, NOW - timedelta(hours=2))
    assert earlier is not None and earlier.external_id == "t4_n9"


# -- the whole send over a socket, against LoopbackReddit ----------------------------------


@pytest.mark.parametrize("fault", [Fault.ANSWER_500, Fault.DROP, Fault.HANG])
async def test_an_ambiguous_send_to_loopback_reddit_is_found_once_and_not_posted_again(fault):
    with LoopbackReddit() as reddit:
        parent, thread_key = reddit.incoming(1)
        account = AccountRef(
            id=1, platform=reddit.platform, handle=reddit.handle, settings=reddit.settings
        )
        request = OutboundRequest(
            idempotency_key="k",
            kind=Kind.COMMENT,
            text="Sorry about that, we are on it.",
            thread_key=thread_key,
            in_reply_to=parent,
        )
        since = datetime.now(UTC) - timedelta(minutes=2)
        reddit.fault = fault
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=0.5)) as client:
            with pytest.raises(PlatformUnavailable) as raised:
                await RedditAdapter(account, client, reddit.credential).send(request)
            reddit.fault = Fault.NONE
            found = await RedditAdapter(account, client, reddit.credential).find_sent(
                request, since
            )
            other = await RedditAdapter(account, client, reddit.credential).find_sent(
                dataclasses.replace(request, text="Something else."), since
            )

        assert not isinstance(raised.value, NotReached)
        assert reddit.replies_to(parent) == ["Sorry about that, we are on it."]
        assert reddit.comment_posts == 1
        assert found is not None and found.external_id.startswith("t1_")
        assert found.url is not None and found.url.endswith(f"/{found.external_id[3:]}/")
        assert other is None
        assert thread_key.startswith("t3_") and thread_key.endswith(f"/{parent}")


async def test_a_send_to_loopback_reddit_without_a_fault_posts_the_reply():
    with LoopbackReddit() as reddit:
        parent, thread_key = reddit.incoming(2)
        account = AccountRef(
            id=1, platform=reddit.platform, handle=reddit.handle, settings=reddit.settings
        )
        async with httpx.AsyncClient() as client:
            adapter = RedditAdapter(account, client, reddit.credential)
            sent = await adapter.send(
                OutboundRequest("k", Kind.COMMENT, "Fixed now.", thread_key, parent)
            )
            found = await adapter.find_sent(
                OutboundRequest("k", Kind.COMMENT, "Fixed now.", thread_key, parent),
                datetime.now(UTC) - timedelta(minutes=2),
            )

        assert reddit.replies_to(parent) == ["Fixed now."]
        assert found == sent
        assert reddit.token_grants == 1
