"""`inbox webhooks serve`: the webhook app under uvicorn, until SIGTERM or SIGINT.

It listens on 127.0.0.1 by default: Meta delivers only over HTTPS with a valid certificate,
so a reverse proxy (Caddy, nginx) holds the certificate and forwards to it (README,
"Webhooks"; docs/deployment.md). A stop takes no new connections, lets the deliveries in
flight land and be answered for up to `SETTLE_SECONDS`, lands what is still waiting and
exits 0. Polling goes on beside it, in `inbox worker`: as backfill after a gap, and as the
fallback for whatever a webhook never brought.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING

import uvicorn

from inbox.core.errors import InboxError
from inbox.runtime import crisis_after_landing, http_client
from inbox.store.ingest import Store
from inbox.webhooks import DEFAULT_HOST, DEFAULT_MAX_BODY_BYTES, DEFAULT_PORT
from inbox.webhooks.app import META_PATH, webhook_app
from inbox.webhooks.deliveries import Deliveries
from inbox.webhooks.landing import Lander

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from starlette.applications import Starlette

    from inbox.core.config import Config
    from inbox.core.credentials import CredentialStore
    from inbox.webhooks.app_secret import WebhookSecrets

log = logging.getLogger(__name__)

SETTLE_SECONDS = 20.0
"""How long a stop waits for the deliveries in flight before it cancels them (unanswered,
so Meta delivers them again)."""

KEEP_ALIVE_SECONDS = 75
"""How long an idle connection stays open: longer than the reverse proxy keeps its own
(nginx: 60 s), so the proxy never sends a delivery on a connection this end is closing."""

MAX_CONNECTIONS = 1_000
"""Connections served at once; more are answered 503, and Meta delivers again."""


class CannotListen(InboxError):
    """The address to listen on is taken or not this machine's."""


class _Server(uvicorn.Server):
    """uvicorn, leaving the signals to `serve` (uvicorn's own re-raise them after a stop,
    which would end the process with the signal rather than 0)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(
    engine: Engine,
    config: Config,
    credentials: CredentialStore | None,
    secrets: WebhookSecrets,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> None:
    """Take Meta's deliveries on `host:port` until SIGTERM or SIGINT (a second one stops
    without waiting). Port 0 takes a free port; the `webhooks.listening` line names it."""
    listening = _listen(host, port)
    bound_port = listening.getsockname()[1]
    lander = Lander(
        Store(engine), after_landing=crisis_after_landing(engine, config.listening.commands)
    )
    async with http_client(config.sync) as client:
        deliveries = Deliveries(engine, credentials, lander, client)

        @contextlib.asynccontextmanager
        async def lifespan(_app: Starlette) -> AsyncIterator[None]:
            lander.start()
            log.info(
                "taking Meta's webhooks on http://%s:%d%s (behind an HTTPS reverse proxy)",
                host,
                bound_port,
                META_PATH,
                extra={"event": "webhooks.listening", "host": host, "port": bound_port},
            )
            try:
                yield
            finally:
                await lander.close()

        app = webhook_app(deliveries, secrets, max_body_bytes=max_body_bytes, lifespan=lifespan)
        server = _Server(
            uvicorn.Config(
                app,
                lifespan="on",
                log_config=None,
                access_log=False,
                server_header=False,
                limit_concurrency=MAX_CONNECTIONS,
                timeout_keep_alive=KEEP_ALIVE_SECONDS,
                timeout_graceful_shutdown=int(SETTLE_SECONDS),
            )
        )
        _stop_on_signals(server)
        await server.serve(sockets=[listening])
    log.info("the webhook server stopped", extra={"event": "webhooks.stopped"})


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to `host:port`, or CannotListen saying why not."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, protocol, _, address = infos[0]
        listening = socket.socket(family, kind, protocol)
    except OSError as error:
        raise CannotListen(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(socket.SOMAXCONN)
    except OSError as error:
        listening.close()
        raise CannotListen(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return listening


def _stop_on_signals(server: uvicorn.Server) -> None:
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        if server.should_exit:
            server.force_exit = True
            return
        server.should_exit = True
        log.info(
            "stopping (%s): no new connections; deliveries in flight get %.0f s",
            signal.Signals(signum).name,
            SETTLE_SECONDS,
            extra={"event": "webhooks.stopping"},
        )

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop, signum)
