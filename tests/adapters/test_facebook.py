"""The Facebook Page adapter: comments and Messenger in, answers out, webhooks, the login.

Hand-made Page data is served by `FakeGraph` (tests/adapters/harness_facebook.py); real
Graph bodies from ../shared/recordings/facebook and real webhook bodies from
../shared/recordings/meta-webhooks are read in place and served (or handed over) as Meta
sends them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters._graph import GraphRefused
from adapters.base import (
    AttachmentKind,
    AuthExpired,
    Direction,
    FetchedContact,
    Kind,
    OutboundRequest,
    PayloadInvalid,
)
from adapters.facebook import mapping
from adapters.facebook.adapter import HUMAN_AGENT_WINDOW_HOURS, FacebookAdapter
from adapters.facebook.payloads import Comment
from tests.adapters import harness_facebook
from tests.adapters.harness_facebook import (
    CREDENTIAL,
    NOW,
    USER_TOKEN,
    FakeGraph,
    account,
    build,
)
from tests.adapters.test_hostile_payloads import (
    HOSTILE_DATES,
    _paths,
    assert_items_or_adapter_error,
    mutated_body,
    mutations,
)
from tests.conftest import RECORDINGS, skip_or_fail

PAGE = "104729015738562"
TOP = "200000000000001_300000000000001"
"""Ana's top-level comment, which the Page answered once already."""


def _recorded(folder: str, name: str) -> Any:
    path = RECORDINGS / folder / name
    if not path.exists():
        skip_or_fail(f"recording {path} is not there (the shared recordings sit beside it)")
    return json.loads(path.read_text(encoding="utf-8"))


def _adapter(server: FakeGraph, **settings: Any) -> FacebookAdapter:
    return build(settings, server)


# -- reading ----------------------------------------------------------------------------


async def test_comments_thread_under_their_top_level_comment():
    items = (await _adapter(FakeGraph()).fetch("comments", None)).items
    by_id = {item.external_id: item for item in items}

    assert by_id[TOP].thread_key == f"comment:{TOP}"
    reply = by_id["200000000000001_300000000000002"]
    assert reply.thread_key == f"comment:{TOP}" and reply.direction == Direction.OUT
    assert reply.parent_external_id == TOP
    assert by_id[TOP].parent_external_id == f"{PAGE}_200000000000001"
    assert by_id[TOP].author == FetchedContact("5100000000000001", "Ana Souza", "Ana Souza")
    assert by_id[TOP].url == (
        f"https://www.facebook.com/{PAGE}/posts/200000000000001/?comment_id=300000000000001"
    )
    assert reply.url.endswith("?comment_id=300000000000001&reply_comment_id=300000000000002")
    assert "200000000000002_300000000000011" in by_id


async def test_a_poll_reads_only_what_came_after_its_cursor():
    server = FakeGraph()
    adapter = _adapter(server)
    first = await adapter.fetch("comments", None)
    assert await adapter.fetch("comments", first.next_cursor) == dataclasses.replace(
        first, items=()
    )

    # A comment in the very second of the newest seen, then one later, both arrive once.
    post = server.data["posts"][0]
    post["comments"].append(
        {
            "id": "200000000000001_300000000000006",
            "created_time": "2026-03-01T10:30:00+0000",
            "from": {"id": "5100000000000009", "name": "Kim Bo"},
            "message": "Me too",
        }
    )
    post["updated_time"] = "2026-03-01T10:30:00+0000"
    second = await adapter.fetch("comments", first.next_cursor)
    assert [item.external_id for item in second.items] == ["200000000000001_300000000000006"]
    feed_reads = [r for r in server.requests if r.url.path.endswith(f"/{PAGE}/feed")]
    comment_reads = [r for r in server.requests if r.url.path.endswith("/comments")]
    assert {r.url.params["order"] for r in comment_reads} == {"reverse_chronological"}
    assert {r.url.params["filter"] for r in comment_reads} == {"stream"}
    assert feed_reads


async def test_posts_without_news_are_not_read_again():
    server = FakeGraph()
    adapter = _adapter(server)
    cursor = (await adapter.fetch("comments", None)).next_cursor
    server.requests.clear()
    await adapter.fetch("comments", cursor)
    read = {r.url.path.split("/")[-2] for r in server.requests if r.url.path.endswith("comments")}
    assert read == {f"{PAGE}_200000000000001"}


