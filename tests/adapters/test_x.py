"""The X adapter, replayed against real recorded answers and a fake X API.

Recordings come from ../shared/recordings/x (tweepy's suite against api.twitter.com,
gzip bodies). tweepy asked for no extra fields, so the recorded posts and DM events
lack `author_id`/`sender_id`: the adapter must skip them one by one, not crash, and
still move its cursor. The fake in harness_x serves hand-made data with every field.
The last tests send over a real socket to `LoopbackX` (tests/support/loopback_x.py), which
fails after creating the post, as a 5xx, a hang or a dropped connection would.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from adapters._http import reset_from_epoch
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
    SentRef,
)
from adapters.x import adapter as x_adapter
from adapters.x.adapter import XAdapter
from adapters.x.payloads import Page, snowflake_time
from inbox.store.ingest import _problem
from tests.adapters.harness_x import CREDENTIAL, NOW, RICH, FakeX, build
from tests.conftest import RECORDINGS, skip_or_fail
from tests.support.cassettes import Replay, pick, recording
from tests.support.loopback import Fault
from tests.support.loopback_x import LoopbackX

TWITTER = "https://api.twitter.com"


def recorded_adapter(replay: Replay, user_id: str = "783214") -> XAdapter:
    account = AccountRef(
        id=1, platform="x", handle="@TwitterDev", settings={"api_base": TWITTER, "user_id": user_id}
    )
    return XAdapter(account, replay.client(), CREDENTIAL, clock=lambda: NOW)


def test_every_x_recording_is_replayed_here():
    if not (RECORDINGS / "x").exists():
        skip_or_fail(f"no shared recordings at {RECORDINGS}")
    replayed = {
        "test_client_get_users_mentions.yaml",
        "test_client_create_and_delete_tweet.yaml",
        "test_manage_and_lookup_direct_messages.yaml",
        "test_client_hide_and_unhide_reply.yaml",
        "test_client_get_users_tweets.yaml",
    }
    assert {path.name for path in (RECORDINGS / "x").glob("*.yaml")} == replayed


async def test_recorded_mentions_without_authors_are_skipped_but_the_walk_goes_on(caplog):
    recorded = pick(recording("x", "test_client_get_users_mentions.yaml"), "GET", "/mentions")
    replay = Replay().route("GET", "/2/users/783214/mentions", recorded)

    page = await recorded_adapter(replay).fetch("mentions", None)

    assert page.items == ()
    assert caplog.text.count("skipped a malformed X post") == 10
    assert "1578516295611748353" in caplog.text
    assert page.has_more
    assert json.loads(page.next_cursor) == {
        "newest": "1578516295611748353",
        "token": recorded.json()["meta"]["next_token"],
    }
    [request] = replay.requests
    assert request.url.path == "/2/users/783214/mentions"
    assert request.url.params["max_results"] == "100" and "since_id" not in request.url.params
    assert "author_id" in request.url.params["tweet.fields"].split(",")
    assert set(request.url.params["expansions"].split(",")) == {
        "author_id",
        "attachments.media_keys",
        "attachments.poll_ids",
        "referenced_tweets.id",
        "referenced_tweets.id.author_id",
    }
    assert {"entities", "attachments", "note_tweet"} <= set(
        request.url.params["tweet.fields"].split(",")
    )
    assert "alt_text" in request.url.params["media.fields"].split(",")
    assert request.headers["Authorization"] == f"Bearer {CREDENTIAL['access_token']}"


async def test_the_walk_continues_with_the_token_then_polls_with_since_id():
    recorded = pick(recording("x", "test_client_get_users_mentions.yaml"), "GET", "/mentions")

    def empty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"meta": {"result_count": 0}})

    first = await recorded_adapter(Replay().route("GET", "/mentions", recorded)).fetch(
        "mentions", None
    )

    replay = Replay().route("GET", "/mentions", empty)
    adapter = recorded_adapter(replay)
    ended = await adapter.fetch("mentions", first.next_cursor)
    idle = await adapter.fetch("mentions", ended.next_cursor)

    assert (
        replay.requests[0].url.params["pagination_token"] == recorded.json()["meta"]["next_token"]
    )
    assert not ended.has_more and json.loads(ended.next_cursor) == {"floor": "1578516295611748353"}
    assert replay.requests[1].url.params["since_id"] == "1578516295611748353"
    assert idle.items == () and idle.next_cursor == ended.next_cursor


def test_recorded_posts_carry_their_time_in_the_id():
    recorded = pick(recording("x", "test_client_get_users_tweets.yaml"), "GET", "/tweets")
    page = Page.parse(recorded.json())
    assert page.newest_id == "1577730467436138524" and page.next_token
    assert snowflake_time("1577730467436138524").date() == datetime(2022, 10, 5, tzinfo=UTC).date()


async def test_a_recorded_post_answer_is_the_sent_ref():
    recorded = pick(recording("x", "test_client_create_and_delete_tweet.yaml"), "POST", "/2/tweets")
    replay = Replay().route("POST", "/2/tweets", recorded)

    sent = await recorded_adapter(replay).send(
        OutboundRequest(
            idempotency_key="k",
            kind=Kind.COMMENT,
            text="Test Tweet",
            in_reply_to="1578516295611748353",
        )
    )

    assert sent.external_id == "1456012973835788293"
    assert sent.url == "https://x.com/i/web/status/1456012973835788293"
    assert json.loads(replay.requests[0].content) == {
        "text": "Test Tweet",
        "reply": {"in_reply_to_tweet_id": "1578516295611748353"},
    }
    assert json.loads(recorded.request_body) == {"text": "Test Tweet"}


async def test_recorded_dm_sends_go_to_the_person_or_the_conversation():
    recorded = recording("x", "test_manage_and_lookup_direct_messages.yaml")
    replay = (
        Replay()
        .route(
            "POST", "/2/dm_conversations/with/", pick(recorded, "POST", "/dm_conversations/with/")
        )
        .route(
            "POST",
            "/2/dm_conversations/750362064426721281-1072250532645998596/messages",
            pick(recorded, "POST", "-1072250532645998596/messages"),
        )
    )
    adapter = recorded_adapter(replay)

    to_person = await adapter.send(
        OutboundRequest(
            idempotency_key="a",
            kind=Kind.DM,
            text="Testing 1",
            recipient=FetchedContact(external_id="750362064426721281", handle="@x"),
        )
    )
    in_conversation = await adapter.send(
        OutboundRequest(
            idempotency_key="b",
            kind=Kind.DM,
            text="Testing 2",
            thread_key="dm:750362064426721281-1072250532645998596",
        )
    )

    assert (to_person.external_id, in_conversation.external_id) == (
        "1585800613253812228",
        "1585800613752881156",
    )
    assert [json.loads(r.content) for r in replay.requests] == [
        {"text": "Testing 1"},
        {"text": "Testing 2"},
    ]


async def test_recorded_dm_events_without_senders_are_skipped_and_the_cursor_moves(caplog):
    recorded = recording("x", "test_manage_and_lookup_direct_messages.yaml")
    empty = pick(recorded, "GET", "/2/dm_events")
    events = pick(
        recorded, "GET", "/dm_conversations/750362064426721281-1072250532645998596/dm_events"
    )
    replay = Replay().route("GET", "/2/dm_events", [empty, events])
    adapter = recorded_adapter(replay)

    nothing = await adapter.fetch("dms", None)
    skipped = await adapter.fetch("dms", None)

    assert nothing.items == () and not nothing.has_more
    assert skipped.items == () and caplog.text.count("skipped a malformed X DM event") == 2
    assert json.loads(skipped.next_cursor)["newest"] == "1585800613752881156"
    assert replay.requests[0].url.params["event_types"] == "MessageCreate"
    assert "sender_id" in replay.requests[0].url.params["dm_event.fields"].split(",")


def test_recorded_rate_limit_resets_are_epoch_seconds():
    answer = pick(
        recording("x", "test_client_hide_and_unhide_reply.yaml"), "PUT", "/hidden"
    ).response()
    assert reset_from_epoch("x-rate-limit-reset")(answer.headers, NOW) == datetime.fromtimestamp(
        1618285574, UTC
    )


# -- the fake X (hand-made data) ---------------------------------------------------------


async def test_mentions_walk_pages_and_map_replies_to_the_brand_as_comments(caplog):
    server = FakeX()
    adapter = build({}, server)
    items, cursor, pages = [], None, 0
    while True:
        page = await adapter.fetch("mentions", cursor)
        items.extend(page.items)
        cursor, pages = page.next_cursor, pages + 1
        if not page.has_more:
            break

    by_id = {item.external_id: item for item in items}
    assert pages == 3 and "1900000000000000104" in caplog.text
    assert sorted(by_id) == [
        "1900000000000000101",
        "1900000000000000102",
        "1900000000000000103",
        "1900000000000000105",
    ]
    comment = by_id["1900000000000000103"]
    assert (comment.kind, comment.thread_key, comment.parent_external_id) == (
        Kind.COMMENT,
        "conversation:1900000000000000001",
        "1900000000000000001",
    )
    assert comment.author == FetchedContact(
        external_id="101", handle="@carol", display_name="Carol"
    )
    assert by_id["1900000000000000102"].kind == Kind.MENTION
    hostile = by_id["1900000000000000105"]
    assert (
        _problem(hostile) is None
        and "\u202e" in hostile.text
        and hostile.author.display_name == "[blink]Dave[/blink]"
    )
    assert json.loads(cursor) == {"floor": "1900000000000000105"}
    assert [r.url.path for r in server.requests[:1]] == ["/2/users/me"]


async def test_dm_events_stop_at_the_newest_stored_event():
    server = FakeX()
    adapter = build({}, server)

    first = await adapter.fetch("dms", json.dumps({"floor": "1900000000000000202"}))
    last = await adapter.fetch("dms", first.next_cursor)

    assert [
        (item.external_id, item.direction, item.thread_key) for item in (*first.items, *last.items)
    ] == [
        ("1900000000000000205", Direction.OUT, "dm:101-9000"),
        ("1900000000000000203", Direction.IN, "dm:101-9000"),
    ]
    assert first.has_more and not last.has_more
    assert json.loads(last.next_cursor) == {"floor": "1900000000000000205"}
    assert (await adapter.fetch("dms", last.next_cursor)).items == ()


async def test_an_expired_token_is_refreshed_and_the_rotated_one_reported():
    server = FakeX()
    server.access_token = "x-access-2"
    rotated = []
    adapter = build({}, server, on_credential_refreshed=rotated.append)

    await adapter.fetch("dms", None)

    token_requests = [r for r in server.requests if r.url.path == "/2/oauth2/token"]
    assert len(token_requests) == 1 and "Authorization" not in token_requests[0].headers
    assert (
        rotated[0]["refresh_token"] == "x-refresh-2" and rotated[0]["access_token"] == "x-access-2"
    )


async def test_a_refused_refresh_is_auth_expired_without_tokens(caplog):
    caplog.set_level(logging.DEBUG)
    server = FakeX()
    server.access_token, server.refresh_token = "other", "other"

    with pytest.raises(AuthExpired) as raised:
        await build({}, server).fetch("mentions", None)

    for secret in CREDENTIAL.values():
        assert secret not in str(raised.value) and secret not in caplog.text


async def test_a_new_dm_to_a_person_uses_the_with_endpoint():
    server = FakeX()
    sent = await build({"user_id": "9000"}, server).send(
        OutboundRequest(
            idempotency_key="k",
            kind=Kind.DM,
            text="Hello",
            recipient=FetchedContact(external_id="101", handle="@carol"),
        )
    )
    [created] = server.sent_dms
    assert sent.external_id == created["id"] and created["dm_conversation_id"] == "101-9000"
    assert server.requests[-1].url.path == "/2/dm_conversations/with/101/messages"


class _Person:
    """Plays the person in the login flow: approves the app and pastes the redirect back."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.shown: list[str] = []

    def show(self, text: str) -> None:
        self.shown.append(text)

    def ask(self, question: str, *, secret: bool = False) -> str:
        if question.startswith("Paste the address"):
            authorize = next(
                line.strip() for line in self.shown if line.strip().startswith("https://x.com/")
            )
            state = httpx.URL(authorize).params["state"]
            return f"http://127.0.0.1:8765/callback?state={state}&code=the-code"
        return next(
            answer for prefix, answer in self.answers.items() if question.startswith(prefix)
        )


