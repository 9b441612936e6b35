"""Replaying recorded HTTP interactions (vcrpy YAML and JSON cassettes) through httpx.MockTransport.

The recordings stay where they are (../shared/recordings); tests pick interactions out
of them by method and path, and route the adapter's requests to them. Every request the
adapter makes is kept, so tests assert on paths, parameters and headers too.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.conftest import RECORDINGS, skip_or_fail

_DROPPED_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})


@dataclasses.dataclass(frozen=True)
class Interaction:
    """One recorded request and the answer the real service gave."""

    method: str
    url: httpx.URL
    request_body: str | None
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def response(self) -> httpx.Response:
        """The recorded answer as a fresh httpx response (gzip bodies stay encoded)."""
        return httpx.Response(self.status, headers=self.headers, content=self.body)

    def json(self) -> Any:
        """The recorded answer's body, decoded."""
        return json.loads(self.response().read())


def recording(platform: str, name: str) -> list[Interaction]:
    """The interactions of one recording; skips (fails under CI) when recordings are absent."""
    path = RECORDINGS / platform / name
    if not path.exists():
        skip_or_fail(
            f"recording {path} is not there (the shared recordings sit beside the repository)"
        )
    return _load(path)


def _load(path: Path) -> list[Interaction]:
    text = path.read_text(encoding="utf-8")
    cassette = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    interactions = []
    for entry in cassette["interactions"]:
        request, response = entry["request"], entry["response"]
        body = (
            response["body"]["string"] if isinstance(response["body"], dict) else response["body"]
        )
        if isinstance(body, str):
            body = body.encode("utf-8")
        headers = [
            (name, value)
            for name, values in response["headers"].items()
            if name.lower() not in _DROPPED_HEADERS
            for value in (values if isinstance(values, list) else [values])
        ]
        interactions.append(
            Interaction(
                method=request["method"],
                url=httpx.URL(request["uri"]),
                request_body=request.get("body"),
                status=response["status"]["code"],
                headers=headers,
                body=body or b"",
            )
        )
    return interactions


def pick(interactions: list[Interaction], method: str, path_part: str, nth: int = 0) -> Interaction:
    """The `nth` recorded interaction whose method matches and whose path contains `path_part`."""
    found = [i for i in interactions if i.method == method and path_part in i.url.path]
    if len(found) <= nth:
        raise LookupError(f"no {method} {path_part} #{nth} in the recording")
    return found[nth]


class Replay:
    """A MockTransport handler answering requests from routes, keeping each request it saw.

    A route is (method, path predicate or substring, answer); the answer is an
    `Interaction`, a list of them served in turn, or a function of the request.
    """

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._routes: list[tuple[str, Callable[[str], bool], Any]] = []

    def route(self, method: str, path: str | Callable[[str], bool], answer: Any) -> Replay:
        """Answer `method` requests on `path` with `answer`; the first matching route wins."""
        matches = path if callable(path) else (lambda seen, part=path: part in seen)
        queue = list(answer) if isinstance(answer, list) else answer
        self._routes.append((method, matches, queue))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for method, matches, answer in self._routes:
            if method == request.method and matches(request.url.path):
                if isinstance(answer, list):
                    served = answer.pop(0) if len(answer) > 1 else answer[0]
                    return served.response()
                if isinstance(answer, Interaction):
                    return answer.response()
                return answer(request)
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    def client(self) -> httpx.AsyncClient:
        """An AsyncClient whose transport is this replay."""
        return httpx.AsyncClient(transport=httpx.MockTransport(self))

    def sent(self, method: str, path_part: str) -> list[httpx.Request]:
        """The requests made with `method` whose path contains `path_part`."""
        return [r for r in self.requests if r.method == method and path_part in r.url.path]
