"""A real `inbox worker` killed with SIGKILL in the middle of mailing a statement to the
subscribers, and a new one: every subscriber has exactly one mail, counted at Dovecot.

The SMTP front on 127.0.0.1 (`tests/servers/mail.py`) is made to deliver the fourth mail
and then keep its answer back, so the worker dies with a mail delivered but not recorded
as sent: the new worker must find it in the brand's mailbox (its Message-ID) rather than
send it again.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter

import pytest
from sqlalchemy import select

from inbox.core.models import Outbound
from inbox.service import InboxService
from tests.adapters.test_email_updates import inbox_of, subscribed_workspace
from tests.servers.mail import mail_servers_for_a_test
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE
from tests.support.polling import wait_until
from tests.support.worker_processes import Machine

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.postgres]

NAMES = tuple(f"reader{number}" for number in range(8))
PASSWORDS = {"support": "support-pass", **{name: f"{name}-pass" for name in NAMES}}
HELD_AT = 4
"""The mail whose answer the SMTP front keeps back."""


@pytest.fixture
def servers():
    """Dovecot and its SMTP front, with the support mailbox and one per subscriber."""
    with mail_servers_for_a_test(PASSWORDS) as running:
        yield running


def _hold_after_delivering(handler, number: int) -> tuple[threading.Event, threading.Event]:
    """Make the SMTP front deliver mail `number`, then keep its answer until released."""
    original = handler.handle_DATA
    delivered, release = threading.Event(), threading.Event()
    seen = [0]

    async def handle_data(server, session, envelope):
        import asyncio

        seen[0] += 1
        answer = await original(server, session, envelope)
        if seen[0] == number:
            delivered.set()
            await asyncio.to_thread(release.wait, 120)
        return answer

    handler.handle_DATA = handle_data
    return delivered, release


def _statuses(engine) -> Counter[str]:
    outbound = Outbound.__table__
    with engine.connect() as connection:
        return Counter(
            connection.execute(
                select(outbound.c.status).where(outbound.c.kind == "email_update")
            ).scalars()
        )


def test_a_worker_killed_mid_mailing_and_a_new_one_mail_each_subscriber_once(
    servers, database_url, tmp_path, monkeypatch
):
    keyring = tmp_path / "keyring.json"
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, str(keyring))
    engine, lead, incident_id = subscribed_workspace(servers, database_url, NAMES)
    InboxService(engine).add_agent("alex", "Alex Kim", "agent")
    delivered, release = _hold_after_delivering(servers.smtp_controller.handler, HELD_AT)
    lead.send_statement(incident_id, account_ids=[])
    assert _statuses(engine) == Counter({"queued": len(NAMES)})

    machine = Machine(keyring, database_url)
    killed = machine.start_worker()
    try:
        wait_until(delivered.is_set, 60, "the worker to be mid-send of the fourth mail")
        assert killed.stop(signal.SIGKILL) == -signal.SIGKILL
    finally:
        release.set()
    assert _statuses(engine)["sent"] < len(NAMES), "killed before the mailing was done"

    restarted = machine.start_worker()
    try:
        wait_until(
            lambda: _statuses(engine) == Counter({"sent": len(NAMES)}),
            90,
            "the new worker to settle every mail",
        )
    finally:
        assert restarted.stop() == 0

    for name in NAMES:
        mails = inbox_of(servers, name)
        assert len(mails) == 1, f"{name} got {len(mails)} mails"
        assert mails[0]["List-Unsubscribe"] is not None
    copies = Counter(str(mail["Message-ID"]) for mail in inbox_of(servers, "support"))
    assert len(copies) == len(NAMES) and set(copies.values()) == {1}
    engine.dispose()