async def test_logging_in_with_pkce_exchanges_the_pasted_code_for_tokens():
    from adapters.base import AccountRef
    from adapters.x.adapter import XAdapter

    seen = []

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "access_token": "at",
                "refresh_token": "rt",
                "expires_in": 7200,
                "token_type": "bearer",
            },
        )

    person = _Person(
        {"Client ID": "client-1", "Client secret": "", "Callback": "http://127.0.0.1:8765/callback"}
    )
    async with httpx.AsyncClient(transport=httpx.MockTransport(token_endpoint)) as client:
        credential = await XAdapter.log_in(AccountRef(0, "x", "@brand"), client, person)

    authorize = httpx.URL(
        next(line.strip() for line in person.shown if "x.com/i/oauth2/authorize" in line)
    )
    assert authorize.params["code_challenge_method"] == "S256"
    assert "offline.access" in authorize.params["scope"]
    form = dict(httpx.QueryParams(seen[0].content.decode()))
    assert seen[0].url.path == "/2/oauth2/token"
    assert form["code"] == "the-code" and form["grant_type"] == "authorization_code"
    assert form["code_verifier"] and form["redirect_uri"] == "http://127.0.0.1:8765/callback"
    assert {key: credential[key] for key in ("client_id", "access_token", "refresh_token")} == {
        "client_id": "client-1",
        "access_token": "at",
        "refresh_token": "rt",
    }
    assert "expires_at" in credential


