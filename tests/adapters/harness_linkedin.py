"""The LinkedIn adapter in the contract suite, over a fake Community Management API.

`FakeLinkedIn` answers the versioned REST calls the adapter makes (`/rest/posts`,
`/rest/socialActions/{urn}/comments`, `/rest/organizationalEntityNotifications`,
`/rest/organizations/{id}`, `/rest/organizationAcls`) and LinkedIn's token endpoint, from
tests/data/linkedin (hand-made after the docs' examples; each file says which pages).
It refuses a call without `LinkedIn-Version` and `X-Restli-Protocol-Version: 2.0.0`, as
LinkedIn does, pages collections by `start`/`count` with `paging.links`, and keeps
every request. The scenario setting `fail` picks a failure; `fixture="rich.json"` serves
comments with media and a mention sharing an article.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx

from adapters.base import AccountRef
from adapters.linkedin.adapter import LinkedInAdapter
from tests.support.contract import Harness

DATA = Path(__file__).resolve().parent.parent / "data" / "linkedin" / "organization.json"
RICH = DATA.with_name("rich.json")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
"""When LinkedIn's daily limits reset after `NOW`."""
ORGANIZATION = "urn:li:organization:2414183"
CREDENTIAL = {
    "client_id": "li-client",
    "client_secret": "li-secret",
    "access_token": "li-access",
    "refresh_token": "li-refresh",
}
JSON = {"Content-Type": "application/json"}
_TIME_RANGE = re.compile(r"\(start:(\d+),end:(\d+)\)")


def linkedin_error(status: int, message: str, code: str | None = None) -> httpx.Response:
    """An error answer in LinkedIn's shape:
    https://learn.microsoft.com/en-us/linkedin/shared/api-guide/concepts/error-handling"""
    body: dict[str, Any] = {"message": message, "serviceErrorCode": 100, "status": status}
    if code is not None:
        body["code"] = code
    return httpx.Response(status, headers=JSON, json=body)


