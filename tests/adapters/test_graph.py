"""The shared Graph layer (adapters/_graph.py): errors, usage headers, paging, the Page login.

Graph's error bodies are served as Graph sends them (HTTP 400 with an `OAuthException`
body); the real ones in ../shared/recordings/facebook are served the same way.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters._graph import (
    RATE_LIMIT_WAIT,
    USAGE_WINDOW_SECONDS,
    GraphClient,
    GraphRefused,
    GraphUsage,
    PageGrant,
    choose_page,
    clean_message,
    graph_path,
    list_pages,
)
from adapters.base import (
    AuthExpired,
    NotReached,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
)
from tests.adapters.harness_facebook import API_BASE, NOW, usage_headers
from tests.conftest import RECORDINGS, skip_or_fail

TOKEN = "EAAG-secret-page-token"


def _client(handler) -> GraphClient:
    transport = httpx.MockTransport(handler)
    return GraphClient(
        httpx.AsyncClient(transport=transport), TOKEN, base_url=API_BASE, clock=lambda: NOW
    )


def _answering(status: int, body: object = None, headers: dict | None = None) -> GraphClient:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return _client(lambda request: httpx.Response(status, content=content, headers=headers))


def _error(code: int, subcode: int | None = None, **extra) -> dict:
    error = {"message": f"(#{code}) what Graph says", "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": {**error, **extra, "fbtrace_id": "A1b2C3"}}


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (400, _error(190, 463), AuthExpired),
        (400, _error(190, 467), AuthExpired),
        (400, _error(102), AuthExpired),
        (403, _error(10), AuthExpired),
        (400, _error(200), AuthExpired),
        (400, _error(4), RateLimited),
        (400, _error(17), RateLimited),
        (400, _error(32), RateLimited),
        (400, _error(613), RateLimited),
        (400, _error(80001), RateLimited),
        (400, _error(80014), RateLimited),
        (500, _error(1), PlatformUnavailable),
        (400, _error(2), PlatformUnavailable),
        (400, _error(100, is_transient=True), PlatformUnavailable),
        (503, b"<html>Service Unavailable</html>", PlatformUnavailable),
        (400, _error(100, 33), GraphRefused),
        (400, _error(10, 2018278), GraphRefused),
        (401, b"", AuthExpired),
        (429, b"", RateLimited),
        (404, b"not json", GraphRefused),
    ],
)
async def test_graph_errors_land_on_the_error_tree(status, body, expected):
    with pytest.raises(expected) as raised:
        await _answering(status, body).get("/104729015738562/feed")
    assert type(raised.value) is expected


async def test_a_throttled_call_waits_until_meta_says_access_returns():
    headers = usage_headers(100, regain_minutes=23)
    with pytest.raises(RateLimited) as raised:
        await _answering(400, _error(80001), headers).get("/104729015738562/feed")
    assert raised.value.reset_at == NOW + timedelta(minutes=23)


async def test_a_throttled_call_without_a_regain_time_waits_the_default():
    with pytest.raises(RateLimited) as raised:
        await _answering(400, _error(4)).get("/104729015738562/feed")
    assert raised.value.reset_at == NOW + RATE_LIMIT_WAIT


async def test_the_token_travels_in_a_header_and_never_in_an_address_or_error():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        message = f"Malformed access token {TOKEN}\x1b[2J\u202e [bold]x[/]"
        return httpx.Response(400, json={"error": {"message": message, "code": 190}})

    with pytest.raises(AuthExpired) as raised:
        await _client(handler).get("/me", {"fields": "id"})
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(seen[0].url)
    said = str(raised.value)
    assert TOKEN not in said and "[token]" in said
    assert "\x1b" not in said and "\u202e" not in said


def test_graph_words_are_cut_to_a_readable_length():
    assert len(clean_message("x" * 5000)) == 200
    assert clean_message("a\nb\tc\x00d") == "a b c d"


async def test_no_connection_means_nothing_was_posted():
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    def time_out(request):
        raise httpx.ReadTimeout("no answer", request=request)

    with pytest.raises(NotReached):
        await _client(refuse).post("/1_2/comments", {"message": "hi"})
    with pytest.raises(PlatformUnavailable) as raised:
        await _client(time_out).post("/1_2/comments", {"message": "hi"})
    assert not isinstance(raised.value, NotReached)


@pytest.mark.parametrize(
    ("name", "words"),
    [("error.json", "app secret proof"), ("error_data.json", "pages_read_engagement")],
)
async def test_real_graph_refusals_say_what_graph_said(name, words):
    path = RECORDINGS / "facebook" / name
    if not path.exists():
        skip_or_fail(f"recording {path} is not there (the shared recordings sit beside it)")
    with pytest.raises(GraphRefused) as raised:
        await _answering(400, path.read_bytes()).get("/19292868552/feed")
    assert raised.value.code == 100 and raised.value.status_code == 400
    assert words in str(raised.value)
    assert isinstance(raised.value, PayloadInvalid)


# -- usage ------------------------------------------------------------------------------


def _usage(headers: dict[str, str], now: datetime = NOW) -> GraphUsage:
    usage = GraphUsage(clock=lambda: now)
    usage.read(httpx.Headers(headers))
    return usage


def test_low_usage_keeps_the_normal_pace():
    assert _usage({}).poll_delay(60) is None
    assert _usage(usage_headers(40)).poll_delay(60) is None


def test_polling_slows_down_as_usage_nears_the_limit():
    delays = [_usage(usage_headers(percent)).poll_delay(60) for percent in (60, 75, 90, 100)]
    assert delays == sorted(delays) and delays[0] > 60
    assert delays[-1] == USAGE_WINDOW_SECONDS


def test_the_app_usage_header_counts_as_much_as_the_page_one():
    headers = {"X-App-Usage": json.dumps({"call_count": 95, "total_time": 3, "total_cputime": 2})}
    assert _usage(headers).highest_percent == 95


def test_meta_regain_time_sets_the_pace_until_it_passes():
    now = [NOW]
    usage = GraphUsage(clock=lambda: now[0])
    usage.read(httpx.Headers(usage_headers(100, regain_minutes=30)))
    assert usage.poll_delay(60) == 30 * 60
    now[0] = NOW + timedelta(minutes=31)
    assert usage.poll_delay(60) == USAGE_WINDOW_SECONDS


@pytest.mark.parametrize(
    "value",
    [
        "not json",
        "[]",
        '{"a": 5}',
        '{"1": [{"call_count": "99"}]}',
        '{"1": [{"call_count": 1e999}]}',
    ],
)
def test_garbled_usage_headers_are_no_news(value):
    usage = _usage({"X-Business-Use-Case-Usage": value, "X-App-Usage": value})
    assert usage.poll_delay(60) is None


@given(st.floats(0, 100), st.floats(0, 100), st.floats(1, 600))
def test_more_usage_never_means_faster_polling(low, high, interval):
    low, high = sorted((low, high))
    slow = [_usage(usage_headers(0)) for _ in range(2)]
    slow[0].highest_percent, slow[1].highest_percent = low, high
    first, second = (usage.poll_delay(interval) or interval for usage in slow)
    assert interval <= first <= second <= max(USAGE_WINDOW_SECONDS, interval)


# -- paging -----------------------------------------------------------------------------


async def test_listings_page_on_the_after_cursor_until_graph_gives_no_next():
    pages = {
        None: {"data": [1, 2], "paging": {"cursors": {"after": "c2"}, "next": "https://x/?a=1"}},
        "c2": {"data": [3], "paging": {"cursors": {"before": "c2", "after": "c3"}}},
    }
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=pages[request.url.params.get("after")])

    entries = [entry async for entry in _client(handler).items("/1/comments", {"limit": 2})]
    assert entries == [1, 2, 3]
    assert [request.url.params.get("limit") for request in seen] == ["2", "2"]


async def test_time_paged_listings_follow_the_query_of_next_but_never_its_host_or_token():
    seen: list[httpx.Request] = []
    following = (
        "https://evil.example/v25.0/1/posts?access_token=stolen&until=1627000000&__paging_token=enc"
    )

    def handler(request):
        seen.append(request)
        if "until" in request.url.params:
            return httpx.Response(200, json={"data": ["older"]})
        return httpx.Response(200, json={"data": ["newer"], "paging": {"next": following}})

    entries = [entry async for entry in _client(handler).items("/1/posts")]
    assert entries == ["newer", "older"]
    assert {request.url.host for request in seen} == {httpx.URL(API_BASE).host}
    assert "access_token" not in seen[1].url.params
    assert seen[1].url.params["__paging_token"] == "enc"


async def test_recorded_feed_pages_read_through():
    for name in ("feeds_default_fields_p1.json", "feeds_default_fields_p2.json"):
        if not (RECORDINGS / "facebook" / name).exists():
            skip_or_fail(f"recording {name} is not there (the shared recordings sit beside it)")
    first, last = (
        json.loads((RECORDINGS / "facebook" / name).read_text())
        for name in ("feeds_default_fields_p1.json", "feeds_default_fields_p2.json")
    )

    def handler(request):
        return httpx.Response(200, json=last if "after" in request.url.params else first)

    entries = [entry async for entry in _client(handler).items("/19292868552/feed")]
    assert [entry["id"] for entry in entries] == [
        entry["id"] for entry in first["data"] + last["data"]
    ]


def test_paths_escape_ids_from_payloads():
    assert graph_path("1_2", "comments") == "/1_2/comments"
    assert graph_path("../me/accounts?x=", "comments") == "/..%2Fme%2Faccounts%3Fx%3D/comments"


# -- the Page login ---------------------------------------------------------------------


class ScriptedPrompt:
    """A person at the terminal who gives the answers they were told to."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.shown: list[str] = []
        self.asked: list[str] = []

    def show(self, text: str) -> None:
        self.shown.append(text)

    def ask(self, question: str, *, secret: bool = False) -> str:
        self.asked.append(question)
        return self.answers.pop(0)