def test_a_redirect_from_another_attempt_is_refused():
    from adapters.x.oauth import Authorization

    authorization = Authorization.start("client-1", "http://127.0.0.1:8765/callback")

    with pytest.raises(ValueError, match="another attempt"):
        authorization.code_from("http://127.0.0.1:8765/callback?state=forged&code=stolen")
    with pytest.raises(ValueError, match="not authorized"):
        authorization.code_from(
            f"http://127.0.0.1:8765/callback?state={authorization.state}&error=access_denied"
        )
    assert authorization.code_from(" bare-code ") == "bare-code"


# -- whole posts: links, escapes, media, quotes, polls, long texts (tests/data/x/rich.json) -


def rich_data() -> dict:
    """tests/data/x/rich.json, to serve as it is or broken in one place."""
    return json.loads(RICH.read_text(encoding="utf-8"))


async def rich_items(stream: str, data: dict | None = None) -> dict[str, FetchedItem]:
    """Every item of `stream` the fake X serves from `data` (rich.json), by external id."""
    server = FakeX(data=data or rich_data(), page_size=100)
    page = await build({}, server).fetch(stream, None)
    assert not page.has_more
    return {item.external_id: item for item in page.items}


async def test_a_tco_link_after_a_multi_byte_emoji_shows_its_expanded_url():
    item = (await rich_items("mentions"))["1900000000000000407"]

    assert item.text == (
        "@BrandCare checkout is down again \U0001f449 https://status.example.com/incidents/42"
        " and the status page \U0001f5fa \U0001f9e0 says all fine:"
        " https://shop.example.com/orders/123?ref=mail&lang=en"
    )
    assert item.attachments == (
        Attachment(
            kind=AttachmentKind.LINK,
            url="https://status.example.com/incidents/42",
            title="Checkout degraded",
            description="We are investigating failed payments at checkout.",
        ),
    )


