"""Every reply posted exactly once on every web platform, whatever happens to the sender.

Real `inbox outbox run` processes on a real database send replies to a platform on
127.0.0.1 that creates each post and then, in some rounds, answers 5xx, never answers or
drops the connection; each sender is killed with SIGKILL at a random moment. A last sender
settles the rest. The platform itself is then asked: one reply per question, none lost.

The platforms are hand-made stand-ins (tests/support/loopback_*.py): no server of X,
Reddit or Mastodon can run here. Bluesky runs the same rounds against the real PDS
(tests/servers/test_bluesky_network.py), email against real Dovecot and SMTP servers
(tests/inbox/test_email_exactly_once.py).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import pytest

from inbox.service import InboxService
from tests.support.exactly_once import replies_waiting, send_through_chaos
from tests.support.keyring_backend import KEYRING_FILE_VARIABLE
from tests.support.loopback import Fault, LoopbackPlatform

pytestmark = pytest.mark.slow

PLATFORMS = {
    "mastodon": "tests.support.loopback_mastodon:LoopbackMastodon",
    "x": "tests.support.loopback_x:LoopbackX",
    "reddit": "tests.support.loopback_reddit:LoopbackReddit",
}
QUESTIONS = 4
ROUNDS = 6


@pytest.fixture(params=sorted(PLATFORMS))
def platform(request) -> Iterator[LoopbackPlatform]:
    module, name = PLATFORMS[request.param].split(":")
    with getattr(importlib.import_module(module), name)() as running:
        yield running


def test_every_reply_is_posted_once_through_kills_and_lost_answers(
    platform: LoopbackPlatform, database_url, tmp_path, monkeypatch
):
    keyring_file = str(tmp_path / "keyring.json")
    monkeypatch.setenv(KEYRING_FILE_VARIABLE, keyring_file)
    engine, questions, rows = replies_waiting(platform, database_url, QUESTIONS)
    alex = InboxService(engine, actor="alex")

    def set_fault(fault: Fault) -> None:
        platform.fault = fault

    chaos = send_through_chaos(
        database_url, engine, set_fault, rounds=ROUNDS, env={KEYRING_FILE_VARIABLE: keyring_file}
    )

    replies = {external_id: platform.replies_to(external_id) for external_id, _ in questions}
    assert sorted(len(texts) for texts in replies.values()) == [1] * QUESTIONS, (
        f"every question answered exactly once ({chaos}): {replies}"
    )
    sent = {alex.outbound(row).external_id for row in rows}
    assert None not in sent and len(sent) == QUESTIONS, "every row names the post it made"
    engine.dispose()
