"""`inbox worker`: poll, send, publish and listen for the accounts this machine holds."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from inbox.cli.main import Context

_DESCRIPTION = (
    "The one long-running process a team runs next to its database: it polls every account "
    "whose secret this machine's keyring holds, sends the outbox, publishes scheduled posts "
    "and runs the listening rules. Open terminals see its heartbeat and leave the polling "
    "and sending to it. Several workers on several machines share the accounts. One line "
    "per event on stderr (JSON when stderr is not a terminal). SIGTERM or SIGINT stops it "
    "cleanly: no new work, sends in flight settle, leases released. docs/deployment.md "
    "shows a systemd unit and a container file."
)


def cmd_worker(context: Context) -> int:
    """Run the worker until SIGTERM or SIGINT; 0 after a clean stop."""
    import asyncio
    import signal
    from datetime import timedelta

    from inbox.cli import exit_codes
    from inbox.core.errors import PermissionDenied
    from inbox.worker import log_lines
    from inbox.worker.process import InboxWorker, RememberingCredentials

    options = context.options
    engine = context.engine()
    person = context.service(engine, identity_required=False).connected_as_person()
    if person is not None:
        raise PermissionDenied(
            f"the worker stores what arrives from the platforms, which {person}'s own login "
            "may not; connect it as the database's owner or a login in the inbox_worker "
            "group (docs/deployment.md)"
        )
    redactor = log_lines.Redactor()
    installed = log_lines.install(options.log_format, redactor)
    try:
        worker = InboxWorker(
            engine,
            context.config,
            RememberingCredentials(redactor),
            concurrency=options.concurrency,
            claim_ttl=timedelta(seconds=options.claim_seconds),
            heartbeat=timedelta(seconds=options.heartbeat_seconds),
            settle_seconds=options.settle_seconds,
        )

        async def run() -> bool:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            return await worker.run(stop)

        healthy = asyncio.run(run())
    finally:
        installed.restore()
        engine.dispose()
    return exit_codes.OK if healthy else exit_codes.FAILED


def register(commands: Any) -> None:
    """Add `inbox worker`."""
    worker = commands.add_parser(
        "worker",
        help="poll, send and publish for the team until stopped",
        description=_DESCRIPTION,
    )
    worker.add_argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="outgoing messages sent at a time (default: 4)",
    )
    worker.add_argument(
        "--log-format",
        choices=("auto", "json", "text"),
        default="auto",
        help="json: one JSON object per line; text: short lines for people; auto (the "
        "default): text on a terminal, JSON otherwise",
    )
    worker.add_argument(
        "--claim-seconds",
        type=float,
        default=300,
        metavar="S",
        help="how long a send may take before another sender looks it up (default: 300)",
    )
    worker.add_argument(
        "--settle-seconds",
        type=float,
        default=20,
        metavar="S",
        help="how long a stop waits for sends in flight (default: 20)",
    )
    worker.add_argument("--heartbeat-seconds", type=float, default=10, help=argparse.SUPPRESS)
    worker.set_defaults(handler=cmd_worker)