async def test_xs_html_escapes_are_decoded_once():
    item = (await rich_items("mentions"))["1900000000000000406"]

    assert item.text == (
        "@BrandCare vigil & march outside the store tonight? NYC < London > Paris for service."
        " I typed &amp; on purpose"
    )


async def test_an_image_only_post_is_its_image_with_the_alt_text():
    item = (await rich_items("mentions"))["1900000000000000405"]

    assert item.text == "@BrandCare"
    assert item.attachments == (
        Attachment(
            kind=AttachmentKind.IMAGE,
            url="https://pbs.twimg.com/media/E8XA5Q9WUAIXRSe.jpg",
            description="Screenshot of the checkout page showing error 502",
        ),
    )


async def test_a_gif_is_a_video_and_an_older_link_to_it_leaves_the_text():
    item = (await rich_items("mentions"))["1900000000000000401"]

    assert item.text == "@BrandCare me waiting for a reply"
    assert item.attachments == (
        Attachment(
            kind=AttachmentKind.VIDEO,
            url="https://video.twimg.com/tweet_video/FWCVvLfUEAEsMeQ.mp4",
            description="A skeleton waiting on a park bench",
        ),
    )


async def test_a_quote_post_carries_the_quoted_post_with_its_author():
    item = (await rich_items("mentions"))["1900000000000000404"]

    assert (
        item.text
        == "@BrandCare is this true? https://twitter.com/newsdesk/status/1900000000000000350"
    )
    assert item.attachments == (
        Attachment(
            kind=AttachmentKind.QUOTE,
            url="https://x.com/newsdesk/status/1900000000000000350",
            description="BrandCare stores close early today & reopen Monday",
            author="@newsdesk",
        ),
    )


