"""The LinkedIn adapter: comment threads and mentions in, answers and statements out, the
limits, the errors and the login.

Over the fake of harness_linkedin (hand-made after the docs' examples) and over the one
real LinkedIn body found, ../shared/recordings/linkedin/posts-1ffe61.json: an
organization's posts page, bare, served with status 200 and JSON content type.
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
from adapters.linkedin import mapping
from adapters.linkedin.adapter import COMMENT_THROTTLE, LinkedInAdapter, next_utc_midnight
from adapters.linkedin.payloads import Post
from tests.adapters.harness_linkedin import (
    CREDENTIAL,
    DATA,
    JSON,
    MIDNIGHT,
    NOW,
    ORGANIZATION,
    FakeLinkedIn,
    build,
    linkedin_error,
)
from tests.adapters.test_contract import fetch_all
from tests.adapters.test_hostile_payloads import _paths as paths
from tests.adapters.test_hostile_payloads import (
    assert_items_or_adapter_error,
    mutated_body,
    mutations,
)
from tests.conftest import RECORDINGS, skip_or_fail

POST = "urn:li:share:7300000000000000001"
DANA = "urn:li:comment:(urn:li:activity:7300000000000000101,7300000000000001001)"
MENTION = "urn:li:share:7300000000000000501"


async def read_all(
    server: FakeLinkedIn, stream: str = "comments", cursor: str | None = None, **extra: Any
) -> tuple[list, str | None]:
    return await fetch_all(build(extra, server), stream, cursor)


def _calls(server: FakeLinkedIn, contains: str) -> list[httpx.Request]:
    return [r for r in server.requests if contains in r.url.raw_path.decode()]


# -- reading comments --------------------------------------------------------------------


async def test_a_comment_thread_arrives_whole_with_its_replies():
    items, _ = await read_all(FakeLinkedIn())

    dana = [item for item in items if item.thread_key == f"comment:{DANA}"]
    assert [item.text for item in dana] == [
        "The app logs me out every hour since the update. Anyone else?",
        "Same here, [bold]every[/bold] hour \x1b[31m!",
        "Sorry about that, Dana. We are on it and will post an update here.",
        "Thanks. Still happening on Android 14 \u202eevil\u202c.",
    ]
    assert [item.parent_external_id for item in dana] == [None, DANA, DANA, DANA]
    assert [item.direction for item in dana] == [
        Direction.IN,
        Direction.IN,
        Direction.OUT,
        Direction.IN,
    ]
    assert dana[0].author.external_id == "urn:li:person:dAnA4cUst"
    assert [a.url for a in dana[0].attachments] == [f"https://www.linkedin.com/feed/update/{POST}/"]
    assert dana[1].url == (
        "https://www.linkedin.com/feed/update/urn:li:activity:7300000000000000101/?commentUrn="
        "urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A7300000000000000101%2C7300000000000001002%29"
    )
    assert {item.kind for item in items} == {Kind.COMMENT}


async def test_every_call_is_versioned_and_names_urns_encoded():
    server = FakeLinkedIn()
    await read_all(server)

    assert {r.headers["LinkedIn-Version"] for r in server.requests} == {"202601"}
    assert {r.headers["X-Restli-Protocol-Version"] for r in server.requests} == {"2.0.0"}
    [posts] = _calls(server, "/rest/posts?")
    assert "author=urn%3Ali%3Aorganization%3A2414183" in posts.url.raw_path.decode()
    assert _calls(server, "/rest/socialActions/urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity")


async def test_every_fetch_is_one_call_and_the_daily_quota_follows_the_tier():
    server = FakeLinkedIn()
    adapter = build({}, server)
    fetches = 0
    for stream in adapter.streams:
        cursor = None
        while True:
            result = await adapter.fetch(stream, cursor)
            fetches, cursor = fetches + 1, result.next_cursor
            if not result.has_more:
                break

    assert len(server.requests) == fetches
    assert LinkedInAdapter.quota_costs == {"comments": 1, "mentions": 1, "send": 1}
    assert adapter.daily_quota == 100, "the Development tier's calls per member and day"
    assert build({"daily_calls": 20_000}).daily_quota == 20_000


async def test_a_new_reply_to_an_older_comment_arrives_once_and_nothing_repeats():
    server = FakeLinkedIn()
    _, cursor = await read_all(server)
    reply = json.loads(json.dumps(server.replies[DANA][0]))
    reply["commentUrn"] = reply["$URN"] = DANA.replace("1001)", "1099)")
    reply["created"]["time"] = int((NOW - timedelta(minutes=5)).timestamp() * 1000)
    reply["message"]["text"] = "Any news?"
    server.replies[DANA].append(reply)
    server.comments[POST][0]["commentsSummary"]["aggregatedTotalComments"] = 4

    items, cursor = await read_all(server, cursor=cursor)

    assert [(item.text, item.parent_external_id) for item in items] == [("Any news?", DANA)]
    assert (await read_all(server, cursor=cursor))[0] == []


async def test_the_organization_is_the_one_the_member_administers_unless_set():
    server = FakeLinkedIn()
    adapter = build({"organization_id": ""}, server)
    assert await adapter.organization() == ORGANIZATION

    server.acls.append({**server.acls[0], "organization": "urn:li:organization:99"})
    with pytest.raises(PayloadInvalid, match="administers 2 organizations.*organization_id"):
        await build({"organization_id": ""}, server).fetch("comments", None)


# -- reading mentions --------------------------------------------------------------------


async def test_mentions_read_as_people_see_them_and_a_bare_one_from_its_post():
    server = FakeLinkedIn()
    items, cursor = await read_all(server, "mentions")

    assert [(item.external_id, item.text) for item in items] == [
        (MENTION, "Two hours on hold with @Brand Care and still no fix #fail"),
        (
            "urn:li:ugcPost:7300000000000000502",
            "Great onboarding session by @Brand Care today. Slides: https://lnkd.in/dSl1des",
        ),
    ]
    assert {item.kind for item in items} == {Kind.MENTION}
    assert items[0].thread_key == f"mention:{MENTION}"
    assert items[1].author.external_id == "urn:li:person:s0fIaL"
    [asked] = _calls(server, "/organizationalEntityNotifications")
    query = parse_qs(asked.url.query.decode())
    assert query["actions"] == ["List(SHARE_MENTION)"]
    week_ago = int((NOW - timedelta(days=7)).timestamp() * 1000)
    assert query["timeRange"] == [f"(start:{week_ago},end:{int(NOW.timestamp() * 1000)})"]

    later = json.loads(json.dumps(server.notifications[0]))
    later["notificationId"], later["lastModifiedAt"] = 5603453499, int(NOW.timestamp() * 1000)
    later["decoratedGeneratedActivity"]["share"]["entity"] = "urn:li:share:7300000000000000599"
    server.notifications.append(later)
    items, _ = await fetch_all(_later(build({}, server)), "mentions", cursor)
    assert [item.external_id for item in items] == ["urn:li:share:7300000000000000599"]


def _later(adapter: LinkedInAdapter) -> LinkedInAdapter:
    adapter._clock = lambda: NOW + timedelta(minutes=15)
    return adapter


def test_little_text_reads_plain_and_a_statement_is_written_escaped():
    little = r"\[blog\] by @[R Consortium](urn:li:organization:36080541) {hashtag|\#|RStats} a\_b"
    assert mapping.plain_text(little) == "[blog] by @R Consortium #RStats a_b"
    said = "Update (2/3): fixed #ios_app, see status.example.com @ 10:00 ~ 50% [beta]"
    assert mapping.plain_text(mapping.little_text(said)) == said
    assert mapping.little_text("#1 (a)") == r"\#1 \(a\)"


# -- limits and errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "reset"),
    [
        ("2026-03-01T12:00:00+00:00", "2026-03-02T00:00:00+00:00"),
        ("2026-03-01T23:59:59+00:00", "2026-03-02T00:00:00+00:00"),
        ("2026-03-01T20:00:00-05:00", "2026-03-03T00:00:00+00:00"),
    ],
)
def test_the_daily_limit_resets_at_the_next_midnight_utc(now, reset):
    assert next_utc_midnight(datetime.fromisoformat(now)) == datetime.fromisoformat(reset)


async def test_a_429_waits_as_told_else_a_minute_for_comments_else_until_midnight_utc():
    daily = _answering(lambda request: linkedin_error(429, "APPLICATION DAY limit reached"))
    with pytest.raises(RateLimited) as raised:
        await daily.fetch("comments", None)
    assert raised.value.reset_at == MIDNIGHT

    told = _answering(lambda request: httpx.Response(429, headers={"Retry-After": "30"}))
    with pytest.raises(RateLimited) as raised:
        await told.fetch("mentions", None)
    assert raised.value.reset_at == NOW + timedelta(seconds=30)

    def throttled(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return linkedin_error(429, "Comment create throttled")
        return FakeLinkedIn()(request)

    with pytest.raises(RateLimited) as raised:
        await _answering(throttled).send(_reply("Sorry!"))
    assert raised.value.reset_at == NOW + COMMENT_THROTTLE


@pytest.mark.parametrize(
    ("method", "status", "error", "words"),
    [
        ("GET", 401, AuthExpired, "log in again"),
        ("GET", 403, AuthExpired, "Community Management API product.*administrator"),
        ("POST", 403, PayloadInvalid, "Community Management API product.*administrator"),
        ("GET", 426, PayloadInvalid, "no longer serves API version 202601"),
        ("POST", 422, PayloadInvalid, "LinkedIn refused it .'UNPROCESSABLE'."),
        ("POST", 503, PlatformUnavailable, "503"),
    ],
)
async def test_refusals_map_to_the_error_tree_with_a_sentence(method, status, error, words):
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == method:
            return linkedin_error(status, "refused (test)", "UNPROCESSABLE")
        return FakeLinkedIn()(request)

    adapter = _answering(answer, credential={"access_token": "li-access"})
    with pytest.raises(error, match=words) as raised:
        if method == "GET":
            await adapter.fetch("comments", None)
        else:
            await adapter.send(_reply("Sorry!"))
    assert "li-access" not in str(raised.value)


async def test_a_401_refreshes_with_the_secret_in_the_form_and_keeps_the_new_token():
    server = FakeLinkedIn()
    server.access_token = "li-access-2"  # LinkedIn has expired the stored token
    kept: list[dict[str, str]] = []
    items, _ = await fetch_all(build({}, server, on_credential_refreshed=kept.append), "comments")

    assert items
    assert [entry["access_token"] for entry in kept] == ["li-access-2"]
    assert kept[0]["client_secret"] == "li-secret"
    assert len([r for r in server.requests if r.url.host == "www.linkedin.com"]) == 1

    server.access_token = "li-access-3"
    with pytest.raises(AuthExpired):
        await build({}, server, credential={**CREDENTIAL, "refresh_token": "revoked"}).fetch(
            "comments", None
        )


# -- answering ---------------------------------------------------------------------------


async def test_a_reply_goes_under_the_top_comment_as_the_organization():
    server = FakeLinkedIn()
    sent = await build({}, server).send(_reply("We are on it."))

    [post] = [r for r in server.requests if r.method == "POST"]
    assert post.url.raw_path.decode() == (
        "/rest/socialActions/urn%3Ali%3Acomment%3A%28urn%3Ali%3Aactivity%3A"
        "7300000000000000101%2C7300000000000001001%29/comments"
    )
    assert json.loads(post.content) == {
        "actor": ORGANIZATION,
        "object": "urn:li:activity:7300000000000000101",
        "parentComment": DANA,
        "message": {"text": "We are on it."},
    }
    assert sent.external_id == server.replies[DANA][-1]["commentUrn"] and sent.sent_at == NOW


async def test_an_answer_to_a_mention_is_a_comment_on_the_post():
    server = FakeLinkedIn()
    sent = await build({}, server).send(_reply("Sorry to hear it!", thread=f"mention:{MENTION}"))

    [post] = [r for r in server.requests if r.method == "POST"]
    assert json.loads(post.content) == {
        "actor": ORGANIZATION,
        "object": MENTION,
        "message": {"text": "Sorry to hear it!"},
    }
    assert sent.external_id == server.comments[MENTION][-1]["commentUrn"]


async def test_a_statement_is_an_organization_post_in_little_text():
    server = FakeLinkedIn()
    statement = OutboundRequest(
        idempotency_key="s-1", kind=Kind.COMMENT, text="We are fixing logins (#1) now."
    )
    sent = await build({}, server).send(statement)

    [post] = [r for r in server.requests if r.method == "POST"]
    body = json.loads(post.content)
    assert body["author"] == ORGANIZATION and body["visibility"] == "PUBLIC"
    assert body["commentary"] == r"We are fixing logins \(\#1\) now."
    assert sent.external_id == server.posts[0]["id"]
    assert sent.url == f"https://www.linkedin.com/feed/update/{sent.external_id}/"
    assert LinkedInAdapter.can_post_statement and not LinkedInAdapter.can_dm


@pytest.mark.parametrize("thread", [f"comment:{DANA}", f"mention:{MENTION}", None])
async def test_find_sent_finds_what_a_lost_answer_posted(thread):
    server = FakeLinkedIn(fail="answer_503_after_create")
    adapter = build({}, server)
    request = _reply("We are on it.", thread=thread)
    with pytest.raises(PlatformUnavailable):
        await adapter.send(request)

    found = await adapter.find_sent(request, NOW - timedelta(minutes=1))
    assert found is not None and found.sent_at == NOW
    assert (
        await adapter.find_sent(_reply("Other", thread=thread), NOW - timedelta(minutes=1)) is None
    )
    assert await adapter.find_sent(request, NOW + timedelta(minutes=1)) is None


# -- the login ---------------------------------------------------------------------------


@pytest.mark.parametrize("secret", ["li-secret", ""])
async def test_log_in_walks_the_loopback_flow_and_picks_the_organization(secret):
    """LinkedIn cannot run here: the token endpoint and the API are the fake's
    (MockTransport), and httpx plays the browser LinkedIn sends back to the listener."""
    shown: list[str] = []

    class Person:
        def show(self, text: str) -> None:
            shown.append(text)

        def ask(self, question: str, **_: Any) -> str:
            if "Client ID" in question:
                return "li-client"
            if "client secret" in question:
                return secret
            query = _query(_authorization_line(shown))
            redirect = f"{query['redirect_uri']}?state={query['state']}&code=AQTgranted"
            assert httpx.get(redirect).status_code == 200
            return ""

    server = FakeLinkedIn()
    exchanged: list[dict[str, str]] = []

    def linkedin(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/v2/accessToken":
            exchanged.append(dict(httpx.QueryParams(request.content.decode())))
            return httpx.Response(
                200, headers=JSON, json={"access_token": "li-access", "expires_in": 5_184_000}
            )
        return server(request)

    account = AccountRef(id=0, platform="linkedin", handle="Brand Care", settings={"login_port": 0})
    async with httpx.AsyncClient(transport=httpx.MockTransport(linkedin)) as client:
        credential = await LinkedInAdapter.log_in(account, client, Person())

    address = _authorization_line(shown)
    flow = "/oauth/v2/authorization" if secret else "/oauth/native-pkce/authorization"
    assert urlsplit(address).path == flow
    query = _query(address)
    assert query["scope"] == "r_organization_social w_organization_social rw_organization_admin"
    assert query["code_challenge_method"] == "S256"
    assert urlsplit(query["redirect_uri"]).path == "/linkedin"
    assert exchanged[0]["code"] == "AQTgranted" and exchanged[0].get("client_secret") == (
        secret or None
    )
    assert credential["access_token"] == "li-access"
    assert credential["organization_id"] == "2414183"


def _authorization_line(shown: list[str]) -> str:
    return next(line.strip() for line in shown if "linkedin.com/oauth" in line)


# -- the real recorded posts page --------------------------------------------------------


def _recording() -> bytes:
    path = RECORDINGS / "linkedin" / "posts-1ffe61.json"
    if not path.exists():
        skip_or_fail(f"recording {path} is not there (the shared recordings sit beside it)")
    return path.read_bytes()


RECORDED_ORGANIZATION = "77132573"


def _recorded_adapter(answer) -> LinkedInAdapter:
    account = AccountRef(
        id=1,
        platform="linkedin",
        handle="rOpenSci",
        settings={"organization_id": RECORDED_ORGANIZATION, "recent_posts": 10},
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return LinkedInAdapter(account, client, {"access_token": "t"}, clock=lambda: NOW)


def _serving_recorded_posts(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/rest/posts":
        return httpx.Response(200, headers=JSON, content=_recording())
    # hand-made: no comments list of these posts was recorded
    return httpx.Response(200, headers=JSON, json={"paging": {"links": []}, "elements": []})


async def test_a_recorded_posts_page_lists_the_posts_whose_comments_are_read():
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return _serving_recorded_posts(request)

    items, _ = await fetch_all(_recorded_adapter(answer), "comments")

    recorded = [post["id"] for post in json.loads(_recording())["elements"]]
    assert items == []
    assert asked == ["/rest/posts", *(f"/rest/socialActions/{urn}/comments" for urn in recorded)]


async def test_a_recorded_post_reads_as_plain_text_and_find_sent_knows_a_posted_statement():
    first = json.loads(_recording())["elements"][0]
    item = mapping.mention_item(_post(first))
    assert item.text.startswith(
        "\u270d\ufe0f [blog] Collaborating between @Bioconductor and R-Universe"
    )
    assert item.text.endswith("Learn more about it https://lnkd.in/dPzw3Kxi\n\n#RStats")
    assert [a.url for a in item.attachments] == [
        "https://ropensci.org/blog/2026/04/08/r-universe-bioc/"
    ]

    statement = OutboundRequest(idempotency_key="s", kind=Kind.COMMENT, text=item.text)
    published = datetime.fromtimestamp(first["publishedAt"] / 1000, UTC)
    found = await _recorded_adapter(_serving_recorded_posts).find_sent(
        statement, published - timedelta(minutes=1)
    )
    assert found is not None and found.external_id == "urn:li:share:7447617633195212800"


def _post(raw: dict[str, Any]) -> Post:
    return Post.parse(raw)


# -- hostile payloads --------------------------------------------------------------------


def _hostile_cases() -> list[tuple[str, Any, str, str | None]]:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    comments = {
        "paging": {"links": []},
        "elements": [*data["comments"][POST], *data["replies"][DANA]],
    }
    queued = json.dumps({"walked": True, "posts": [[POST, 0]]})
    notifications = {"paging": {"links": []}, "elements": data["notifications"]}
    posts = json.loads(_recording())
    return [
        ("comments", comments, "comments", queued),
        ("notifications", notifications, "mentions", None),
        ("recorded-posts", posts, "comments", None),
    ]


@pytest.mark.parametrize("case", range(3), ids=["comments", "notifications", "recorded-posts"])
def test_a_mutated_page_gives_items_or_an_adapter_error(case):
    _, page, stream, cursor = _hostile_cases()[case]

    def fetch_once(body: bytes) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, headers=JSON, content=body)

        adapter = build({}, credential={"access_token": "li-access"})
        adapter.client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
        if cursor is None:
            assert_items_or_adapter_error(adapter, stream)
            return
        try:
            asyncio.run(adapter.fetch(stream, cursor))
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


def _answering(answer, credential: dict[str, str] | None = None) -> LinkedInAdapter:
    account = AccountRef(
        id=1, platform="linkedin", handle="Brand Care", settings={"organization_id": "2414183"}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return LinkedInAdapter(account, client, credential or CREDENTIAL, clock=lambda: NOW)


def _reply(text: str, *, thread: str | None = f"comment:{DANA}") -> OutboundRequest:
    return OutboundRequest(
        idempotency_key="k-1",
        kind=Kind.MENTION if thread and thread.startswith("mention:") else Kind.COMMENT,
        text=text,
        thread_key=thread,
    )


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