async def test_messenger_threads_are_keyed_by_the_person():
    items = (await _adapter(FakeGraph(page_size=25)).fetch("dms", None)).items
    dana = [item for item in items if item.thread_key == "dm:6100000000000001"]
    assert [item.direction for item in dana] == [Direction.IN, Direction.OUT, Direction.IN]
    assert {item.kind for item in items} == {Kind.DM}
    assert dana[1].author.external_id == PAGE


async def test_messages_beyond_the_nested_page_are_read_after_a_cursor():
    server = FakeGraph(page_size=1)
    cursor = f"{int((NOW - timedelta(days=30)).timestamp())}"
    items = (await _adapter(server).fetch("dms", cursor)).items
    assert [item.external_id for item in items] == [
        "m_eli_1",
        "m_dana_1",
        "m_dana_2",
        "m_dana_3",
    ]
    assert any(r.url.path.endswith("/t_1000000000000001/messages") for r in server.requests)


# -- recorded Graph bodies --------------------------------------------------------------


def _serving(body: Any, post_id: str = "2121008874780932_2954961744718970") -> FakeGraph:
    """A Page whose one post's comments edge answers the recorded `body`."""
    server = FakeGraph()
    server.page_id = "2121008874780932"
    server.data["page"]["id"] = server.page_id
    server.data["posts"] = [
        {
            "id": post_id,
            "created_time": "2021-07-23T08:00:00+0000",
            "updated_time": "2021-07-23T09:00:00+0000",
            "comments": [],
        }
    ]
    original = server._get

    def get(request: httpx.Request, path: str) -> httpx.Response:
        if path.endswith("/comments"):
            return httpx.Response(200, json=body)
        return original(request, path)

    server._get = get
    return server


async def test_a_recorded_comment_with_a_photo_arrives_whole():
    comment = _recorded("facebook", "comment.json")
    server = _serving({"data": [comment]})
    adapter = build({"page_id": "2121008874780932"}, server)
    [item] = (await adapter.fetch("comments", None)).items
    assert item.external_id == "2954961744718970_2966313500250461"
    assert item.thread_key == "comment:2954961744718970_2966313500250461"
    assert item.text == "My Nice Car "
    assert item.author.display_name == "Kun Liu" and item.direction == Direction.IN
    [photo] = item.attachments
    assert photo.kind == AttachmentKind.IMAGE and "fbcdn.net" in (photo.url or "")
    assert item.url == (
        "https://www.facebook.com/2121008874780932/posts/2954961744718970/"
        "?comment_id=2966313500250461"
    )


async def test_comments_without_ids_land_nothing_and_say_so(caplog):
    """Graph leaves out comment ids for apps without the Page's MODERATE task, as here."""
    server = _serving(_recorded("facebook", "comments_p1.json"))
    adapter = build({"page_id": "2121008874780932"}, server)
    with caplog.at_level(logging.WARNING):
        result = await adapter.fetch("comments", None)
    assert result.items == ()
    assert "skipped a malformed Facebook comment" in caplog.text


async def test_a_recorded_messenger_message_arrives_with_its_image():
    message = _recorded("facebook", "message.json")
    conversation = _recorded("facebook", "conversation.json")
    server = FakeGraph()
    server.page_id = "2121008874780932"
    conversation_entry = {
        "id": conversation["id"],
        "updated_time": message["created_time"],
        "participants": conversation["participants"],
        "messages": {"data": [message]},
    }
    server._get = lambda request, path: httpx.Response(200, json={"data": [conversation_entry]})
    adapter = build({"page_id": "2121008874780932"}, server)
    [item] = (await adapter.fetch("dms", None)).items
    assert item.thread_key == "dm:2711636948859886" and item.direction == Direction.IN
    assert item.text == "Love is peace!😏"
    assert [attachment.kind for attachment in item.attachments] == [AttachmentKind.IMAGE]
    assert item.attachments[0].size == 54542


async def test_a_recorded_refusal_stops_the_poll_with_graphs_reason():
    server = FakeGraph()
    body = _recorded("facebook", "error_data.json")
    server._get = lambda request, path: httpx.Response(400, json=body)
    with pytest.raises(GraphRefused, match="pages_read_engagement"):
        await _adapter(server).fetch("comments", None)


async def test_the_recorded_create_answer_names_the_new_comment():
    created = _recorded("facebook", "create_resp.json")
    server = FakeGraph()
    server._post = lambda request, path: httpx.Response(200, json=created)
    sent = await _adapter(server).send(_reply_to_ana("Thanks!"))
    assert sent.external_id == "245778718206154_229887283291835"