async def test_a_quoted_post_x_left_out_is_still_linked():
    data = rich_data()
    data["tweets"] = []

    item = (await rich_items("mentions", data))["1900000000000000404"]

    assert item.attachments == (
        Attachment(kind=AttachmentKind.QUOTE, url="https://x.com/i/web/status/1900000000000000350"),
    )


async def test_a_poll_arrives_with_its_options_in_order():
    item = (await rich_items("mentions"))["1900000000000000403"]

    assert item.text == "@BrandCare which should you fix first?"
    assert item.attachments == (
        Attachment(kind=AttachmentKind.POLL, options=("\u201cCheckout\u201d", "\u201cLogin\u201d")),
    )


async def test_a_long_post_arrives_whole_from_its_note_tweet():
    item = (await rich_items("mentions"))["1900000000000000402"]

    assert item.text.startswith(
        "@BrandCare Long story: I ordered on Monday, paid twice, and the refund form at"
        " https://shop.example.com/refunds/new keeps failing."
    )
    assert item.text.endswith("Order 123, paid with the card ending 4242.")
    assert "\u2026" not in item.text and "t.co" not in item.text


async def test_a_dm_with_media_carries_the_image_and_drops_its_tco_link():
    items = await rich_items("dms")

    assert items["1900000000000000212"].text == "Here is the receipt"
    assert items["1900000000000000212"].attachments == (
        Attachment(
            kind=AttachmentKind.IMAGE,
            url="https://ton.twitter.com/1.1/ton/data/dm/1900000000000000212/1900000000000000910/receipt.jpg",
            description="Receipt for order 123",
        ),
    )
    assert items["1900000000000000211"].attachments == ()


async def test_mentions_and_dms_ask_x_for_media_polls_and_quotes():
    server = FakeX(data=rich_data(), page_size=100)
    adapter = build({}, server)
    await adapter.fetch("mentions", None)
    await adapter.fetch("dms", None)

    mentions, dms = (r.url.params for r in server.requests if r.url.path != "/2/users/me")
    for params in (mentions, dms):
        assert "attachments.media_keys" in params["expansions"].split(",")
        assert {"alt_text", "variants", "url", "preview_image_url"} <= set(
            params["media.fields"].split(",")
        )
    assert mentions["poll.fields"] == "options"
    assert {
        "attachments.poll_ids",
        "referenced_tweets.id",
        "referenced_tweets.id.author_id",
    } <= set(mentions["expansions"].split(","))
    assert {"entities", "attachments"} <= set(dms["dm_event.fields"].split(","))


