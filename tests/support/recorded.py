"""Replaying recorded HTTP interactions (R `vcr` or vcrpy YAML cassettes) through httpx.

The recordings in ../shared/recordings are read in place. The server answers each request
with the first unused interaction for the same method and path (the recorded query string
is the recording client's, not ours, so it is not matched), and keeps every request it got
so tests can assert on what the adapter asked for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

_DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


@dataclass(frozen=True)
class Interaction:
    """One recorded request and the answer it got."""

    method: str
    path: str
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        """The recorded answer body as JSON."""
        return json.loads(self.body)


def load(path: Path) -> list[Interaction]:
    """The interactions of one cassette file."""
    cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
    found = []
    for entry in cassette.get("http_interactions") or cassette.get("interactions") or []:
        request, response = entry["request"], entry["response"]
        status = response["status"]
        body = response.get("body", {}).get("string", "")
        found.append(
            Interaction(
                method=request["method"].upper(),
                path=httpx.URL(request["uri"]).path,
                status=status if isinstance(status, int) else int(status["code"]),
                headers={
                    str(name): str(value[0] if isinstance(value, list) else value)
                    for name, value in (response.get("headers") or {}).items()
                    if str(name).lower() not in _DROPPED_HEADERS
                },
                body=body if isinstance(body, str) else body.decode("utf-8"),
            )
        )
    return found


@dataclass
class ReplayServer:
    """Serves recorded interactions; `patch` may rewrite a body (e.g. to restore blanked tokens)."""

    interactions: list[Interaction]
    extra: dict[tuple[str, str], Callable[[httpx.Request], httpx.Response]] = field(
        default_factory=dict
    )
    patch: Callable[[Interaction, Any], Any] | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    @classmethod
    def of(cls, *paths: Path, **options: Any) -> ReplayServer:
        """A server for the interactions of several cassettes, in order."""
        return cls([interaction for path in paths for interaction in load(path)], **options)

    @property
    def transport(self) -> httpx.MockTransport:
        """The transport to build an AsyncClient with."""
        return httpx.MockTransport(self.handle)

    def calls(self, path_suffix: str) -> list[httpx.Request]:
        """The requests whose path ends with `path_suffix`."""
        return [request for request in self.requests if request.url.path.endswith(path_suffix)]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for index, interaction in enumerate(self.interactions):
            if interaction.method == request.method and interaction.path == request.url.path:
                del self.interactions[index]
                body: Any = interaction.body
                if self.patch is not None:
                    body = json.dumps(self.patch(interaction, interaction.json()))
                return httpx.Response(
                    interaction.status, headers=interaction.headers, content=body.encode()
                )
        extra = self.extra.get((request.method, request.url.path))
        if extra is not None:
            return extra(request)
        raise AssertionError(f"nothing recorded for {request.method} {request.url.path}")