# -- webhooks ---------------------------------------------------------------------------


def _entry(name: str) -> dict[str, Any]:
    return _recorded("meta-webhooks", name)["entry"][0]


@pytest.mark.parametrize("name", ["feed-comment-add-211.json", "feed-comment-add-25.json"])
async def test_a_webhook_comment_from_the_page_itself_goes_out(name):
    adapter = build({"page_id": "1234567890321"}, FakeGraph())
    [item] = await adapter.webhook_items(_entry(name))
    assert item.external_id == "901097836652708_903438993085259"
    assert item.thread_key == "comment:901097836652708_903438993085259"
    assert item.direction == Direction.OUT
    assert item.author.external_id == "1234567890321" and item.text == "and the next one"
    assert item.created_at.timestamp() == 1449135003


async def test_a_webhook_comment_from_a_person_comes_in_with_both_author_shapes():
    adapter = build({"page_id": "999"}, FakeGraph())
    old = await adapter.webhook_items(_entry("feed-comment-add-25.json"))
    new = await adapter.webhook_items(_entry("feed-comment-add-211.json"))
    assert [item.direction for item in (*old, *new)] == [Direction.IN, Direction.IN]
    assert old[0].author.handle == new[0].author.handle == "Tester"


@pytest.mark.parametrize(
    "name",
    [
        "feed-comment-remove-25.json",
        "feed-comment-hide.json",
        "mention-comment-add.json",
        "mention-post-add-real.json",
    ],
)
async def test_webhook_changes_without_a_message_to_answer_land_nothing(name):
    adapter = build({"page_id": "1234567890321"}, FakeGraph())
    assert await adapter.webhook_items(_entry(name)) == ()


async def test_an_edited_comment_keeps_its_id():
    adapter = build({"page_id": "1"}, FakeGraph())
    [item] = await adapter.webhook_items(_entry("feed-comment-edited-25.json"))
    assert item.external_id == "900728623356296_900744590021366"


@pytest.mark.parametrize(
    ("name", "direction", "text"),
    [
        ("messaging-message-basic.json", Direction.IN, "hello, world!"),
        ("messaging-message-basic-echo.json", Direction.OUT, "hello, world!"),
        ("messaging-message-media-attachment.json", Direction.IN, ""),
        ("messaging-message-reply-1.json", Direction.IN, "hello, world!"),
    ],
)
async def test_webhook_messages_thread_with_the_person(name, direction, text):
    adapter = build({"page_id": "12345654332"}, FakeGraph())
    [item] = await adapter.webhook_items(_entry(name))
    assert item.thread_key == "dm:987654321432" and item.kind == Kind.DM
    assert item.direction == direction and item.text == text
    assert isinstance(item.external_id, str) and item.external_id.startswith("mid.")
    assert item.text or item.attachments


async def test_webhook_attachments_and_replies_are_kept():
    adapter = build({"page_id": "12345654332"}, FakeGraph())
    [media] = await adapter.webhook_items(_entry("messaging-message-media-attachment.json"))
    assert [(a.kind, a.url) for a in media.attachments] == [(AttachmentKind.IMAGE, "IMAGE_URL")]
    [reply] = await adapter.webhook_items(_entry("messaging-message-reply-1.json"))
    assert reply.parent_external_id == "very_long_id_representing_the_original_message"


async def test_a_real_2016_messenger_delivery_reads():
    adapter = build({"page_id": "111899832631525"}, FakeGraph())
    [item] = await adapter.webhook_items(_entry("botman-messenger-text.json"))
    assert (item.thread_key, item.text, item.external_id) == (
        "dm:1433960459967306",
        "Hi",
        "mid.1480279487147:4388d3b344",
    )


async def test_receipts_and_reactions_land_nothing():
    entry = {
        "id": PAGE,
        "time": 1,
        "messaging": [
            {"sender": {"id": "6"}, "recipient": {"id": PAGE}, "delivery": {"watermark": 1}},
            {"sender": {"id": "6"}, "recipient": {"id": PAGE}, "read": {"watermark": 1}},
            {"sender": {"id": "6"}, "recipient": {"id": PAGE}, "reaction": {"mid": "m_1"}},
        ],
    }
    assert await _adapter(FakeGraph()).webhook_items(entry) == ()