async def test_a_malformed_entity_or_include_is_dropped_and_logged_never_the_post(caplog):
    data = rich_data()
    by_id = {post["id"]: post for post in data["mentions"]}
    by_id["1900000000000000407"]["entities"]["urls"][1]["start"] = "forty"
    by_id["1900000000000000401"]["attachments"] = "16_1900000000000000901"
    data["media"][0]["url"] = {"href": data["media"][0]["url"]}
    data["polls"][0]["options"] = [{"position": 1}]
    data["tweets"][0] = {"id": "1900000000000000350", "text": ["not", "text"]}

    items = await rich_items("mentions", data)

    assert sorted(items) == sorted(by_id)
    link = items["1900000000000000407"]
    assert "https://status.example.com/incidents/42" in link.text
    assert link.text.endswith("says all fine: https://t.co/Ey9CKYSBph")
    image_post = items["1900000000000000405"]
    assert (
        image_post.text == "@BrandCare https://twitter.com/erin/status/1900000000000000405/photo/1"
    )
    assert image_post.attachments == ()
    assert items["1900000000000000403"].attachments == ()
    assert items["1900000000000000401"].attachments == ()
    assert items["1900000000000000404"].attachments[0].description is None
    assert caplog.text.count("dropped a malformed X") == 5
    assert "url entity of post 1900000000000000407" in caplog.text


# -- find_sent: asking X what an interrupted send posted ---------------------------------

LOOK_FROM = NOW - timedelta(minutes=2)
"""`since` as the outbox computes it for a row queued now."""

CAROL_ASKED = "1900000000000000101"
"""Carol's mention in tests/data/x/inbox.json; the brand answered it at 10:10 (timeline.json)."""

ANSWERED_AT_TEN = OutboundRequest(
    idempotency_key="earlier",
    kind=Kind.COMMENT,
    text="Sorry about that, we are looking into it. https://status.example.com/incidents/7",
    thread_key="conversation:1900000000000000101",
    in_reply_to=CAROL_ASKED,
)
"""What the brand's post 1900000000000000301 in timeline.json says, as the outbox held it."""


def reply(text: str = "Still down? We are restarting it now.", **fields) -> OutboundRequest:
    """A reply to Carol's "still down?" (1900000000000000103), as the outbox asks it sent."""
    return OutboundRequest(
        idempotency_key="k",
        kind=Kind.COMMENT,
        text=text,
        thread_key=fields.pop("thread_key", "conversation:1900000000000000001"),
        in_reply_to=fields.pop("in_reply_to", "1900000000000000103"),
        **fields,
    )


async def test_a_reply_x_created_before_answering_503_is_found_by_another_process():
    server = FakeX(fail="answer_503_after_create")
    with pytest.raises(PlatformUnavailable):
        await build({}, server).send(reply())
    server.fail = None

    found = await build({}, server).find_sent(reply(), LOOK_FROM)

    [posted] = [post for post in server.timeline if post["text"] == reply().text]
    assert found == SentRef(
        external_id=posted["id"],
        url=f"https://x.com/i/web/status/{posted['id']}",
        sent_at=NOW,
    )
    assert [r.method for r in server.requests if r.url.path == "/2/tweets"] == ["POST"]
    [look_up] = [r for r in server.requests if r.url.path == "/2/users/9000/tweets"]
    assert look_up.url.params["start_time"] == "2026-03-01T11:58:00Z"
    assert "referenced_tweets" in look_up.url.params["tweet.fields"].split(",")


@pytest.mark.parametrize(
    "asked",
    [
        reply(text="Still down? We are restarting it now!!"),
        reply(in_reply_to="1900000000000000102"),
        reply(in_reply_to=None, thread_key=None),
    ],
    ids=["other text", "other parent", "no parent"],
)
async def test_a_post_with_another_text_or_parent_is_not_the_one_sent(asked):
    server = FakeX()
    await build({}, server).send(reply())

    assert await build({}, server).find_sent(asked, LOOK_FROM) is None
    assert await build({}, server).find_sent(reply(), LOOK_FROM) is not None