PAGES = (
    PageGrant("111", "Brand Care", "page-token-1", "17841400000000001"),
    PageGrant("222", "Brand Outlet", "page-token-2"),
)


async def test_the_pages_a_user_token_manages_are_listed_with_their_tokens():
    answer = {
        "data": [
            {
                "id": "111",
                "name": "Brand Care",
                "access_token": "page-token-1",
                "instagram_business_account": {"id": "17841400000000001"},
            },
            {"id": "333", "name": "No task here"},
            {"id": 222, "name": "Brand Outlet", "access_token": "page-token-2"},
        ]
    }
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json=answer)

    assert await list_pages(_client(handler)) == PAGES
    assert seen[0].url.path.endswith("/me/accounts")
    assert seen[0].url.params["fields"] == "id,name,access_token,instagram_business_account"
    assert "page-token-1" not in repr(PAGES)


def test_the_person_picks_a_page_by_number_or_id():
    assert choose_page(ScriptedPrompt("2"), PAGES) == PAGES[1]
    prompt = ScriptedPrompt("111")
    assert choose_page(prompt, PAGES) == PAGES[0]
    assert "  2. Brand Outlet (222)" in prompt.shown


def test_a_known_page_or_a_single_one_is_taken_without_asking():
    prompt = ScriptedPrompt()
    assert choose_page(prompt, PAGES, page_id="222") == PAGES[1]
    assert choose_page(prompt, PAGES[:1]) == PAGES[0]
    assert prompt.asked == []


@pytest.mark.parametrize(
    ("pages", "page_id", "answer", "words"),
    [
        ((), None, None, "manages no Page"),
        (PAGES, "999", None, "does not manage the Page 999"),
        (PAGES, None, "7", "none of the Pages listed"),
    ],
)
def test_a_page_that_is_not_there_is_refused_in_words(pages, page_id, answer, words):
    with pytest.raises(ValueError, match=words):
        choose_page(ScriptedPrompt(*filter(None, [answer])), pages, page_id=page_id)