class FakeLinkedIn:
    """A MockTransport handler playing api.linkedin.com and www.linkedin.com's token endpoint."""

    def __init__(
        self, fail: str | None = None, *, page_size: int = 2, data: Mapping[str, Any] | None = None
    ) -> None:
        data = data if data is not None else json.loads(DATA.read_text(encoding="utf-8"))
        self.organization: dict[str, Any] = copy.deepcopy(data["organization"])
        self.acls: list[dict[str, Any]] = copy.deepcopy(data["acls"])
        self.posts: list[dict[str, Any]] = copy.deepcopy(data["posts"])
        """The organization's posts, newest first."""
        self.activities: dict[str, str] = dict(data["activities"])
        self.comments: dict[str, list[dict[str, Any]]] = copy.deepcopy(data["comments"])
        """Each post's top-level comments, oldest first."""
        self.replies: dict[str, list[dict[str, Any]]] = copy.deepcopy(data["replies"])
        self.notifications: list[dict[str, Any]] = copy.deepcopy(data["notifications"])
        self.mentioning: dict[str, dict[str, Any]] = copy.deepcopy(data["mentioning_posts"])
        self.fail = fail
        self.page_size = page_size
        self.now = NOW
        self.access_token = CREDENTIAL["access_token"]
        self.requests: list[httpx.Request] = []
        self._ids = itertools.count(7_300_000_000_000_009_001)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "www.linkedin.com":
            return self._token(request)
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            return linkedin_error(400, "Restli protocol version missing")
        if not re.fullmatch(r"\d{6}", request.headers.get("LinkedIn-Version", "")):
            return linkedin_error(400, "A version must be present", "VERSION_MISSING")
        if (
            self.fail == "auth_expired"
            or request.headers.get("Authorization") != f"Bearer {self.access_token}"
        ):
            return linkedin_error(401, "Invalid access token")
        if self.fail == "rate_limited":
            return linkedin_error(429, "Resource level throttle APPLICATION DAY limit reached")
        if self.fail == "forbidden":
            return linkedin_error(403, "Not enough permissions to access", "ACCESS_DENIED")
        if self.fail == "payload_invalid":
            return httpx.Response(200, headers=JSON, content=b'{"elements": [')
        path = unquote(request.url.raw_path.decode().partition("?")[0]).removeprefix("/rest")
        params = request.url.params
        if path == "/posts" and request.method == "GET":
            if params.get("author") != ORGANIZATION or params.get("q") != "author":
                return linkedin_error(400, "author is required")
            return self._page(self.posts, request)
        if path == "/posts" and request.method == "POST":
            return self._create_post(request)
        if path.startswith("/posts/"):
            found = self.mentioning.get(path.removeprefix("/posts/"))
            if found is None:
                return linkedin_error(404, "Not found")
            return httpx.Response(200, headers=JSON, json=found)
        if path.startswith("/socialActions/") and path.endswith("/comments"):
            target = path.removeprefix("/socialActions/").removesuffix("/comments")
            if request.method == "POST":
                return self._create_comment(request, target)
            listed = self.replies.get(target) or self.comments.get(target, [])
            return self._page(listed, request)
        if path == "/organizationalEntityNotifications":
            return self._notifications(request)
        if path == f"/organizations/{self.organization['id']}":
            return httpx.Response(200, headers=JSON, json=self.organization)
        if path == "/organizationAcls" and params.get("q") == "roleAssignee":
            return self._page(self.acls, request)
        return linkedin_error(404, f"no resource {path}")

    def _page(self, elements: list[dict[str, Any]], request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("start", "0"))
        count = min(int(request.url.params.get("count", "10")), self.page_size)
        body: dict[str, Any] = {
            "paging": {"start": start, "count": count, "links": [], "total": len(elements)},
            "elements": elements[start : start + count],
        }
        if start + count < len(elements):
            href = request.url.copy_merge_params({"start": str(start + count)})
            body["paging"]["links"] = [
                {"type": "application/json", "rel": "next", "href": str(href.raw_path)}
            ]
        return httpx.Response(200, headers=JSON, json=body)

    def _notifications(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        window = _TIME_RANGE.fullmatch(params.get("timeRange", ""))
        if (
            params.get("q") != "criteria"
            or params.get("organizationalEntity") != ORGANIZATION
            or window is None
        ):
            return linkedin_error(400, "criteria are missing")
        actions = params.get("actions", "").removeprefix("List(").removesuffix(")").split(",")
        start, end = int(window.group(1)), int(window.group(2))
        found = [
            entry
            for entry in self.notifications
            if entry["action"] in actions and start <= entry["lastModifiedAt"] <= end
        ]
        return self._page(found, request)

    def _create_comment(self, request: httpx.Request, target: str) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("actor") != ORGANIZATION or not body.get("message", {}).get("text"):
            return linkedin_error(422, "actor and message are required")
        parent = body.get("parentComment")
        if parent is not None and parent != target:
            return linkedin_error(400, "parentComment must be the comment commented on")
        listing = self.replies.setdefault(target, []) if parent else None
        if listing is None:
            listing = self.comments.setdefault(target, [])
        comment_id = str(next(self._ids))
        activity = body["object"] if parent else self.activities.get(target, body["object"])
        urn = f"urn:li:comment:({activity},{comment_id})"
        at = int(self.now.timestamp() * 1000)
        comment = {
            "actor": ORGANIZATION,
            "created": {"actor": ORGANIZATION, "time": at},
            "id": comment_id,
            "lastModified": {"actor": ORGANIZATION, "time": at},
            "message": {"attributes": [], "text": body["message"]["text"]},
            "object": body["object"],
            "commentUrn": urn,
            "$URN": urn,
        }
        if parent:
            comment["parentComment"] = parent
        listing.append(comment)
        if self.fail == "answer_503_after_create":
            return linkedin_error(503, "Service unavailable")
        return httpx.Response(201, headers={**JSON, "x-restli-id": comment_id}, json=comment)

    def _create_post(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("author") != ORGANIZATION or body.get("lifecycleState") != "PUBLISHED":
            return linkedin_error(422, "author and lifecycleState are required")
        urn = f"urn:li:share:{next(self._ids)}"
        at = int(self.now.timestamp() * 1000)
        self.posts.insert(0, {**body, "id": urn, "createdAt": at, "publishedAt": at})
        if self.fail == "answer_503_after_create":
            return linkedin_error(503, "Service unavailable")
        return httpx.Response(201, headers={"x-restli-id": urn})

    def _token(self, request: httpx.Request) -> httpx.Response:
        """The refresh grant, with the client secret in the form as LinkedIn documents."""
        form = dict(httpx.QueryParams(request.content.decode()))
        expected = {
            "grant_type": "refresh_token",
            "refresh_token": CREDENTIAL["refresh_token"],
            "client_id": CREDENTIAL["client_id"],
            "client_secret": CREDENTIAL["client_secret"],
        }
        if self.fail == "auth_expired" or form != expected:
            return httpx.Response(
                400,
                headers=JSON,
                json={"error": "invalid_request", "error_description": "refresh token invalid"},
            )
        self.access_token = "li-access-2"
        return httpx.Response(
            200,
            headers=JSON,
            json={
                "access_token": self.access_token,
                "expires_in": 5_184_000,
                "refresh_token": CREDENTIAL["refresh_token"],
                "refresh_token_expires_in": 31_000_000,
            },
        )


def build(extra: dict, server: FakeLinkedIn | None = None, **options: Any) -> LinkedInAdapter:
    """The adapter for Brand Care against the fake; `extra["fail"]` picks a failure."""
    if server is None:
        fixture = extra.get("fixture")
        data = json.loads((DATA.parent / fixture).read_text(encoding="utf-8")) if fixture else None
        server = FakeLinkedIn(fail=extra.get("fail"), data=data)
    settings = {"organization_id": "2414183", **extra}
    account = AccountRef(id=1, platform="linkedin", handle="Brand Care", settings=settings)
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    return LinkedInAdapter(
        account, client, options.pop("credential", CREDENTIAL), clock=lambda: NOW, **options
    )


HARNESS = Harness(
    build=build,
    failures={
        "auth_expired": {"fail": "auth_expired"},
        "rate_limited": {"fail": "rate_limited"},
        "payload_invalid": {"fail": "payload_invalid"},
    },
    rate_limit_reset=MIDNIGHT,
    rich_posts={"fixture": RICH.name},
    rich_links=frozenset(
        {
            "https://media.licdn.com/dms/image/C4E22AQScreen1/screenshot.png",
            "https://status.example.com/incidents/42",
            "https://reviews.example.com/nimbus-week",
            "https://lnkd.in/dRev1ew",
        }
    ),
)
