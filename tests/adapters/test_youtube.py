"""The YouTube adapter: threads and all their replies, the quota, the errors, replies out.

Over the fake of harness_youtube (hand-made data) and over the real YouTube Data API
bodies in ../shared/recordings/youtube, which are bare: they are served through
`httpx.MockTransport` with the status and JSON content type the docs give.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.base import (
    AccountRef,
    AdapterError,
    AuthExpired,
    Direction,
    Kind,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)
from adapters.youtube.adapter import SHORT_WAIT, YouTubeAdapter, next_quota_reset
from tests.adapters.harness_youtube import (
    CREDENTIAL,
    JSON,
    NOW,
    QUOTA_RESET,
    FakeYouTube,
    build,
    google_error,
)
from tests.adapters.test_contract import fetch_all
from tests.adapters.test_hostile_payloads import _paths as paths
from tests.adapters.test_hostile_payloads import (
    assert_items_or_adapter_error,
    mutated_body,
    mutations,
)
from tests.conftest import RECORDINGS, skip_or_fail

DANA_THREAD = "UgzCust01Dana9q2Zr4AaABAg"
NOTE_THREAD = "UgwBrand04Note5Kp8Zz4AaABAg"
BRAND = "UCbrandCare0000000000000a"


async def read_all(server: FakeYouTube, cursor: str | None = None) -> tuple[list, str | None]:
    return await fetch_all(build({}, server), "comments", cursor)


# -- reading -----------------------------------------------------------------------------


async def test_a_thread_arrives_whole_with_the_replies_youtube_does_not_embed():
    server = FakeYouTube(embedded=2)
    items, _ = await read_all(server)

    dana = [item for item in items if item.thread_key == f"thread:{DANA_THREAD}"]
    assert sorted(item.external_id for item in dana) == sorted(
        [DANA_THREAD, *(f"{DANA_THREAD}.AFirstReply000000000{n}" for n in range(1, 5))]
    )
    replies = [item for item in dana if item.external_id != DANA_THREAD]
    assert {item.parent_external_id for item in replies} == {DANA_THREAD}
    assert {item.kind for item in items} == {Kind.COMMENT}
    asked = [request.url.params["parentId"] for request in _calls(server, "/comments")]
    assert asked == [DANA_THREAD, DANA_THREAD], "its two pages of replies, and no other thread"


async def test_the_channels_own_comments_are_outbound():
    items, _ = await read_all(FakeYouTube())

    outbound = sorted(item.external_id for item in items if item.direction == Direction.OUT)
    assert outbound == sorted([f"{DANA_THREAD}.AFirstReply0000000002", NOTE_THREAD])


async def test_html_only_text_keeps_link_targets_and_a_top_comment_links_its_video():
    items, _ = await read_all(FakeYouTube())
    by_id = {item.external_id: item for item in items}

    html_only = by_id["UgyCust03Ravi3Hs2Kt4AaABAg"]
    assert html_only.text == (
        "Is this it? status page (https://status.example.com/incidents/42)\nthanks & bye"
    )
    assert html_only.attachments == () and html_only.url is None
    top = by_id[DANA_THREAD]
    assert [attachment.url for attachment in top.attachments] == [
        "https://www.youtube.com/watch?v=vid00000001"
    ]
    assert top.url == f"https://www.youtube.com/watch?v=vid00000001&lc={DANA_THREAD}"


async def test_every_fetch_is_one_list_call_of_one_quota_unit():
    server = FakeYouTube()
    adapter = build({}, server)
    cursor, fetches = None, 0
    while True:
        result = await adapter.fetch("comments", cursor)
        fetches += 1
        cursor = result.next_cursor
        if not result.has_more:
            break
    api_calls = [r for r in server.requests if r.url.path.endswith(("Threads", "/comments"))]

    assert len(api_calls) == fetches
    assert YouTubeAdapter.quota_costs["comments"] == 1
    assert YouTubeAdapter.daily_quota == 10_000


async def test_a_new_reply_to_an_older_thread_is_caught_where_youtube_does_not_embed_it():
    server = FakeYouTube(embedded=1, page_size=10)
    _, cursor = await read_all(server)
    newer = dict(server.replies[NOTE_THREAD][0])
    newer["id"] = f"{NOTE_THREAD}.ALaterReply0000000001"
    newer["snippet"] = {**newer["snippet"], "publishedAt": "2026-03-01T11:59:00Z"}
    newer["snippet"]["updatedAt"] = newer["snippet"]["publishedAt"]
    server.replies[NOTE_THREAD].append(newer)

    items, cursor = await read_all(server, cursor)

    assert [item.external_id for item in items] == [newer["id"]]
    assert (await read_all(server, cursor))[0] == []


async def test_an_edited_comment_arrives_again_once():
    server = FakeYouTube(page_size=10)
    _, cursor = await read_all(server)
    edited = server.threads[-1]["top"]["snippet"]
    edited["textOriginal"] = edited["textDisplay"] = "Love it, but the app crashes now"
    edited["updatedAt"] = "2026-03-01T11:58:00Z"

    items, cursor = await read_all(server, cursor)

    assert [item.text for item in items] == ["Love it, but the app crashes now"]
    assert (await read_all(server, cursor))[0] == []


async def test_the_channel_is_asked_once_and_named_by_verify():
    server = FakeYouTube()
    adapter = build({}, server)
    await fetch_all(adapter, "comments")

    assert await adapter.verify() == f"Brand Care ({BRAND})"
    assert len(_calls(server, "/channels")) == 2, "one for the first fetch, one for verify"


# -- quota and errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        ("2026-03-01T12:00:00+00:00", "2026-03-02T08:00:00+00:00"),
        ("2026-03-08T07:59:00+00:00", "2026-03-08T08:00:00+00:00"),
        ("2026-03-08T12:00:00+00:00", "2026-03-09T07:00:00+00:00"),
        ("2026-10-31T12:00:00+00:00", "2026-11-01T07:00:00+00:00"),
        ("2026-11-01T12:00:00+00:00", "2026-11-02T08:00:00+00:00"),
        ("2026-06-30T06:59:59+00:00", "2026-06-30T07:00:00+00:00"),
    ],
    ids=["winter", "last-minute-of-pst", "spring-forward-day", "pdt", "fall-back-day", "summer"],
)
def test_the_daily_quota_resets_at_the_next_midnight_pacific(now, reset):
    assert next_quota_reset(datetime.fromisoformat(now)) == datetime.fromisoformat(reset)


@pytest.mark.parametrize("reason", ["quotaExceeded", "dailyLimitExceeded"])
async def test_a_spent_daily_quota_waits_for_pacific_midnight(reason):
    adapter = _answering(lambda request: google_error(403, reason, "youtube.quota"))

    with pytest.raises(RateLimited) as raised:
        await adapter.fetch("comments", None)
    assert raised.value.reset_at == QUOTA_RESET


async def test_too_many_requests_at_once_waits_briefly_or_as_told():
    short = _answering(lambda request: google_error(403, "rateLimitExceeded", "usageLimits"))
    with pytest.raises(RateLimited) as raised:
        await short.fetch("comments", None)
    assert raised.value.reset_at == NOW + SHORT_WAIT

    told = _answering(lambda request: httpx.Response(429, headers={"Retry-After": "30"}))
    with pytest.raises(RateLimited) as raised:
        await told.fetch("comments", None)
    assert raised.value.reset_at == NOW + timedelta(seconds=30)


@pytest.mark.parametrize(
    ("status", "reason", "error", "words"),
    [
        (403, "commentsDisabled", PayloadInvalid, "comments are turned off"),
        (403, "forbidden", PayloadInvalid, "may not do this"),
        (404, "parentNotFound", PayloadInvalid, "no longer exists"),
        (403, "insufficientPermissions", AuthExpired, "youtube.force-ssl"),
        (400, "someNewReason", PayloadInvalid, "someNewReason"),
        (503, "backendError", PlatformUnavailable, "503"),
    ],
)
async def test_refusals_map_by_reason_to_a_sentence(status, reason, error, words):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return google_error(status, reason)
        return FakeYouTube()(request)

    with pytest.raises(error, match=words) as raised:
        await _answering(answer).send(_reply("Sorry!"))
    assert "yt-access" not in str(raised.value)


async def test_a_401_refreshes_once_keeps_the_credential_and_retries_once():
    server = FakeYouTube()
    server.access_token = "yt-access-2"  # Google has expired the stored token
    kept: list[dict[str, str]] = []
    adapter = build({}, server, on_credential_refreshed=kept.append)

    items, _ = await fetch_all(adapter, "comments")

    assert items
    assert [entry["access_token"] for entry in kept] == ["yt-access-2"]
    assert kept[0]["refresh_token"] == CREDENTIAL["refresh_token"]
    assert len([r for r in server.requests if r.url.host == "oauth2.googleapis.com"]) == 1


async def test_a_refused_refresh_token_is_an_expired_login():
    server = FakeYouTube()
    server.access_token = "elsewhere"
    credential = {**CREDENTIAL, "refresh_token": "revoked"}

    with pytest.raises(AuthExpired):
        await build({}, server, credential=credential).fetch("comments", None)


# -- answering and hiding ----------------------------------------------------------------


async def test_a_reply_goes_to_the_top_level_comment_of_its_thread():
    server = FakeYouTube()
    sent = await build({}, server).send(
        _reply("We are on it.", in_reply_to=f"{DANA_THREAD}.AFirstReply0000000003")
    )

    [post] = [r for r in server.requests if r.method == "POST"]
    assert post.url.params["part"] == "snippet"
    assert json.loads(post.content) == {
        "snippet": {"parentId": DANA_THREAD, "textOriginal": "We are on it."}
    }
    assert sent.external_id.startswith(f"{DANA_THREAD}.") and sent.sent_at == NOW


async def test_find_sent_finds_a_reply_whose_answer_was_lost():
    server = FakeYouTube(fail="answer_503_after_create")
    adapter = build({}, server)
    request = _reply("We are on it.")
    with pytest.raises(PlatformUnavailable):
        await adapter.send(request)

    found = await adapter.find_sent(request, NOW - timedelta(minutes=1))
    assert found is not None and found.external_id == server.replies[DANA_THREAD][-1]["id"]
    assert await adapter.find_sent(_reply("Something else"), NOW - timedelta(minutes=1)) is None
    assert await adapter.find_sent(request, NOW + timedelta(minutes=1)) is None


async def test_hide_holds_a_comment_for_review_and_shows_it_again():
    server = FakeYouTube()
    adapter = build({}, server)
    await adapter.hide("UgxCust02Mal7Tq0Lr4AaABAg")
    await adapter.hide("UgxCust02Mal7Tq0Lr4AaABAg", hidden=False)

    assert server.moderated == [
        ("UgxCust02Mal7Tq0Lr4AaABAg", "heldForReview"),
        ("UgxCust02Mal7Tq0Lr4AaABAg", "published"),
    ]
    assert YouTubeAdapter.can_hide and not YouTubeAdapter.can_post_statement


# -- the login ---------------------------------------------------------------------------


async def test_log_in_walks_the_google_loopback_flow_and_checks_nothing_it_cannot():
    """Google's endpoints cannot run here: the token endpoint is hand-made (MockTransport),
    and httpx plays the browser that Google would send back to the real listener."""
    shown: list[str] = []

    class Person:
        def show(self, text: str) -> None:
            shown.append(text)

        def ask(self, question: str, *, secret: bool = False) -> str:
            if "client ID" in question:
                return "desktop.apps.googleusercontent.com"
            if "secret" in question:
                return "desktop-secret"
            query = _query(next(line.strip() for line in shown if "accounts.google.com" in line))
            redirect = f"{query['redirect_uri']}?state={query['state']}&code=4/granted"
            assert httpx.get(redirect).status_code == 200
            return ""

    def google(request: httpx.Request) -> httpx.Response:
        assert str(request.url) == "https://oauth2.googleapis.com/token"
        form = dict(httpx.QueryParams(request.content.decode()))
        assert form["code"] == "4/granted" and form["client_secret"] == "desktop-secret"
        return httpx.Response(
            200,
            headers=JSON,
            json={"access_token": "ya29.a", "refresh_token": "1//r", "expires_in": 3599},
        )

    account = AccountRef(id=0, platform="youtube", handle="Brand Care")
    async with httpx.AsyncClient(transport=httpx.MockTransport(google)) as client:
        credential = await YouTubeAdapter.log_in(account, client, Person())

    query = _query(next(line.strip() for line in shown if "accounts.google.com" in line))
    assert query["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"
    assert (query["access_type"], query["prompt"]) == ("offline", "consent")
    assert dict(credential) | {"expires_at": "-"} == {
        "client_id": "desktop.apps.googleusercontent.com",
        "client_secret": "desktop-secret",
        "access_token": "ya29.a",
        "refresh_token": "1//r",
        "expires_at": "-",
    }


# -- real recorded bodies ----------------------------------------------------------------


def _recording(name: str) -> bytes:
    path = RECORDINGS / "youtube" / name
    if not path.exists():
        skip_or_fail(f"recording {path} is not there (the shared recordings sit beside it)")
    return path.read_bytes()


RECORDED_CHANNEL = "UCa-vrCLQHviTOVnEKDOdetQ"
"""The channel of comment_threads_all_to_me.json, who also wrote comments_insert_response.json."""


class RecordedYouTube:
    """Serves the recorded bodies as YouTube would: status 200 (errors: their `error.code`)."""

    def __init__(self, threads: bytes, replies: dict[str, list[bytes]] | None = None) -> None:
        self.threads = threads
        self.replies = replies or {}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path.endswith("/commentThreads"):
            return httpx.Response(200, headers=JSON, content=self.threads)
        if path.endswith("/comments") and request.method == "GET":
            pages = self.replies.get(request.url.params["parentId"])
            if not pages:
                # hand-made: no reply list of this thread was recorded
                return httpx.Response(200, headers=JSON, json={"items": []})
            return httpx.Response(200, headers=JSON, content=pages.pop(0))
        if path.endswith("/comments") and request.method == "POST":
            return httpx.Response(
                200, headers=JSON, content=_recording("comments_insert_response.json")
            )
        raise AssertionError(f"nothing recorded for {request.method} {path}")


def _recorded_adapter(server: Any) -> YouTubeAdapter:
    account = AccountRef(
        id=1, platform="youtube", handle="recorded", settings={"channel_id": RECORDED_CHANNEL}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return YouTubeAdapter(account, client, CREDENTIAL, clock=lambda: NOW)


async def test_recorded_channel_threads_and_their_later_replies_in_real_pages():
    threads = _recording("comment_threads_all_to_me.json")
    server = RecordedYouTube(threads)
    items, cursor = await fetch_all(_recorded_adapter(server), "comments")

    assert [item.external_id for item in items] == [
        "UgyWeTdgc4sc1xgmbld4AaABAg",
        "Ugw5zYU6n9pmIgAZWvN4AaABAg",
        "Ugy0FhSzKMNMT9qs6zt4AaABAg",
        "UgwSRpgkjCe6OHHe3IJ4AaABAg",
    ]
    assert items[1].text == "This is so beautiful !" and items[1].direction == Direction.IN
    assert items[1].author.external_id == "UCNvMBmCASzTNNX8lW3JRMbw"
    assert (
        items[0].url == "https://www.youtube.com/watch?v=JE8xdDp5B8Q&lc=UgyWeTdgc4sc1xgmbld4AaABAg"
    )
    assert items[2].url is None, "a comment on the channel itself has no video"

    # The list was recorded at 03:36; the three replies were written at 04:46. The thread's
    # count as YouTube would show it then makes the next poll read the real reply pages.
    later = json.loads(threads)
    later["items"][1]["snippet"]["totalReplyCount"] = 3
    parent = "Ugw5zYU6n9pmIgAZWvN4AaABAg"
    server.threads = json.dumps(later).encode()
    server.replies[parent] = [
        _recording("comments_by_parent_paged_1.json"),
        _recording("comments_by_parent_paged_2.json"),
    ]
    replies, _ = await fetch_all(_recorded_adapter(server), "comments", cursor)

    assert {item.parent_external_id for item in replies} == {parent}
    assert {item.thread_key for item in replies} == {f"thread:{parent}"}
    assert "this is the third reply!" in [item.text for item in replies]
    tokens = [
        r.url.params.get("pageToken") for r in server.requests if r.url.path.endswith("/comments")
    ]
    assert tokens[-2] is None and tokens[-1].startswith("R0FJeVZnbzBJTl9z")


async def test_a_recorded_thread_with_embedded_reply_and_html_text():
    thread = json.loads(_recording("comment_thread_info.json"))
    page = {"kind": "youtube#commentThreadListResponse", "items": [thread]}
    items, _ = await fetch_all(
        _recorded_adapter(RecordedYouTube(json.dumps(page).encode())), "comments"
    )
    assert [(item.external_id, item.parent_external_id, item.text) for item in items] == [
        ("UgydxWWoeA7F1OdqypJ4AaABAg", None, "Actions.ai"),
        ("UgydxWWoeA7F1OdqypJ4AaABAg.8wWQ3tdHcFx8xcDheui-qb", "UgydxWWoeA7F1OdqypJ4AaABAg", "#"),
    ]

    del thread["snippet"]["topLevelComment"]["snippet"]["textOriginal"]
    page = {"items": [thread]}
    items, _ = await fetch_all(
        _recorded_adapter(RecordedYouTube(json.dumps(page).encode())), "comments"
    )
    assert items[0].text == "http://actions.ai/", "the shown HTML keeps the link's target"

    single = _recording("comment_thread_single.json")
    items, _ = await fetch_all(_recorded_adapter(RecordedYouTube(single)), "comments")
    assert items[0].text.startswith("Super video !!!\nWith full power")


async def test_a_recorded_reply_answer_is_read():
    server = RecordedYouTube(b"{}")
    sent = await _recorded_adapter(server).send(
        _reply("wow", thread="thread:Ugy_CAftKrIUCyPr9GR4AaABAg")
    )
    assert sent.external_id == "Ugy_CAftKrIUCyPr9GR4AaABAg.9iPXEClD9lW9iPXLqKy_Pt"
    assert sent.sent_at == datetime(2022, 11, 14, 10, 23, 2, tzinfo=UTC)
    assert sent.url is None


@pytest.mark.parametrize(
    ("name", "status", "words"),
    [
        ("error_permission_resp.json", 403, "SERVICE_UNAVAILABLE"),
        ("error_response.json", 400, "keyInvalid"),
    ],
)
async def test_recorded_error_bodies_become_refusals_naming_their_reason(name, status, words):
    body = _recording(name)
    adapter = _answering(lambda request: httpx.Response(status, headers=JSON, content=body))

    with pytest.raises(PayloadInvalid, match=words):
        await adapter.fetch("comments", None)


# -- hostile payloads --------------------------------------------------------------------


def _hostile_pages() -> list[tuple[str, Any, str | None]]:
    data = json.loads(_recording("comment_threads_all_to_me.json"))
    info = {"items": [json.loads(_recording("comment_thread_info.json"))]}
    replies = json.loads(_recording("comments_by_parent_paged_1.json"))
    queued = json.dumps({"replies": [["Ugw5zYU6n9pmIgAZWvN4AaABAg", ""]], "walked": True})
    return [("threads", data, None), ("thread-info", info, None), ("replies", replies, queued)]


@pytest.mark.parametrize("case", range(3), ids=["threads", "thread-info", "replies"])
def test_a_mutated_recorded_page_gives_items_or_an_adapter_error(case):
    _, page, cursor = _hostile_pages()[case]

    def serve(body: bytes) -> YouTubeAdapter:
        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, headers=JSON, content=body)

        return _recorded_adapter(answer)

    def fetch_once(body: bytes) -> None:
        adapter = serve(body)
        if cursor is None:
            assert_items_or_adapter_error(adapter, "comments")
            return
        try:
            asyncio.run(adapter.fetch("comments", cursor))
        except AdapterError:
            pass

    fetch_once(json.dumps(page).encode())

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(changes=st.lists(mutations(paths(page)), min_size=1, max_size=3))
    def check(changes) -> None:
        fetch_once(mutated_body(page, changes))

    check()


# -- helpers -----------------------------------------------------------------------------


def _answering(answer) -> YouTubeAdapter:
    account = AccountRef(
        id=1, platform="youtube", handle="Brand Care", settings={"channel_id": BRAND}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return YouTubeAdapter(account, client, CREDENTIAL, clock=lambda: NOW)


def _reply(
    text: str, *, thread: str = f"thread:{DANA_THREAD}", in_reply_to: str | None = None
) -> OutboundRequest:
    return OutboundRequest(
        idempotency_key="k-1",
        kind=Kind.COMMENT,
        text=text,
        thread_key=thread,
        in_reply_to=in_reply_to,
    )


def _calls(server: FakeYouTube, path_end: str) -> list[httpx.Request]:
    return [request for request in server.requests if request.url.path.endswith(path_end)]


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
