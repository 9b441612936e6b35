"""The Mastodon adapter in the contract suite, over a fake instance fed by hand-made data.

`FakeMastodon` answers the few endpoints the adapter calls from tests/data/mastodon
(hand-made, in the shape the API docs give), with `min_id`/`limit` paging and `Link`
headers as a real instance sends them; the brand's own statuses are the ones posted to
it. The scenario setting `fail` makes every request fail the way a real instance does, and
`fixture` names another data file: `rich.json` holds statuses with media, a poll, a content
warning, a link card, a quote, shortened links and a mention whose status was deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from adapters.base import AccountRef
from adapters.mastodon.adapter import MastodonAdapter
from tests.support.contract import Harness

DATA = Path(__file__).resolve().parent.parent / "data" / "mastodon" / "inbox.json"
RICH = DATA.with_name("rich.json")
RICH_LINKS = frozenset(
    {
        "https://files.social.example/media_attachments/files/110/400/002/original/97232afa341c291e.jpg",
        "https://shop.example/orders/help/returns-and-refunds-for-damaged-parcels",
        "https://social.example/@brand/110100",
        "https://bsky.app/profile/h4lcy.bsky.social/post/3lwlumdwf522i",
        "https://status.example/incidents/42",
        "https://misskey.example/files/voice-note-8e2be16453b30958.opus",
        "https://files.social.example/media_attachments/files/110/400/052/original/receipt.png",
    }
)
"""Every link target in rich.json whose visible text is not the target, and its media."""
BASE_URL = "https://social.example"
TOKEN = "mastodon-test-token"
RATE_LIMIT_RESET = datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


def _order(identifier: str) -> tuple[int, str]:
    return (len(identifier), identifier)


class FakeMastodon:
    """A MockTransport handler playing one Mastodon instance; it keeps every request."""

    def __init__(self, fail: str | None = None, data: Mapping[str, Any] | None = None) -> None:
        self.data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        self.fail = fail
        self.requests: list[httpx.Request] = []
        self.posted: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.fail == "auth_expired" or request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"error": "The access token is invalid"})
        if self.fail == "rate_limited":
            headers = {
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": RATE_LIMIT_RESET.isoformat().replace("+00:00", "Z"),
            }
            return httpx.Response(429, json={"error": "Too many requests"}, headers=headers)
        if self.fail == "payload_invalid":
            return httpx.Response(
                200, content=b'[{"id": "1", "type": ', headers={"Content-Type": "application/json"}
            )
        path = request.url.path
        if path == "/api/v1/notifications":
            return self._page(request, self.data["notifications"], lambda entry: entry["id"])
        if path == "/api/v1/conversations":
            return self._page(
                request, self.data["conversations"], lambda entry: entry["last_status"]["id"]
            )
        if path.startswith("/api/v1/statuses/") and path.endswith("/context"):
            context = self.data["contexts"].get(path.split("/")[4])
            return (
                httpx.Response(200, json=context)
                if context
                else httpx.Response(404, json={"error": "Not Found"})
            )
        if path == "/api/v2/instance":
            return httpx.Response(200, json=self.data["instance"])
        if path == "/api/v1/accounts/verify_credentials":
            return httpx.Response(200, json=self.data["brand"])
        if path == f"/api/v1/accounts/{self.data['brand']['id']}/statuses":
            max_id = request.url.params.get("max_id")
            own = [
                post["status"]
                for post in reversed(self.posted)
                if max_id is None or _order(post["status"]["id"]) < _order(max_id)
            ]
            return httpx.Response(200, json=own[: int(request.url.params.get("limit", 20))])
        if path == "/api/v1/statuses" and request.method == "POST":
            return self._post(request)
        return httpx.Response(404, json={"error": "Not Found"})

    def _page(self, request: httpx.Request, entries: list[dict], key: Any) -> httpx.Response:
        limit = int(request.url.params.get("limit", 20))
        wanted = request.url.params.get_list("types[]")
        newest_first = sorted(
            (entry for entry in entries if not wanted or entry.get("type") in wanted),
            key=lambda entry: _order(key(entry)),
            reverse=True,
        )
        min_id = request.url.params.get("min_id")
        if min_id is not None:
            newer = [entry for entry in newest_first if _order(key(entry)) > _order(min_id)]
            page = newer[-limit:]
        else:
            page = newest_first[:limit]
        headers = {}
        if page:
            base = str(request.url.copy_with(query=None))
            headers["Link"] = (
                f'<{base}?max_id={key(page[-1])}>; rel="next", '
                f'<{base}?min_id={key(page[0])}>; rel="prev"'
            )
        return httpx.Response(200, json=page, headers=headers)

    def _post(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        key = request.headers.get("Idempotency-Key")
        for earlier in self.posted:
            if key and earlier["key"] == key:
                return httpx.Response(200, json=earlier["status"])
        status = {
            "id": str(120000 + len(self.posted)),
            "created_at": "2026-03-01T12:00:00.000Z",
            "in_reply_to_id": form.get("in_reply_to_id"),
            "visibility": form.get("visibility", "public"),
            "spoiler_text": "",
            "content": f"<p>{form.get('status', '')}</p>",
            "url": f"{BASE_URL}/@brand/{120000 + len(self.posted)}",
            "account": self.data["brand"],
        }
        self.posted.append({"key": key, "form": form, "status": status})
        return httpx.Response(200, json=status)


def build(extra: dict, server: FakeMastodon | None = None) -> MastodonAdapter:
    """The adapter for @brand on the fake instance; `extra["fail"]` picks a failure and
    `extra["fixture"]` the data file it serves."""
    if server is None:
        fixture = extra.get("fixture")
        server = FakeMastodon(
            fail=extra.get("fail"),
            data=json.loads(DATA.with_name(fixture).read_text(encoding="utf-8"))
            if fixture
            else None,
        )
    account = AccountRef(
        id=1, platform="mastodon", handle="@brand@social.example", base_url=BASE_URL, settings=extra
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return MastodonAdapter(account, client, {"access_token": TOKEN})


HARNESS = Harness(
    build=build,
    failures={
        "auth_expired": {"fail": "auth_expired"},
        "rate_limited": {"fail": "rate_limited"},
        "payload_invalid": {"fail": "payload_invalid"},
    },
    rate_limit_reset=RATE_LIMIT_RESET,
    rich_posts={"fixture": RICH.name},
    rich_links=RICH_LINKS,
)
