"""Budget (issue 17): a customer's message shows in an open inbox within a second of the
platform having it, on every channel that pushes.

Everything runs on 127.0.0.1 in a fresh workspace (a SQLite file, a private config and
keyring in a temporary directory):

- the platforms: mastodon-mock (it streams: server-sent events), Dovecot with its SMTP
  front (IMAP IDLE), and `inbox webhooks serve` for a Facebook Page (Meta's signed
  webhook POSTs), where that command and the Facebook adapter exist;
- one real `inbox worker` process, polling and listening for every account;
- the real TUI (`tui.app.InboxApp`), headless in this process with Textual's `run_test`,
  as the lead, on the inbox list, with in-process sync off (the worker does it).

`--events` messages per channel are posted at random moments (seeded) over `--spread`
seconds: a mention of the brand on Mastodon (`streaming`), a mail delivered by SMTP
(`imap_idle`), a signed Messenger delivery (`webhook`). Each carries a unique marker; its
latency runs from the moment the platform had it (the POST answered, SMTP took the mail)
to the first frame Textual composed with that thread's row among the visible lines of
the list. Frames are observed by wrapping the app's `_display`.

The reference, in the same run: a second Mastodon account on the same instance whose
streaming API is unreachable (a relay hangs up on it), so it is only polled at the
platform's default interval (`polling`): what every message waited before.

    python bench/latency.py [--events 20] [--spread 60] [--seed 7]

Ends with `RESULT webhook_p95_ms=... streaming_p95_ms=... imap_idle_p95_ms=...`
(`n/a` for a channel that could not run here); budget 1,000 ms p95 each.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import random
import shutil
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "tests.support.keyring_backend.MemoryKeyring")

from tests.servers.mail import MailServers, start_mail_servers  # noqa: E402
from tests.servers.mastodon_mock import MastodonMock, start_mastodon_mock  # noqa: E402
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE  # noqa: E402
from tests.support.tcp_relay import TcpRelay  # noqa: E402

SIZE = (120, 40)
ACTOR = "lead"
BUDGET_MS = 1000
SETTLE_S = 90.0
"""How long after the last post the run waits for rows; the reference needs a poll interval."""
PAGE_ID = "111899832631525"
APP_SECRET = "bench-app-secret"
MAIL_PASSWORDS = {"support": "support-pass", "ana": "ana-pass"}


@dataclass
class Channel:
    """One way messages reach the inbox: how to post one, and what each post waited."""

    name: str
    post: Callable[[str], None]
    posted_at: dict[str, float] = field(default_factory=dict)
    seen_at: dict[str, float] = field(default_factory=dict)

    def latencies_ms(self) -> list[float]:
        return [
            (self.seen_at[marker] - posted) * 1000
            for marker, posted in self.posted_at.items()
            if marker in self.seen_at
        ]


def environment(folder: Path) -> dict[str, str]:
    """A private home, config and keyring for this process and the children."""
    home = folder / "home"
    home.mkdir()
    values = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "INBOX_CONFIG": str(home / "config.toml"),
        KEYRING_FILE_VARIABLE: str(folder / "keyring.json"),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    os.environ.update(values)
    return {**os.environ, **values}


def dev_user(mock: MastodonMock, username: str) -> str:
    """A mastodon-mock account and its token (the mock's shortcut)."""
    answer = httpx.post(f"{mock.base_url}/api/v1/_mock/dev_user", json={"username": username})
    answer.raise_for_status()
    return answer.json()["access_token"]


def mastodon_poster(mock: MastodonMock, token: str, brand: str) -> Callable[[str], None]:
    def post(marker: str) -> None:
        answer = httpx.post(
            f"{mock.base_url}/api/v1/statuses",
            data={"status": f"@{brand} is checkout down? {marker}"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        answer.raise_for_status()

    return post


def mail_poster(servers: MailServers) -> Callable[[str], None]:
    def post(marker: str) -> None:
        message = EmailMessage()
        message["From"] = servers.address("ana")
        message["To"] = servers.address("support")
        message["Subject"] = f"Order missing {marker}"
        message.set_content(f"My order never came. {marker}")
        with smtplib.SMTP("127.0.0.1", servers.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)

    return post


def webhook_poster(port: int) -> Callable[[str], None]:
    """A Messenger message delivered as Meta signs it (X-Hub-Signature-256 over the body)."""

    def post(marker: str) -> None:
        now_ms = int(time.time() * 1000)
        delivery = {
            "object": "page",
            "entry": [
                {
                    "id": PAGE_ID,
                    "time": now_ms,
                    "messaging": [
                        {
                            "sender": {"id": str(random.randrange(10**15, 10**16))},
                            "recipient": {"id": PAGE_ID},
                            "timestamp": now_ms,
                            "message": {"mid": f"m_{marker}", "text": f"Hello? {marker}"},
                        }
                    ],
                }
            ],
        }
        body = json.dumps(delivery).encode()
        signature = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        answer = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/meta",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": f"sha256={signature}",
            },
            timeout=10,
        )
        answer.raise_for_status()

    return post


def webhooks_available() -> bool:
    """Whether this version has `inbox webhooks serve` and a Facebook adapter."""
    from adapters.registry import platform_names

    try:
        import inbox.webhooks.server  # noqa: F401
    except ImportError:
        return False
    return "facebook" in platform_names()


def connect_accounts(
    database: str, mock: MastodonMock, servers: MailServers, polled_port: int, webhooks: bool
) -> None:
    """People, the accounts and their secrets in the keyring, as an admin would."""
    from inbox.core.credentials import CredentialStore
    from inbox.core.database import open_engine
    from inbox.service import InboxService

    engine = open_engine(f"sqlite:///{database}")
    bootstrap = InboxService(engine)
    bootstrap.add_agent("admin", "Admin", "admin")
    bootstrap.add_agent(ACTOR, "Lead", "lead")
    admin = InboxService(engine, actor="admin")
    credentials = CredentialStore()
    for brand, base_url in (
        ("brand", mock.base_url),
        ("polled", f"http://127.0.0.1:{polled_port}"),
    ):
        admin.add_account("mastodon", f"@{brand}", base_url=base_url)
        credentials.set("mastodon", f"@{brand}", {"access_token": dev_user(mock, brand)})
    address = servers.address("support")
    admin.add_account(
        "email",
        address,
        base_url=f"imap://127.0.0.1:{servers.imap_port}",
        settings={"smtp_url": f"smtp://127.0.0.1:{servers.smtp_port}"},
    )
    credentials.set("email", address, {"password": MAIL_PASSWORDS["support"]})
    if webhooks:
        from inbox.webhooks.app_secret import WebhookSecrets, store_secrets

        admin.add_account("facebook", "Brand Page", settings={"page_id": PAGE_ID})
        credentials.set(
            "facebook", "Brand Page", {"access_token": "page-token", "page_id": PAGE_ID}
        )
        store_secrets(credentials, WebhookSecrets(app_secret=APP_SECRET, verify_token="bench"))
    engine.dispose()


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=output)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def measure(database: str, channels: list[Channel], events: int, spread: float, seed: int):
    """Post the events on schedule while the TUI runs, noting when each row first shows."""
    from inbox.core.config import Config
    from inbox.core.database import open_engine
    from inbox.service import InboxService
    from tui.app import InboxApp

    engine = open_engine(f"sqlite:///{database}")
    app = InboxApp(InboxService(engine, actor=ACTOR), config=Config(), sync=False)
    pending: dict[str, Channel] = {}
    composed = app._display

    def on_display(screen, renderable) -> None:
        composed(screen, renderable)
        if not pending or type(app.screen).__name__ != "InboxScreen":
            return
        at = time.perf_counter()
        rows = app.screen.query_one("#threads").rows[: SIZE[1]]
        for row in rows:
            for marker in [marker for marker in pending if marker in row.preview]:
                pending.pop(marker).seen_at[marker] = at

    app._display = on_display
    rng = random.Random(seed)
    schedule = sorted(
        (rng.uniform(0, spread), channel, f"lat-{channel.name}-{number:03d}")
        for channel in channels
        for number in range(events)
    )

    async def post(channel: Channel, marker: str) -> None:
        await asyncio.to_thread(channel.post, marker)
        channel.posted_at[marker] = time.perf_counter()
        pending[marker] = channel

    async with app.run_test(size=SIZE):
        began = time.perf_counter()
        posts = []
        for offset, channel, marker in schedule:
            await asyncio.sleep(max(0.0, began + offset - time.perf_counter()))
            posts.append(asyncio.create_task(post(channel, marker)))
        await asyncio.gather(*posts)
        deadline = time.perf_counter() + SETTLE_S
        while pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
    engine.dispose()


