"""A small in-memory Bluesky PDS behind an httpx MockTransport, fed by tests/data/bluesky.

It pages notifications by an index cursor as the real listNotifications does (newest
first, `limit`, opaque `cursor`), answers chat calls, records createRecord bodies, and
can be told to fail: expire the access token, refuse the password, rate limit, or answer
with something that is not JSON.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DATA = Path(__file__).resolve().parent.parent / "data" / "bluesky"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
RATE_LIMIT_RESET_EPOCH = 1_772_366_700  # 2026-03-01T12:05:00Z


def fixture(name: str) -> Any:
    """A JSON file under tests/data/bluesky."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def xrpc_error(
    status: int, code: str, message: str = "", headers: dict[str, str] | None = None
) -> httpx.Response:
    """An XRPC error answer as a PDS sends it."""
    return httpx.Response(status, json={"error": code, "message": message}, headers=headers)


@dataclass
class FakePds:
    """The PDS's state and the requests it saw."""

    notifications: list[dict[str, Any]] = field(
        default_factory=lambda: fixture("notifications.json")["notifications"]
    )
    convos: dict[str, Any] = field(default_factory=lambda: fixture("convos.json"))
    messages: dict[str, Any] = field(default_factory=lambda: fixture("messages.json"))
    session: dict[str, Any] = field(default_factory=lambda: fixture("session.json"))
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    handles: dict[str, str] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    failure: str | None = None
    """"auth_expired", "rate_limited" or "payload_invalid": how listNotifications and login fail."""
    expire_next_access: int = 0
    """How many authorized calls answer 400 ExpiredToken before the token is accepted again."""
    refresh_refused: bool = False
    logins: int = 0
    refreshes: int = 0

    def __post_init__(self) -> None:
        self.access_token = "fake-access-1"
        self.handles.setdefault(self.session["handle"], self.session["did"])

    @property
    def transport(self) -> httpx.MockTransport:
        """The transport to build the adapter's AsyncClient with."""
        return httpx.MockTransport(self.handle)

    def calls(self, nsid: str) -> list[httpx.Request]:
        """The requests made to one XRPC method, in order."""
        return [request for request in self.requests if request.url.path == f"/xrpc/{nsid}"]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        nsid = request.url.path.removeprefix("/xrpc/")
        if nsid == "com.atproto.server.createSession":
            return self._create_session(request)
        if nsid == "com.atproto.server.refreshSession":
            return self._refresh(request)
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return xrpc_error(401, "AuthenticationRequired", "Bad token")
        if self.expire_next_access:
            self.expire_next_access -= 1
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        handler = getattr(self, "_" + nsid.replace(".", "_"), None)
        if handler is None:
            return xrpc_error(501, "MethodNotImplemented", f"{nsid} is not in the fake")
        return handler(request)

    def _create_session(self, request: httpx.Request) -> httpx.Response:
        self.logins += 1
        body = json.loads(request.content)
        if self.failure == "auth_expired" or body.get("password") != APP_PASSWORD:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        session = copy.deepcopy(self.session)
        session["accessJwt"], session["refreshJwt"] = (
            self.access_token,
            f"fake-refresh-{self.logins}",
        )
        return httpx.Response(200, json=session)

    def _refresh(self, request: httpx.Request) -> httpx.Response:
        self.refreshes += 1
        if self.refresh_refused or not request.headers.get("Authorization", "").startswith(
            "Bearer fake-refresh-"
        ):
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        self.access_token = f"fake-access-refreshed-{self.refreshes}"
        session = {key: self.session[key] for key in ("did", "handle")}
        session.update(accessJwt=self.access_token, refreshJwt=f"fake-refresh-r{self.refreshes}")
        return httpx.Response(200, json=session)

    def _app_bsky_notification_listNotifications(self, request: httpx.Request) -> httpx.Response:
        if self.failure == "rate_limited":
            return xrpc_error(
                429, "RateLimitExceeded", "Rate Limit Exceeded",
                {"RateLimit-Limit": "3000", "RateLimit-Remaining": "0",
                 "RateLimit-Reset": str(RATE_LIMIT_RESET_EPOCH), "RateLimit-Policy": "3000;w=300"},
            )  # fmt: skip
        if self.failure == "payload_invalid":
            return httpx.Response(
                200, content=b'{"notifications": [', headers={"Content-Type": "application/json"}
            )
        reasons = set(request.url.params.get_list("reasons"))
        matching = [
            entry for entry in self.notifications if not reasons or entry["reason"] in reasons
        ]
        start = int(request.url.params.get("cursor", "0"))
        limit = int(request.url.params.get("limit", "50"))
        page: dict[str, Any] = {"notifications": matching[start : start + limit]}
        if start + limit < len(matching):
            page["cursor"] = str(start + limit)
        return httpx.Response(200, json=page)

    def _chat_bsky_convo_listConvos(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=self.convos)

    def _chat_bsky_convo_getMessages(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=self.messages)

    def _chat_bsky_convo_getConvoForMembers(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"convo": self.convos["convos"][0]})

    def _chat_bsky_convo_sendMessage(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={"id": "3msgsent00001", "rev": "2222223aaaa09",
                  "sender": {"did": self.session["did"]},
                  "text": body["message"]["text"], "sentAt": "2026-03-01T12:01:00.000Z"},
        )  # fmt: skip

    def _com_atproto_identity_resolveHandle(self, request: httpx.Request) -> httpx.Response:
        did = self.handles.get(request.url.params["handle"])
        if did is None:
            return xrpc_error(400, "InvalidRequest", "Unable to resolve handle")
        return httpx.Response(200, json={"did": did})

    def _com_atproto_repo_getRecord(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        uri = f"at://{params['repo']}/{params['collection']}/{params['rkey']}"
        for entry in self.notifications:
            if entry["uri"] == uri:
                return httpx.Response(
                    200, json={"uri": uri, "cid": entry["cid"], "value": entry["record"]}
                )
        if uri in self.records:
            return httpx.Response(
                200, json={"uri": uri, "cid": "bafycreated", "value": self.records[uri]}
            )
        return xrpc_error(400, "RecordNotFound", f"Could not locate record: {uri}")

    def _com_atproto_repo_createRecord(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        uri = f"at://{body['repo']}/{body['collection']}/{body['rkey']}"
        if uri in self.records:
            return xrpc_error(400, "InvalidRequest", "Record already exists")
        self.records[uri] = body["record"]
        return httpx.Response(200, json={"uri": uri, "cid": "bafycreated"})
