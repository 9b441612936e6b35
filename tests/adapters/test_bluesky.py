"""The Bluesky adapter: recorded real answers replayed, and the hand-made fake PDS.

Replays read ../shared/recordings/bluesky in place (R `vcr` cassettes from bskyr, recorded
against bsky.social; tokens were blanked there, so the replay puts fake ones back). Chat
is tested only here, over recordings and the fake: the reference network has no chat
service (see tests/servers/test_bluesky_network.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from adapters.base import (
    AccountRef,
    Attachment,
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
from adapters.bluesky import mapping
from adapters.bluesky.adapter import BlueskyAdapter
from adapters.bluesky.payloads import Convo, EmbedPart, PostRecord
from adapters.bluesky.xrpc import CHAT_PROXY, XrpcError
from tests.conftest import RECORDINGS, skip_or_fail
from tests.support.fake_bluesky import APP_PASSWORD, FakePds, fixture, xrpc_error
from tests.support.recorded import Interaction, ReplayServer, load

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RECORDED_BRAND_DID = "did:plc:5c2r73erhng4bszmxlfdtscf"
RECORDED_PDS = "puffball.us-east.host.bsky.network"
BRAND_DID = "did:plc:brandbrandbrandbrand0001"


def adapter_for(
    transport: httpx.MockTransport, handle: str = "brand.example.com", **settings
) -> BlueskyAdapter:
    account = AccountRef(
        id=1, platform="bluesky", handle=handle, base_url="https://bsky.social", settings=settings
    )
    return BlueskyAdapter(
        account,
        httpx.AsyncClient(transport=transport),
        {"app_password": APP_PASSWORD},
        clock=lambda: NOW,
    )


# -- recordings ---------------------------------------------------------------------------


@pytest.fixture
def recordings() -> Path:
    folder = RECORDINGS / "bluesky"
    if not folder.is_dir():
        skip_or_fail(
            f"the Bluesky recordings are not at {folder} "
            "(they live beside the project in ../shared)"
        )
    return folder


def with_fake_tokens(interaction: Interaction, body: object) -> object:
    """Recorded sessions had their tokens blanked; put fake ones back so they parse."""
    if interaction.path.endswith("createSession") and interaction.status == 200:
        return {**body, "accessJwt": "recorded-access", "refreshJwt": "recorded-refresh"}  # type: ignore[dict-item]
    return body


def replay(recordings: Path, *names: str, **extra) -> ReplayServer:
    return ReplayServer.of(
        recordings / "repo_auth_direct.yml",
        *(recordings / name for name in names),
        patch=with_fake_tokens,
        **extra,
    )


REPLAYED_BY = {
    "repo_auth_direct.yml": "every replay below logs in with it",
    "repo_auth_cache.yml": "test_a_refused_app_password_is_auth_expired_without_the_password",
    "n_notifications.yml": "test_recorded_notifications_become_mentions_and_comments",
    "n_nc.yml": "test_recorded_reads_go_to_the_pds_with_the_session_token",
    "f_postthread.yml": "test_recorded_reads_go_to_the_pds_with_the_session_token",
    "f_getposts.yml": "test_recorded_reads_go_to_the_pds_with_the_session_token",
    "r_post_reply.yml": "test_a_recorded_reply_carries_strong_refs_and_byte_offset_facets",
    "r_post_text.yml": "test_a_recorded_post_without_a_parent_is_a_plain_record",
    "r_post_errors.yml": "test_a_recorded_refusal_is_payload_invalid_by_its_code",
    "c_list.yml": "test_recorded_chats_become_dms_through_the_chat_proxy",
    "c_messages.yml": "test_recorded_chats_become_dms_through_the_chat_proxy",
    "c_send.yml": "test_a_recorded_chat_send_goes_to_the_conversation",
    "c_get_convo.yml": "test_a_recorded_chat_send_goes_to_the_conversation",
    "c_read.yml": "test_recorded_reads_go_to_the_pds_with_the_session_token",
}


def test_every_bluesky_recording_is_replayed(recordings):
    assert sorted(path.name for path in recordings.glob("*.yml")) == sorted(REPLAYED_BY)


async def test_recorded_notifications_become_mentions_and_comments(recordings):
    server = replay(recordings, "n_notifications.yml")
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")

    page = await adapter.fetch("notifications", None)

    (login,) = server.calls("com.atproto.server.createSession")
    assert login.url.host == "bsky.social"
    assert json.loads(login.content) == {
        "identifier": "bskyr.bsky.social",
        "password": APP_PASSWORD,
    }
    (listing,) = server.calls("app.bsky.notification.listNotifications")
    assert listing.url.host == RECORDED_PDS
    assert listing.headers["Authorization"] == "Bearer recorded-access"
    assert listing.url.params.get_list("reasons") == ["mention", "reply", "quote"]
    assert listing.url.params["limit"] == "50" and "cursor" not in listing.url.params

    assert len(page.items) == 18, "likes, follows and reposts are left out"
    assert {item.kind for item in page.items} == {Kind.MENTION, Kind.COMMENT}
    first = page.items[0]
    assert (
        first.external_id
        == "at://did:plc:lprqqpoyjspuma25n5gofocf/app.bsky.feed.post/3lmicbemya22g"
    )
    assert first.kind == Kind.MENTION, "a mention in someone else's thread"
    assert (
        first.thread_key == "at://did:plc:lprqqpoyjspuma25n5gofocf/app.bsky.feed.post/3lmiagxqgas2s"
    )
    assert first.author.handle == "@josephjefe.bsky.social"
    assert first.text.startswith("Ok, @bskyr.bsky.social makes this ridiculously easy.")
    assert first.created_at == datetime(2025, 4, 10, 20, 1, 53, 909000, tzinfo=UTC)
    assert first.url == "https://bsky.app/profile/josephjefe.bsky.social/post/3lmicbemya22g"
    brand_thread = f"at://{RECORDED_BRAND_DID}/app.bsky.feed.post/3kexwuoyqj32g"
    replies = [item for item in page.items if item.thread_key == brand_thread]
    assert len(replies) == 13 and {item.kind for item in replies} == {Kind.COMMENT}
    assert all(item.author.external_id == "did:plc:zdd4yxyclksq2sem6jqxsfu2" for item in replies)
    assert page.has_more, "the recorded page carries a cursor"
    assert json.loads(page.next_cursor)["page"] == "2024-12-19T06:43:45.863Z"


async def test_recorded_notifications_stop_at_the_first_one_already_seen(recordings):
    server = replay(recordings, "n_notifications.yml")
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")
    seen = {"seen": {
        "indexedAt": "2025-02-23T19:42:45.921000+00:00",
        "uri": "at://did:plc:zdd4yxyclksq2sem6jqxsfu2/app.bsky.feed.post/3liulqsuo2q2f",
    }}  # fmt: skip

    page = await adapter.fetch("notifications", json.dumps(seen))

    assert [item.external_id.rsplit("/", 1)[1] for item in page.items] == [
        "3lmicbemya22g", "3lktjjvxvdk2g", "3livj2tl2su2v", "3lium35jvqr2c",
        "3liulqwmk4a2h", "3liulqvn6zq2y", "3liulqutwkj2c", "3liulqtnba22s",
    ]  # fmt: skip
    assert not page.has_more
    assert json.loads(page.next_cursor)["seen"]["uri"].endswith("/app.bsky.feed.like/3lpe5oldeev2w")


async def test_a_refused_app_password_is_auth_expired_without_the_password(recordings, caplog):
    server = ReplayServer.of(recordings / "repo_auth_cache.yml")
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")

    with caplog.at_level(logging.DEBUG), pytest.raises(AuthExpired) as refused:
        await adapter.fetch("notifications", None)

    assert "AuthenticationRequired" in str(refused.value)
    assert APP_PASSWORD not in str(refused.value) and APP_PASSWORD not in caplog.text
    assert len(server.requests) == 1, "a refused login is not retried"


async def test_recorded_reads_go_to_the_pds_with_the_session_token(recordings):
    server = replay(recordings, "n_nc.yml", "f_postthread.yml", "f_getposts.yml", "c_read.yml")
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")
    uri = "at://did:plc:ic6zqvuw5ulmfpjiwnhsr2ns/app.bsky.feed.post/3k7qmjev5lr2s"

    unread = await adapter.xrpc.query("app.bsky.notification.getUnreadCount")
    thread = await adapter.xrpc.query("app.bsky.feed.getPostThread", {"uri": uri})
    posts = await adapter.xrpc.query("app.bsky.feed.getPosts", {"uris": [uri]})
    read = await adapter.xrpc.procedure(
        "chat.bsky.convo.updateRead", {"convoId": "3ku7w6h4vog2d"}, proxy=CHAT_PROXY
    )

    assert unread == {"count": 0}
    record = PostRecord.parse(thread["thread"]["post"]["record"], "post")
    assert record == PostRecord.parse(posts["posts"][0]["record"], "post")
    assert record.reply is None and mapping.grapheme_count(record.text) < len(record.text.encode())
    assert Convo.parse(read["convo"]).id == "3ku7w6h4vog2d"
    assert server.calls("com.atproto.server.createSession").__len__() == 1
    for request in server.requests[1:]:
        assert request.url.host == RECORDED_PDS
        assert request.headers["Authorization"] == "Bearer recorded-access"
    assert server.requests[-1].headers["atproto-proxy"] == CHAT_PROXY


async def test_a_recorded_reply_carries_strong_refs_and_byte_offset_facets(recordings):
    server = replay(
        recordings, "r_post_reply.yml",
        extra={("GET", "/xrpc/com.atproto.identity.resolveHandle"): lambda request: httpx.Response(
            200, json={"did": RECORDED_BRAND_DID})},
    )  # fmt: skip
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")
    parent = f"at://{RECORDED_BRAND_DID}/app.bsky.feed.post/3kexwuoyqj32g"
    text = "Test post of urls and mentions for r package `bskyr` via @bskyr.bsky.social (https://christophertkenny.com/bskyr/)"

    sent = await adapter.send(
        OutboundRequest(idempotency_key="out-1", kind=Kind.COMMENT, text=text, in_reply_to=parent)
    )

    (lookup,) = server.calls("com.atproto.repo.getRecord")
    assert dict(lookup.url.params) == {
        "repo": RECORDED_BRAND_DID,
        "collection": "app.bsky.feed.post",
        "rkey": "3kexwuoyqj32g",
    }
    (create,) = server.calls("com.atproto.repo.createRecord")
    body = json.loads(create.content)
    assert body["repo"] == RECORDED_BRAND_DID and body["collection"] == "app.bsky.feed.post"
    assert body["rkey"] == mapping.record_key_for("out-1")
    parent_ref = {
        "uri": parent,
        "cid": "bafyreid4i763c2iyr6adhmgriiisz2p7gleztu7tn66pfrl3qhe4hgoyny",
    }
    assert body["record"]["reply"] == {"root": parent_ref, "parent": parent_ref}
    assert body["record"]["createdAt"] == "2026-03-01T12:00:00.000Z"
    recorded_parent = json.loads(load_body(recordings / "r_post_reply.yml", "getRecord"))["value"]
    assert body["record"]["facets"] == recorded_parent["facets"], (
        "the same byte offsets the real app wrote"
    )
    assert sent.external_id == f"at://{RECORDED_BRAND_DID}/app.bsky.feed.post/3lprdue7ggw26"
    assert sent.url == "https://bsky.app/profile/bskyr.bsky.social/post/3lprdue7ggw26"


def load_body(path: Path, path_suffix: str) -> str:
    return next(
        interaction.body for interaction in load(path) if interaction.path.endswith(path_suffix)
    )


async def test_a_recorded_post_without_a_parent_is_a_plain_record(recordings):
    server = replay(recordings, "r_post_text.yml")
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")

    sent = await adapter.send(
        OutboundRequest(idempotency_key="out-2", kind=Kind.MENTION, text="We are on it.")
    )

    (create,) = server.calls("com.atproto.repo.createRecord")
    record = json.loads(create.content)["record"]
    assert record == {
        "$type": "app.bsky.feed.post",
        "text": "We are on it.",
        "createdAt": "2026-03-01T12:00:00.000Z",
    }
    assert sent.external_id.endswith("/app.bsky.feed.post/3lprdud4gi72i")
    assert not server.calls("com.atproto.repo.uploadBlob")


async def test_a_recorded_refusal_is_payload_invalid_by_its_code(recordings):
    server = replay(
        recordings, "r_post_errors.yml",
        extra={
            ("GET", "/xrpc/com.atproto.repo.getRecord"):
                lambda request: xrpc_error(400, "RecordNotFound"),
        },
    )  # fmt: skip
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")

    with pytest.raises(PayloadInvalid) as refused:
        await adapter.send(
            OutboundRequest(idempotency_key="out-3", kind=Kind.MENTION, text="x" * 300)
        )

    assert isinstance(refused.value, XrpcError) and refused.value.code == "InvalidRequest"
    assert server.calls("com.atproto.repo.getRecord"), (
        "it looked for an earlier attempt before giving up"
    )


async def test_recorded_chats_become_dms_through_the_chat_proxy(recordings):
    server = replay(recordings, "c_list.yml", "c_messages.yml", "c_list.yml")
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")

    page = await adapter.fetch("dms", None)
    again = await adapter.fetch("dms", page.next_cursor)

    (listing, _listing_again) = server.calls("chat.bsky.convo.listConvos")
    (messages,) = server.calls("chat.bsky.convo.getMessages")
    assert listing.headers["atproto-proxy"] == messages.headers["atproto-proxy"] == CHAT_PROXY
    assert listing.url.host == RECORDED_PDS
    assert dict(messages.url.params) == {"convoId": "3ku7w6h4vog2d", "limit": "100"}
    assert [(item.text, item.direction) for item in page.items] == [
        ("Hello", Direction.OUT), ("Hello", Direction.OUT),
        ("Can you hear me?", Direction.IN), ("Test test test", Direction.IN),
    ]  # fmt: skip
    customer = page.items[2]
    assert customer.external_id == "chat:3ku7w6h4vog2d:3lphbnrx7l32l"
    assert customer.thread_key == "chat:3ku7w6h4vog2d" and customer.kind == Kind.DM
    assert customer.author == FetchedContact(
        "did:plc:wpe35pganb6d4pg4ekmfy6u5", "@chriskenny.bsky.social", "Chris Kenny"
    )
    assert again.items == (), "an unchanged conversation revision costs no getMessages call"


async def test_a_recorded_chat_send_goes_to_the_conversation(recordings):
    server = replay(recordings, "c_send.yml")
    server.extra[("GET", "/xrpc/chat.bsky.convo.getConvoForMembers")] = lambda request: (
        httpx.Response(200, content=load_body(recordings / "c_get_convo.yml", "getConvo").encode())
    )  # getConvoForMembers answers the same {convo: convoView} shape as the recorded getConvo
    adapter = adapter_for(server.transport, handle="bskyr.bsky.social")
    customer = FetchedContact("did:plc:wpe35pganb6d4pg4ekmfy6u5", "@chriskenny.bsky.social")

    sent = await adapter.send(
        OutboundRequest(
            idempotency_key="dm-1",
            kind=Kind.DM,
            text="[example] sent with bskyr",
            recipient=customer,
        )
    )

    (lookup,) = server.calls("chat.bsky.convo.getConvoForMembers")
    assert lookup.url.params.get_list("members") == ["did:plc:wpe35pganb6d4pg4ekmfy6u5"]
    (send,) = server.calls("chat.bsky.convo.sendMessage")
    assert send.headers["atproto-proxy"] == CHAT_PROXY
    assert json.loads(send.content) == {
        "convoId": "3ku7w6h4vog2d",
        "message": {"text": "[example] sent with bskyr"},
    }
    assert sent.external_id == "chat:3ku7w6h4vog2d:3lprddijuyg26"
    assert sent.sent_at == datetime(2025, 5, 22, 14, 30, 31, 384000, tzinfo=UTC)


# -- the fake PDS: sessions, cursors, mapping, errors ---------------------------------------


async def test_one_login_serves_every_poll_and_an_expired_token_is_refreshed():
    pds = FakePds()
    adapter = adapter_for(pds.transport)

    await asyncio.gather(adapter.fetch("notifications", None), adapter.fetch("dms", None))
    pds.expire_next_access = 1
    page = await adapter.fetch("notifications", None)
    await adapter.fetch("notifications", page.next_cursor)

    assert (pds.logins, pds.refreshes) == (1, 1)
    (refresh,) = pds.calls("com.atproto.server.refreshSession")
    assert refresh.headers["Authorization"] == "Bearer fake-refresh-1", (
        "refreshSession takes the refresh token"
    )
    assert pds.requests[-1].headers["Authorization"] == "Bearer fake-access-refreshed-1"


async def test_the_next_process_resumes_the_kept_session_instead_of_logging_in():
    pds = FakePds()
    kept: list[dict] = []
    account = AccountRef(
        id=1, platform="bluesky", handle="brand.example.com", base_url="https://bsky.social"
    )
    first = BlueskyAdapter(
        account,
        httpx.AsyncClient(transport=pds.transport),
        {"app_password": APP_PASSWORD},
        clock=lambda: NOW,
        on_credential_refreshed=kept.append,
    )
    await first.fetch("notifications", None)
    assert kept == [{"app_password": APP_PASSWORD, "refresh_jwt": "fake-refresh-1"}]

    second = BlueskyAdapter(
        account,
        httpx.AsyncClient(transport=pds.transport),
        kept[-1],
        clock=lambda: NOW,
        on_credential_refreshed=kept.append,
    )
    await second.fetch("notifications", None)

    assert (pds.logins, pds.refreshes) == (1, 1), (
        "the second process used refreshSession, not a login"
    )
    assert kept[-1]["refresh_jwt"] == "fake-refresh-r1"


async def test_an_expired_kept_session_falls_back_to_one_login():
    pds = FakePds(refresh_refused=True)
    account = AccountRef(
        id=1, platform="bluesky", handle="brand.example.com", base_url="https://bsky.social"
    )
    adapter = BlueskyAdapter(
        account,
        httpx.AsyncClient(transport=pds.transport),
        {"app_password": APP_PASSWORD, "refresh_jwt": "fake-refresh-old"},
        clock=lambda: NOW,
    )

    await adapter.fetch("notifications", None)

    assert (pds.logins, pds.refreshes) == (1, 1)


async def test_a_refused_refresh_logs_in_once_more():
    pds = FakePds(expire_next_access=1, refresh_refused=True)
    adapter = adapter_for(pds.transport)

    await adapter.fetch("notifications", None)

    assert (pds.logins, pds.refreshes) == (2, 1)


async def test_a_reply_that_mentions_the_brand_arrives_once_as_a_comment_in_its_thread():
    adapter = adapter_for(FakePds().transport)

    page = await adapter.fetch("notifications", None)

    by_rkey = {item.external_id.rsplit("/", 1)[1]: item for item in page.items}
    assert set(by_rkey) == {
        "3lc0000000005",
        "3lc0000000003",
        "3lc0000000002",
        "3lc0000000001",
        "3lc0000000000",
    }
    brand_root = f"at://{BRAND_DID}/app.bsky.feed.post/3lbrandroot22"
    assert (by_rkey["3lc0000000005"].kind, by_rkey["3lc0000000005"].thread_key) == (
        Kind.COMMENT,
        brand_root,
    )
    assert (by_rkey["3lc0000000003"].kind, by_rkey["3lc0000000003"].thread_key) == (
        Kind.COMMENT,
        brand_root,
    )
    assert by_rkey["3lc0000000003"].parent_external_id == brand_root
    quote = by_rkey["3lc0000000002"]
    assert (quote.kind, quote.thread_key) == (Kind.MENTION, quote.external_id)
    elsewhere = by_rkey["3lc0000000001"]
    assert (elsewhere.kind, elsewhere.thread_key) == (
        Kind.MENTION,
        "at://did:plc:dandandandandandandan0003/app.bsky.feed.post/3ldanroot2222",
    )
    assert "\u202e" in by_rkey["3lc0000000000"].text, (
        "hostile text is kept as said; display strips it"
    )


async def test_new_notifications_are_read_down_to_the_newest_one_already_seen():
    pds = FakePds()
    adapter = adapter_for(pds.transport, page_size=2)
    cursor, pages = None, 0
    while True:
        page = await adapter.fetch("notifications", cursor)
        cursor, pages = page.next_cursor, pages + 1
        if not page.has_more:
            break
    newest = dict(
        pds.notifications[0],
        uri=f"at://{BRAND_DID}x/app.bsky.feed.post/3lc0000000009",
        indexedAt="2026-03-01T11:59:00.000Z",
    )
    newest["author"] = dict(newest["author"], did="did:plc:newcomer")
    pds.notifications.insert(0, newest)
    calls_before = len(pds.calls("app.bsky.notification.listNotifications"))

    fresh = await adapter.fetch("notifications", cursor)

    assert pages == 3
    assert [item.external_id for item in fresh.items] == [newest["uri"]]
    assert not fresh.has_more
    assert len(pds.calls("app.bsky.notification.listNotifications")) == calls_before + 1, (
        "one page, not the history"
    )


async def test_rate_limits_and_outages_map_to_the_error_tree():
    pds = FakePds(failure="rate_limited")
    with pytest.raises(RateLimited) as limited:
        await adapter_for(pds.transport).fetch("notifications", None)
    assert limited.value.reset_at == datetime(2026, 3, 1, 12, 5, tzinfo=UTC)

    def outage(request: httpx.Request) -> httpx.Response:
        return xrpc_error(502, "UpstreamFailure", "Upstream service unreachable")

    with pytest.raises(PlatformUnavailable):
        await adapter_for(httpx.MockTransport(outage)).fetch("notifications", None)

    def dropped(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(PlatformUnavailable):
        await adapter_for(httpx.MockTransport(dropped)).fetch("notifications", None)


async def test_errors_are_told_apart_by_their_code_never_their_message():
    pds = FakePds()
    adapter = adapter_for(pds.transport)
    await adapter.fetch("dms", None)
    pds._chat_bsky_convo_listConvos = lambda request: xrpc_error(
        400, "InvalidToken", "Token has expired"
    )  # type: ignore[method-assign]
    with pytest.raises(AuthExpired):
        await adapter.fetch("dms", None)
    pds._chat_bsky_convo_listConvos = lambda request: xrpc_error(
        400, "InvalidRequest", "Token has expired"
    )  # type: ignore[method-assign]
    with pytest.raises(XrpcError) as refused:
        await adapter.fetch("dms", None)
    assert refused.value.code == "InvalidRequest"
    assert pds.refreshes == 0


async def test_a_reply_deep_in_a_thread_points_at_the_thread_root_and_its_parent():
    pds = FakePds()
    pds.handles["carol.example.com"] = "did:plc:carolcarolcarolcarol0002"
    adapter = adapter_for(pds.transport)
    parent = pds.notifications[0]
    text = "@carol.example.com sorry! Status: https://status.example.com/incidents/42 🙏"

    sent = await adapter.send(
        OutboundRequest(
            idempotency_key="reply-7", kind=Kind.COMMENT, text=text, in_reply_to=parent["uri"]
        )
    )
    again = await adapter.send(
        OutboundRequest(
            idempotency_key="reply-7", kind=Kind.COMMENT, text=text, in_reply_to=parent["uri"]
        )
    )

    record = pds.records[sent.external_id]
    assert record["reply"]["root"] == parent["record"]["reply"]["root"]
    assert record["reply"]["parent"] == {"uri": parent["uri"], "cid": parent["cid"]}
    encoded = text.encode()
    spans = [
        encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()
        for facet in record["facets"]
    ]
    assert spans == ["@carol.example.com", "https://status.example.com/incidents/42"]
    assert (again.external_id, again.url) == (sent.external_id, sent.url)
    assert len(pds.records) == 1, "a retry with the same key lands on the same record"
    assert (await adapter._find_post("reply-7")).external_id == sent.external_id
    assert await adapter._find_post("never-sent") is None


async def test_texts_are_counted_in_graphemes_before_anything_is_sent():
    pds = FakePds()
    adapter = adapter_for(pds.transport)
    family = "👨‍👩‍👧‍👦"

    await adapter.send(
        OutboundRequest(idempotency_key="long-ok", kind=Kind.MENTION, text=family * 300)
    )
    with pytest.raises(PayloadInvalid, match="301 graphemes"):
        await adapter.send(
            OutboundRequest(idempotency_key="too-long", kind=Kind.MENTION, text=family * 301)
        )

    assert len(pds.calls("com.atproto.repo.createRecord")) == 1


def test_facets_use_utf8_byte_offsets_and_skip_unknown_handles():
    text = "Héllo @known.example.com and @unknown.example.com, see (https://example.com/a?b=1)."

    found = mapping.facets(text, {"known.example.com": "did:plc:known"})

    encoded = text.encode()
    assert [encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode() for f in found] == [
        "@known.example.com", "https://example.com/a?b=1",
    ]  # fmt: skip
    assert found[0]["index"] == {"byteStart": 7, "byteEnd": 25}
    assert found[0]["features"] == [
        {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:known"}
    ]


def test_record_keys_are_stable_valid_tids():
    import re

    key = mapping.record_key_for("outbound-42")
    assert key == mapping.record_key_for("outbound-42") != mapping.record_key_for("outbound-43")
    assert re.fullmatch(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}", key)


async def test_a_chat_reply_goes_to_its_conversation_and_chats_can_be_turned_off():
    pds = FakePds()
    adapter = adapter_for(pds.transport)

    sent = await adapter.send(
        OutboundRequest(
            idempotency_key="dm-2",
            kind=Kind.DM,
            text="Sorry! Sending a new one today.",
            thread_key="chat:3convocarol01",
        )
    )

    (send,) = pds.calls("chat.bsky.convo.sendMessage")
    assert json.loads(send.content)["convoId"] == "3convocarol01"
    assert sent.external_id == "chat:3convocarol01:3msgsent00001"
    assert adapter_for(pds.transport, dms=False).streams == ("notifications",)


def test_sessions_never_show_their_tokens():
    from adapters.bluesky.payloads import Session

    session = Session.parse(
        {"did": "did:plc:x", "handle": "x.test", "accessJwt": "secret-a", "refreshJwt": "secret-r"}
    )
    assert "secret" not in repr(session)
    adapter = adapter_for(FakePds().transport)
    assert APP_PASSWORD not in repr(adapter.xrpc) and APP_PASSWORD not in repr(
        vars(adapter.xrpc).keys()
    )


# -- posts arrive whole: links, media, quotes, cards (tests/data/bluesky/rich_*.json) --------

CDN = "https://cdn.bsky.app/img/feed_fullsize/plain"
BRAND_POST_URL = f"https://bsky.app/profile/{BRAND_DID}/post/3lbrandroot22"


def rich_pds() -> FakePds:
    """A PDS serving the posts and chat messages with links, media, quotes and cards."""
    return FakePds(
        notifications=fixture("rich_notifications.json")["notifications"],
        messages=fixture("rich_messages.json"),
    )


async def rich_items(pds: FakePds | None = None) -> dict[str, FetchedItem]:
    """What the adapter fetched from `pds` (default `rich_pds()`), by record key or message id."""
    adapter = adapter_for((pds or rich_pds()).transport)
    posts = await adapter.fetch("notifications", None)
    chats = await adapter.fetch("dms", None)
    return {
        item.external_id.replace(":", "/").rsplit("/", 1)[-1]: item
        for item in posts.items + chats.items
    }


async def test_a_truncated_link_shows_its_full_target_found_by_utf8_byte_offsets():
    items = await rich_items()

    assert items["3lr0000000006"].text == (
        "@brand.example.com Commande #4411 bloquée 😤 — j’ai suivi "
        "https://support.example.com/help/orders/tracking-delayed?ref=bsky sans succès. "
        "Statut: status.example.com, et le lien du mail: "
        "cliquez ici (https://track.example.net/r/8f3a?u=carol)"
    ), "truncation -> the full URL; its own target -> as written; other words -> target added"


async def test_an_image_only_post_arrives_with_its_images_and_alt_texts():
    items = await rich_items()

    photos = items["3lr0000000005"]
    assert photos.text == ""
    assert photos.attachments == (
        Attachment(
            AttachmentKind.IMAGE,
            url=f"{CDN}/did:plc:dandandandandandandan0003/"
            "bafkreih6uymwg6chcrhjj6quyywy4ufeyz73j2q7vqxh2pflj2obu4tfua@jpeg",
            description="Parcel label torn, order number 4411 visible",
            size=153685,
        ),
        Attachment(
            AttachmentKind.IMAGE,
            url=f"{CDN}/did:plc:dandandandandandandan0003/"
            "bafkreifxqiz5h6bki7v2irxt6ofuow3buvdzohuszwex3husu3hcewle7e@jpeg",
            description="Empty box on a doorstep",
            size=714013,
        ),
    )


def test_a_blob_becomes_the_cdn_address_the_appview_gives_for_it(recordings):
    """The recorded getPosts answer has both forms of one image: record blob and view URLs."""
    post = next(
        interaction.json()["posts"][0]
        for interaction in load(recordings / "f_getposts.yml")
        if interaction.path.endswith("getPosts")
    )
    record = PostRecord.parse(post["record"], "post")

    from_record = mapping.embed_attachments(record.embed_parts, post["author"]["did"], post["uri"])
    from_view = mapping.embed_attachments(
        EmbedPart.split(post["embed"]), post["author"]["did"], post["uri"]
    )

    assert [a.url for a in from_record] == [a.url for a in from_view]
    assert from_view[0].url == post["embed"]["images"][0]["fullsize"]


async def test_a_quoted_post_becomes_a_quote_pointing_at_it():
    items = await rich_items()

    quote = items["3lr0000000004"]
    assert quote.text == "Is this still true? 🤔"
    assert quote.attachments == (Attachment(AttachmentKind.QUOTE, url=BRAND_POST_URL),)


async def test_a_link_card_becomes_a_link_with_its_title_and_description():
    items = await rich_items()

    news = items["3lr0000000003"]
    target = "https://www.nbcnews.com/business/outage-brand-rcna214089"
    assert news.text == f"Your outage made the news 📰 {target}"
    assert news.attachments == (
        Attachment(
            AttachmentKind.LINK,
            url=target,
            title="Brand customers report a second day of delivery delays",
            description="Customers say orders placed since Friday have not shipped.",
        ),
    )


async def test_a_quote_with_media_brings_the_media_then_the_quote():
    items = await rich_items()

    both = items["3lr0000000002"]
    assert [(a.kind, a.url, a.description) for a in both.attachments] == [
        (
            AttachmentKind.IMAGE,
            f"{CDN}/did:plc:carolcarolcarolcarol0002/"
            "bafkreic3cp5ky525vsukjvrzxsc2h3jka2gud74l2hgeatw2rhj2qycnmq@jpeg",
            None,
        ),
        (AttachmentKind.QUOTE, BRAND_POST_URL, None),
    ]


async def test_a_video_arrives_with_its_alt_text_and_playlist():
    items = await rich_items()

    (video,) = items["3lr0000000001"].attachments
    assert video == Attachment(
        AttachmentKind.VIDEO,
        url="https://video.bsky.app/watch/did%3Aplc%3Aerinerinerinerinerin0004/"
        "bafkreidc6rkgxvn642qrwpejspetfynewssxa3wrwenzal7ttm7gug4xzi/playlist.m3u8",
        description="Box opened, the mug inside in pieces",
        size=2839721,
    )


async def test_a_post_shared_in_a_chat_is_a_quote_with_its_author_and_text():
    items = await rich_items()

    shared = items["3msg000000011"]
    assert shared.text == (
        "Here is the post 👉 https://bsky.app/profile/brand.example.com/post/3lbrandroot22"
    )
    assert shared.attachments == (
        Attachment(
            AttachmentKind.QUOTE,
            url="https://bsky.app/profile/brand.example.com/post/3lbrandroot22",
            description="Deliveries resume Monday 📦 details: "
            "https://brand.example.com/news/deliveries-resume",
            author="@brand.example.com",
        ),
    )
    gone = items["3msg000000012"]
    assert gone.text == "" and gone.attachments[0].summary() == (
        "[quote: the quoted post was deleted]"
    )


async def test_a_malformed_embed_is_dropped_and_logged_and_its_post_kept(caplog):
    pds = rich_pds()
    photos, card = pds.notifications[1]["record"], pds.notifications[3]["record"]
    photos["embed"]["images"][1]["image"] = {"ref": {"$link": "../../evil"}}
    card["embed"]["external"]["uri"] = "javascript:alert(1)"

    with caplog.at_level(logging.WARNING):
        items = await rich_items(pds)

    assert [a.description for a in items["3lr0000000005"].attachments] == [
        "Parcel label torn, order number 4411 visible"
    ], "the good image is kept"
    assert items["3lr0000000003"].attachments == ()
    assert items["3lr0000000003"].text.startswith("Your outage made the news")
    assert caplog.text.count("dropped a malformed Bluesky embed") == 2
    assert "evil" not in caplog.text and "javascript" not in caplog.text