def summary(channel: Channel) -> dict[str, float | int]:
    values = sorted(channel.latencies_ms())
    if not values:
        return {"n": 0, "missing": len(channel.posted_at)}
    p95 = values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]
    return {
        "n": len(values),
        "missing": len(channel.posted_at) - len(values),
        "p50_ms": statistics.median(values),
        "p95_ms": p95,
        "max_ms": values[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20, help="messages per channel")
    parser.add_argument("--spread", type=float, default=60.0, help="seconds to post them over")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="inbox-bench-latency-"))
    env = environment(folder)
    database = str(folder / "inbox.db")
    mock = start_mastodon_mock()
    servers = start_mail_servers(MAIL_PASSWORDS)
    processes: list[subprocess.Popen[bytes]] = []
    webhooks = webhooks_available()
    try:
        with TcpRelay(mock.port, refuse=b"GET /api/v1/streaming") as streamless:
            connect_accounts(database, mock, servers, streamless.port, webhooks)
            base = [sys.executable, "-m", "inbox.cli.main", "--db", database, "--as", "admin"]
            worker_log = folder / "worker.log"
            processes.append(start([*base, "worker", "--log-format", "text"], env, worker_log))
            channels = [
                Channel("streaming", mastodon_poster(mock, dev_user(mock, "carol"), "brand")),
                Channel("imap_idle", mail_poster(servers)),
                Channel("polling", mastodon_poster(mock, dev_user(mock, "dave"), "polled")),
            ]
            if webhooks:
                port = free_port()
                webhook_log = folder / "webhooks.log"
                serve = [*base, "webhooks", "serve", "--port", str(port), "--log-format", "text"]
                processes.append(start(serve, env, webhook_log))
                wait_for(lambda: _answers(f"http://127.0.0.1:{port}/health"), "the webhook server")
                channels.insert(0, Channel("webhook", webhook_poster(port)))
            wait_for(
                lambda: worker_log.read_text().count("its news arrives as it happens") >= 2,
                "the worker to listen to Mastodon and the mailbox",
            )
            asyncio.run(measure(database, channels, args.events, args.spread, args.seed))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        servers.stop()
        mock.stop()

    print(f"{args.events} events per channel over {args.spread:.0f} s, seed {args.seed}")
    results = {channel.name: summary(channel) for channel in channels}
    for name, figures in results.items():
        shown = " ".join(
            f"{key}={value:.0f}" if isinstance(value, float) else f"{key}={value}"
            for key, value in figures.items()
        )
        print(f"  {name:10} {shown}")
    if not webhooks:
        print("  webhook    not measured: no `inbox webhooks serve` or Facebook adapter here")
    shutil.rmtree(folder, ignore_errors=True)

    def p95(name: str) -> str:
        figures = results.get(name, {})
        if not figures.get("n") or figures.get("missing"):
            return "n/a"
        return f"{figures['p95_ms']:.0f}"

    polled = results.get("polling", {})
    if polled.get("n"):
        print(
            f"reference: polling only, at the default interval: p95 {polled['p95_ms']:.0f} ms "
            f"over the {polled['n']} that showed; {polled.get('missing', 0)} still waiting "
            "when the run ended"
        )
    print(
        f"RESULT webhook_p95_ms={p95('webhook')} streaming_p95_ms={p95('streaming')} "
        f"imap_idle_p95_ms={p95('imap_idle')}"
    )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