async def test_a_broken_entry_is_refused_and_a_broken_change_is_skipped():
    adapter = _adapter(FakeGraph())
    with pytest.raises(PayloadInvalid):
        await adapter.webhook_items({"id": PAGE, "changes": "nope"})
    entry = {
        "id": PAGE,
        "changes": [{"field": "feed", "value": {"item": "comment", "verb": "add"}}],
    }
    assert await adapter.webhook_items(entry) == ()


def test_webhooks_find_the_account_by_its_page_id():
    assert FacebookAdapter.webhook_key(account()) == PAGE
    assert FacebookAdapter.webhook_key(dataclasses.replace(account(), settings={})) is None


def _without_raw(items):
    return [dataclasses.replace(item, raw=None) for item in items]


async def test_a_comment_polled_and_the_same_comment_pushed_are_one_item():
    server = FakeGraph()
    adapter = _adapter(server)
    polled = {item.external_id: item for item in (await adapter.fetch("comments", None)).items}
    post = server.data["posts"][0]
    pushed = []
    for comment in post["comments"][:2]:
        value = {
            "item": "comment",
            "verb": "add",
            "comment_id": comment["id"],
            "post_id": post["id"],
            "parent_id": comment.get("parent", {}).get("id", post["id"]),
            "from": comment["from"],
            "created_time": int(Comment.parse(comment, post["id"]).created_at.timestamp()),
            "message": comment["message"],
        }
        entry = {"id": PAGE, "time": 1, "changes": [{"field": "feed", "value": value}]}
        pushed.extend(await adapter.webhook_items(entry))
    assert _without_raw(pushed) == _without_raw(polled[item.external_id] for item in pushed)


async def test_a_message_polled_and_the_same_message_pushed_are_one_item():
    server = FakeGraph(page_size=25)
    adapter = _adapter(server)
    polled = {item.external_id: item for item in (await adapter.fetch("dms", None)).items}
    entry = {
        "id": PAGE,
        "time": 1,
        "messaging": [
            {
                "sender": {"id": 6100000000000001},
                "recipient": {"id": int(PAGE)},
                "timestamp": int(polled["m_dana_1"].created_at.timestamp() * 1000),
                "message": {"mid": "m_dana_1", "text": "My order 4411 never arrived."},
            }
        ],
    }
    [pushed] = await adapter.webhook_items(entry)
    assert (pushed.external_id, pushed.thread_key, pushed.direction, pushed.text) == (
        polled["m_dana_1"].external_id,
        polled["m_dana_1"].thread_key,
        polled["m_dana_1"].direction,
        polled["m_dana_1"].text,
    )
    assert pushed.created_at == polled["m_dana_1"].created_at


# -- writing ----------------------------------------------------------------------------


def _reply_to_ana(text: str) -> OutboundRequest:
    return OutboundRequest(
        idempotency_key="k1",
        kind=Kind.COMMENT,
        text=text,
        thread_key=f"comment:{TOP}",
        in_reply_to="200000000000001_300000000000004",
    )


async def test_a_reply_goes_under_the_top_level_comment_and_comes_back_as_ours():
    server = FakeGraph()
    adapter = _adapter(server)
    cursor = (await adapter.fetch("comments", None)).next_cursor
    server.now = NOW + timedelta(minutes=1)
    sent = await adapter.send(_reply_to_ana("Glad it works, Ana!"))

    [post] = [r for r in server.requests if r.method == "POST"]
    assert post.url.path.endswith(f"/{TOP}/comments")
    [item] = (await adapter.fetch("comments", cursor)).items
    assert item.external_id == sent.external_id and item.direction == Direction.OUT
    assert item.thread_key == f"comment:{TOP}" and item.url == sent.url


async def test_a_statement_is_a_page_post():
    server = FakeGraph()
    sent = await _adapter(server).send(
        OutboundRequest(idempotency_key="s1", kind=Kind.COMMENT, text="We are back up.")
    )
    [post] = [r for r in server.requests if r.method == "POST"]
    assert post.url.path.endswith(f"/{PAGE}/feed")
    assert sent.external_id.startswith(f"{PAGE}_") and sent.url.endswith(sent.external_id)


def _dm(**fields: Any) -> OutboundRequest:
    return OutboundRequest(idempotency_key="d1", kind=Kind.DM, text="On its way!", **fields)