async def test_a_same_reply_posted_before_since_is_not_the_one_sent():
    adapter = build({}, FakeX())

    assert await adapter.find_sent(ANSWERED_AT_TEN, LOOK_FROM) is None
    earlier = await adapter.find_sent(ANSWERED_AT_TEN, datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
    assert earlier is not None and earlier.external_id == "1900000000000000301"


async def test_a_post_earlier_in_the_second_x_rounds_since_down_to_is_not_the_one_sent():
    server = FakeX()
    server.now = datetime(2026, 3, 1, 11, 58, 0, 100_000, tzinfo=UTC)
    await build({}, server).send(reply())
    adapter = build({}, server)

    later = await adapter.find_sent(reply(), datetime(2026, 3, 1, 11, 58, 0, 500_000, tzinfo=UTC))

    assert later is None
    assert server.requests[-1].url.params["start_time"] == "2026-03-01T11:58:00Z"
    assert await adapter.find_sent(reply(), datetime(2026, 3, 1, 11, 58, tzinfo=UTC)) is not None


async def test_a_reply_without_a_parent_post_answers_the_thread_root_and_is_found():
    server = FakeX(fail="answer_503_after_create")
    to_thread = reply(in_reply_to=None, thread_key="conversation:1900000000000000001")
    with pytest.raises(PlatformUnavailable):
        await build({}, server).send(to_thread)
    server.fail = None

    found = await build({}, server).find_sent(to_thread, LOOK_FROM)

    [posted] = [r for r in server.requests if r.url.path == "/2/tweets"]
    assert json.loads(posted.content)["reply"] == {"in_reply_to_tweet_id": "1900000000000000001"}
    assert found is not None and found.external_id == server.timeline[0]["id"]


async def test_the_look_up_pages_through_next_token_and_skips_a_malformed_post(caplog):
    server = FakeX(page_size=1)
    since = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

    found = await build({}, server).find_sent(ANSWERED_AT_TEN, since)

    assert found is not None and found.external_id == "1900000000000000301"
    looked = [r for r in server.requests if r.url.path == "/2/users/9000/tweets"]
    assert [r.url.params.get("pagination_token") for r in looked] == [None, "1", "2"]
    assert "skipped a malformed X post" in caplog.text and "1900000000000000302" in caplog.text


async def test_more_pages_than_the_bound_is_cannot_tell_not_none(monkeypatch):
    monkeypatch.setattr(x_adapter, "LOOK_UP_PAGES", 2)
    server = FakeX(page_size=1)

    with pytest.raises(PlatformUnavailable, match="cannot tell"):
        await build({}, server).find_sent(
            reply(text="never posted"), datetime(2026, 3, 1, tzinfo=UTC)
        )

    assert len([r for r in server.requests if r.url.path == "/2/users/9000/tweets"]) == 2


async def test_the_look_up_asks_x_for_the_user_id_when_the_settings_do_not_say():
    server = FakeX()
    await build({}, server).send(reply())

    found = await build({}, server).find_sent(reply(), LOOK_FROM)

    assert found is not None
    assert [r.url.path for r in server.requests[-2:]] == ["/2/users/me", "/2/users/9000/tweets"]


async def test_a_dm_x_created_before_answering_503_is_found_in_its_conversation():
    server = FakeX(fail="answer_503_after_create")
    dm = OutboundRequest(
        idempotency_key="d",
        kind=Kind.DM,
        text="Order 123 is refunded.",
        thread_key="dm:101-9000",
    )
    with pytest.raises(PlatformUnavailable):
        await build({}, server).send(dm)
    server.fail = None

    found = await build({}, server).find_sent(dm, LOOK_FROM)

    [created] = server.sent_dms
    assert found == SentRef(external_id=created["id"], sent_at=NOW)
    assert server.requests[-1].url.path == "/2/dm_conversations/101-9000/dm_events"
    assert "sender_id" in server.requests[-1].url.params["dm_event.fields"].split(",")


@pytest.mark.parametrize(
    ("text", "since"),
    [
        ("Order 123 please", datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
        ("We have refunded you.", datetime(2026, 3, 1, 11, 10, tzinfo=UTC)),
        ("We have refunded you, Carol.", datetime(2026, 3, 1, 11, 0, tzinfo=UTC)),
    ],
    ids=["the customer said it", "older than since", "other text"],
)
async def test_a_dm_the_brand_did_not_send_since_then_is_not_found(text, since):
    server = FakeX(page_size=1)
    to_carol = OutboundRequest(
        idempotency_key="d",
        kind=Kind.DM,
        text=text,
        recipient=FetchedContact(external_id="101", handle="@carol"),
    )

    assert await build({"user_id": "9000"}, server).find_sent(to_carol, since) is None
    assert {r.url.path for r in server.requests} == {"/2/dm_conversations/with/101/dm_events"}


async def test_the_brand_dm_in_the_fixture_is_found_through_its_person():
    to_carol = OutboundRequest(
        idempotency_key="d",
        kind=Kind.DM,
        text="We have  refunded you.",
        recipient=FetchedContact(external_id="101", handle="@carol"),
    )

    found = await build({}, FakeX()).find_sent(to_carol, datetime(2026, 3, 1, 11, 0, tzinfo=UTC))

    assert found is not None and found.external_id == "1900000000000000205"


async def test_a_dm_older_than_x_keeps_dm_events_is_cannot_tell_not_none():
    server = FakeX()
    dm = OutboundRequest("d", Kind.DM, "We have refunded you.", thread_key="dm:101-9000")

    with pytest.raises(PlatformUnavailable, match="30 days"):
        await build({}, server).find_sent(dm, NOW - timedelta(days=31))

    assert server.requests == []


# -- the whole send over a socket, against LoopbackX ---------------------------------------


@pytest.mark.parametrize("fault", [Fault.ANSWER_500, Fault.DROP, Fault.HANG])
async def test_an_ambiguous_send_to_loopback_x_is_found_once_and_not_posted_again(fault):
    with LoopbackX() as x:
        parent_id, thread_key = x.incoming(1)
        account = AccountRef(id=1, platform=x.platform, handle=x.handle, settings=x.settings)
        request = OutboundRequest(
            idempotency_key="k",
            kind=Kind.COMMENT,
            text="We are on it.",
            thread_key=thread_key,
            in_reply_to=parent_id,
        )
        since = datetime.now(UTC) - timedelta(minutes=2)
        x.fault = fault
        async with httpx.AsyncClient(timeout=httpx.Timeout(10, read=0.5)) as impatient:
            with pytest.raises(PlatformUnavailable) as raised:
                await XAdapter(account, impatient, x.credential).send(request)
        x.fault = Fault.NONE
        async with httpx.AsyncClient() as client:
            found = await XAdapter(account, client, x.credential).find_sent(request, since)
            other = await XAdapter(account, client, x.credential).find_sent(
                dataclasses.replace(request, text="Something else."), since
            )

        assert not isinstance(raised.value, NotReached)
        assert x.replies_to(parent_id) == ["We are on it."]
        assert found is not None and [found.external_id] == x.reply_ids_to(parent_id)
        assert other is None
        assert thread_key == f"conversation:{parent_id}"


async def test_a_send_to_loopback_x_without_a_fault_posts_the_reply():
    with LoopbackX() as x:
        parent_id, thread_key = x.incoming(2)
        account = AccountRef(id=1, platform=x.platform, handle=x.handle, settings=x.settings)
        async with httpx.AsyncClient() as client:
            sent = await XAdapter(account, client, x.credential).send(
                OutboundRequest("k", Kind.COMMENT, "Fixed now.", thread_key, parent_id)
            )

        assert x.replies_to(parent_id) == ["Fixed now."]
        assert [sent.external_id] == x.reply_ids_to(parent_id) and x.create_calls == 1