async def test_a_messenger_answer_is_a_response_inside_the_window():
    server = FakeGraph()
    sent = await _adapter(server).send(_dm(thread_key="dm:6100000000000001"))
    [post] = [r for r in server.requests if r.method == "POST"]
    assert json.loads(post.content) == {
        "recipient": {"id": "6100000000000001"},
        "messaging_type": "RESPONSE",
        "message": {"text": "On its way!"},
    }
    assert sent.external_id.startswith("m_sent_")


async def test_the_human_agent_setting_tags_messenger_answers_for_seven_days():
    server = FakeGraph()
    await build({"human_agent_tag": True}, server).send(_dm(thread_key="dm:6100000000000001"))
    body = json.loads([r for r in server.requests if r.method == "POST"][0].content)
    assert (body["messaging_type"], body["tag"]) == ("MESSAGE_TAG", "HUMAN_AGENT")
    assert FacebookAdapter.reply_window_for({"human_agent_tag": True}) == HUMAN_AGENT_WINDOW_HOURS
    assert FacebookAdapter.reply_window_for({}) == 24


async def test_a_private_reply_answers_a_comment_in_messenger():
    server = FakeGraph()
    await _adapter(server).send(_dm(in_reply_to=TOP))
    assert server.private_replies == [
        {"recipient": {"comment_id": TOP}, "message": {"text": "On its way!"}}
    ]


async def test_a_message_outside_the_window_is_refused_not_retried():
    server = FakeGraph()
    outside = {
        "error": {
            "message": "(#10) This message is sent outside of allowed window.",
            "type": "OAuthException",
            "code": 10,
            "error_subcode": 2018278,
        }
    }
    server._post = lambda request, path: httpx.Response(400, json=outside)
    with pytest.raises(GraphRefused, match="outside of allowed window"):
        await _adapter(server).send(_dm(thread_key="dm:6100000000000001"))


async def test_an_interrupted_reply_is_found_on_the_platform():
    server = FakeGraph()
    adapter = _adapter(server)
    since = NOW - timedelta(seconds=5)
    assert await adapter.find_sent(_reply_to_ana("Glad it works, Ana!"), since) is None
    sent = await adapter.send(_reply_to_ana("Glad it works, Ana!"))
    found = await build({}, server).find_sent(_reply_to_ana("Glad  it works,\nAna!"), since)
    assert found is not None and found.external_id == sent.external_id
    assert found.url == sent.url


async def test_an_interrupted_statement_is_found_among_the_page_posts():
    server = FakeGraph()
    adapter = _adapter(server)
    statement = OutboundRequest(idempotency_key="s1", kind=Kind.COMMENT, text="We are back up.")
    since = NOW - timedelta(seconds=5)
    assert await adapter.find_sent(statement, since) is None
    sent = await adapter.send(statement)
    assert (await adapter.find_sent(statement, since)).external_id == sent.external_id


async def test_hiding_a_comment_and_showing_it_again():
    server = FakeGraph()
    adapter = _adapter(server)
    await adapter.hide(TOP)
    assert server._comment_by_id(TOP)["is_hidden"] is True
    await adapter.hide(TOP, hidden=False)
    assert server._comment_by_id(TOP)["is_hidden"] is False


# -- the account ------------------------------------------------------------------------


async def test_verify_names_the_page_and_refuses_another_pages_token():
    assert await _adapter(FakeGraph()).verify() == f"the Page Brand Care ({PAGE})"
    with pytest.raises(ValueError, match="not the Page 42"):
        await build({"page_id": "42"}, FakeGraph()).verify()


async def test_the_page_id_is_asked_of_graph_when_nothing_says_it():
    server = FakeGraph()
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    bare = dataclasses.replace(account(), settings={"api_base": harness_facebook.API_BASE})
    adapter = FacebookAdapter(bare, client, {"access_token": CREDENTIAL["access_token"]})
    assert await adapter.page_id() == PAGE


class ScriptedPrompt:
    """A person at the terminal who gives the answers they were told to."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.shown: list[str] = []
        self.secret_questions: list[str] = []

    def show(self, text: str) -> None:
        self.shown.append(text)

    def ask(self, question: str, *, secret: bool = False) -> str:
        if secret:
            self.secret_questions.append(question)
        return self.answers.pop(0)


async def test_logging_in_keeps_the_chosen_pages_token_not_the_users():
    client = httpx.AsyncClient(transport=httpx.MockTransport(FakeGraph()))
    prompt = ScriptedPrompt(USER_TOKEN, "2")
    bare = dataclasses.replace(account(), settings={"api_base": harness_facebook.API_BASE})
    credential = await FacebookAdapter.log_in(bare, client, prompt)
    assert credential == {"access_token": "fb-outlet-token", "page_id": "104729015738999"}
    assert prompt.secret_questions == ["User access token"]
    assert any("page_id=104729015738999" in line for line in prompt.shown)
    assert any("pages_messaging" in line for line in prompt.shown)


async def test_logging_in_with_a_known_page_asks_only_for_the_token():
    client = httpx.AsyncClient(transport=httpx.MockTransport(FakeGraph()))
    prompt = ScriptedPrompt(USER_TOKEN)
    credential = await FacebookAdapter.log_in(account(), client, prompt)
    assert credential == CREDENTIAL


async def test_a_refused_user_token_stores_nothing():
    client = httpx.AsyncClient(transport=httpx.MockTransport(FakeGraph()))
    with pytest.raises(AuthExpired):
        await FacebookAdapter.log_in(account(), client, ScriptedPrompt("stale-token"))


async def test_usage_headers_slow_the_next_poll():
    server = FakeGraph(usage_percent=85)
    adapter = _adapter(server)
    assert adapter.poll_delay() is None
    await adapter.fetch("comments", None)
    assert 60 < adapter.poll_delay() < 3600
    server.usage_percent = 10
    await adapter.fetch("comments", None)
    assert adapter.poll_delay() is None


# -- hostile pages ----------------------------------------------------------------------


def _serving_page(path_end: str, body: bytes) -> FacebookAdapter:
    server = FakeGraph()
    original = server._get

    def get(request: httpx.Request, path: str) -> httpx.Response:
        if path.endswith(path_end):
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        return original(request, path)

    server._get = get
    return _adapter(server)


def _comments_page() -> dict[str, Any]:
    return {"data": FakeGraph().data["posts"][0]["comments"]}


def _conversations_page() -> dict[str, Any]:
    server = FakeGraph(page_size=10)
    return {"data": [server._conversation(c) for c in server.data["conversations"]]}


HOSTILE_PAGES = [
    ("comments", "/comments", _comments_page),
    ("dms", f"/{PAGE}/conversations", _conversations_page),
]


@pytest.mark.parametrize(("stream", "path_end", "page"), HOSTILE_PAGES)
def test_a_mutated_graph_page_gives_items_or_an_adapter_error(stream, path_end, page):
    body = page()
    assert assert_items_or_adapter_error(_serving_page(path_end, json.dumps(body).encode()), stream)

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(changes=st.lists(mutations(_paths(body)), min_size=1, max_size=3))
    def check(changes) -> None:
        assert_items_or_adapter_error(_serving_page(path_end, mutated_body(body, changes)), stream)

    check()


@pytest.mark.parametrize(("stream", "path_end", "page"), HOSTILE_PAGES)
def test_an_absurd_time_costs_only_its_own_item(stream, path_end, page):
    body = page()
    times = [path for path in _paths(body) if path and path[-1] == "created_time"]

    @settings(max_examples=15, deadline=None, derandomize=True)
    @given(path=st.sampled_from(times), value=st.sampled_from([*HOSTILE_DATES, 10**20, None]))
    def check(path, value) -> None:
        from tests.adapters.test_hostile_payloads import Mutation

        adapter = _serving_page(path_end, mutated_body(body, [Mutation(path, "replace", value)]))
        result = assert_items_or_adapter_error(adapter, stream)
        assert result is not None and len(result.items) >= 1

    check()


@settings(max_examples=60, deadline=None)
@given(
    entry=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "changes",
                        "messaging",
                        "field",
                        "value",
                        "item",
                        "verb",
                        "message",
                        "comment_id",
                        "post_id",
                        "from",
                        "sender",
                        "recipient",
                        "mid",
                        "timestamp",
                        "created_time",
                        "attachments",
                        "standby",
                    ]
                ),
                children,
                max_size=6,
            )
        ),
        max_leaves=30,
    )
)
def test_any_webhook_entry_gives_items_or_payload_invalid(entry):
    try:
        items = mapping.webhook_items(entry, PAGE)
    except PayloadInvalid:
        return
    assert all(item.created_at.utcoffset() is not None for item in items)
    assert all(item.external_id and item.thread_key for item in items)
