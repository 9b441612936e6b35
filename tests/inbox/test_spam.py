"""Spam, blocked authors and hidden comments.

A thread marked spam closes, leaves every view but Spam and stops counting in the SLA and
response-time stats; a blocked author's new messages close their thread as spam as they
land; a comment is hidden on its platform through the outbox, where the platform can.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import httpx
import pytest

from adapters.base import AccountRef, Kind
from adapters.x.adapter import XAdapter
from inbox.cli.main import main
from inbox.core.errors import InvalidInput, PermissionDenied
from inbox.outbox.sender import Sender
from inbox.runtime import adapter_factory
from inbox.service import InboxService
from inbox.stats.periods import parse_period
from inbox.store.ingest import Store
from inbox.triage.lists import ThreadFilter, View
from tests.adapters.harness_x import CREDENTIAL, NOW
from tests.support.cassettes import Replay, pick, recording
from tests.support.items import add_account, item

QUIET_DEMO = {"send_latency_scale": 0, "send_failure_rate": 0}


class Inbox:
    """A lead (casey), two agents (alex, blake), a supervisor (drew), demo X and Mastodon."""

    def __init__(self, engine, clock) -> None:
        self.engine, self.clock = engine, clock
        setup = InboxService(engine, clock=clock)
        for handle, role in (("casey", "lead"), ("alex", "agent"), ("blake", "agent")):
            setup.add_agent(handle, handle.title(), role)
        setup.add_agent("drew", "Drew", "supervisor")
        self.x = add_account(engine, "demo-x", "@brand", **QUIET_DEMO)
        self.mastodon = add_account(engine, "demo-mastodon", "@brand", **QUIET_DEMO)
        self.count = 0

    def person(self, handle: str) -> InboxService:
        return InboxService(self.engine, actor=handle, clock=self.clock)

    def arrives(
        self,
        *,
        author: str = "carol",
        key: str | None = None,
        kind: Kind = Kind.COMMENT,
        account: AccountRef | None = None,
    ) -> int:
        self.count += 1
        message = replace(
            item(f"in-{self.count}", key or f"t{self.count}", kind=kind, author=author),
            created_at=self.clock(),
        )
        report = Store(self.engine, self.clock).ingest(
            account or self.x, "mentions", [message], None
        )
        return report.thread_ids[0]

    def listed(self, view: View) -> list[int]:
        return [row.id for row in self.person("casey").list_threads(ThreadFilter(view=view))]

    def send(self) -> None:
        asyncio.run(Sender(self.engine, adapter_factory(None), clock=self.clock).send_once(None))


@pytest.fixture
def inbox(engine, clock) -> Inbox:
    return Inbox(engine, clock)


@pytest.mark.postgres
def test_spam_leaves_the_queue_and_the_sla_and_comes_back_when_unmarked(inbox):
    lead = inbox.person("casey")
    spam = inbox.arrives(author="bot")
    real = inbox.arrives(author="carol")
    inbox.clock.advance(hours=6)

    result = lead.mark_spam([spam, spam])

    assert result.changed == (spam,)
    thread = lead.thread(spam)
    assert (thread.status, thread.due_at, thread.spam_at) == ("closed", None, inbox.clock())
    assert inbox.listed(View.OPEN) == [real]
    assert inbox.listed(View.SPAM) == [spam]
    assert inbox.listed(View.CLOSED) == [], "spam is not among the closed threads"
    assert lead.count_threads(ThreadFilter(view=View.SPAM)) == 1
    stats = lead.stats(parse_period("1d", None, inbox.clock()))
    assert stats.figures.sla.breached == 1, "only the real thread breached its 4 hours"
    assert stats.figures.inbound == 2, "the volume still counts what came in"
    assert lead.mark_spam([spam]).refused == {spam: "already marked spam"}
    assert "casey marked it as spam" in [entry.text for entry in lead.history(spam)]

    lead.unmark_spam([spam])

    assert lead.thread(spam).status == "open" and lead.thread(spam).due_at is not None
    assert sorted(inbox.listed(View.OPEN)) == sorted([spam, real])
    assert lead.unmark_spam([real]).refused == {real: "not marked spam"}


def test_agents_mark_their_own_threads_and_supervisors_none(inbox):
    blakes = inbox.arrives()
    inbox.person("blake").take([blakes])

    refused = inbox.person("alex").mark_spam([blakes])

    assert refused.refused == {
        blakes: "assigned to blake; agents change their own and unassigned threads"
    }
    with pytest.raises(PermissionDenied, match="supervisors read threads"):
        inbox.person("drew").mark_spam([blakes])


@pytest.mark.postgres
def test_a_blocked_authors_new_messages_close_as_spam_until_unblocked(inbox):
    alex = inbox.person("alex")
    first = inbox.arrives(author="troll", key="troll-1")
    other = inbox.arrives(author="carol")

    blocked = alex.block_authors([first])

    assert blocked.changed == (first,)
    assert alex.thread(first).spam_at is not None
    again = inbox.arrives(author="troll", key="troll-1")
    fresh = inbox.arrives(author="troll", key="troll-2")
    assert again == first and alex.thread(first).status == "closed", "no reopening"
    assert alex.thread(fresh).status == "closed" and alex.thread(fresh).due_at is None
    assert sorted(inbox.listed(View.SPAM)) == sorted([first, fresh])
    assert inbox.listed(View.OPEN) == [other]
    assert "closed as spam: @troll is blocked" in [entry.text for entry in alex.history(fresh)]
    assert alex.block_authors([fresh]).refused == {fresh: "@troll is already blocked"}

    assert alex.unblock_authors([fresh]).changed == (fresh,)
    later = inbox.arrives(author="troll", key="troll-3")
    assert alex.thread(later).status == "new"
    assert alex.thread(fresh).status == "closed", "unblocking leaves old threads as they are"


@pytest.mark.postgres
def test_a_new_message_on_a_spam_thread_keeps_it_closed(inbox):
    lead = inbox.person("casey")
    thread_id = inbox.arrives(key="noise")
    lead.mark_spam([thread_id])

    inbox.arrives(key="noise")

    assert lead.thread(thread_id).status == "closed"
    assert inbox.listed(View.OPEN) == []


# -- hiding comments -------------------------------------------------------------------


@pytest.mark.postgres
def test_a_comment_is_hidden_through_the_outbox_and_shown_again(inbox):
    alex = inbox.person("alex")
    thread_id = inbox.arrives(author="troll")
    [comment] = alex.thread_items(thread_id)

    queued = alex.hide_message(comment.id)

    assert (queued.kind, queued.status) == ("hide", "queued")
    assert alex.thread_items(thread_id)[0].hidden_at is None, "not before the platform says so"
    with pytest.raises(InvalidInput, match="already on its way"):
        alex.hide_message(comment.id)
    inbox.send()
    assert alex.thread_items(thread_id)[0].hidden_at == inbox.clock()
    assert alex.outbound(queued.id).status == "sent"
    assert "a comment was hidden on the platform" in [e.text for e in alex.history(thread_id)]
    with pytest.raises(InvalidInput, match="already hidden"):
        alex.hide_message(comment.id)

    alex.hide_message(comment.id, hidden=False)
    inbox.send()
    assert alex.thread_items(thread_id)[0].hidden_at is None


def test_only_customers_comments_on_platforms_that_allow_it_are_hidden(inbox):
    alex = inbox.person("alex")
    on_mastodon = inbox.arrives(account=inbox.mastodon)
    a_dm = inbox.arrives(kind=Kind.DM)
    blakes = inbox.arrives()
    inbox.person("blake").take([blakes])

    def first_message(thread_id: int) -> int:
        return alex.thread_items(thread_id)[0].id

    with pytest.raises(InvalidInput, match="Mastodon \\(demo\\) does not let the inbox hide"):
        alex.hide_message(first_message(on_mastodon))
    with pytest.raises(InvalidInput, match="a direct message cannot be hidden"):
        alex.hide_message(first_message(a_dm))
    with pytest.raises(PermissionDenied, match="assigned to blake"):
        alex.hide_message(first_message(blakes))
    with pytest.raises(PermissionDenied, match="supervisors read threads"):
        inbox.person("drew").hide_message(first_message(blakes))


async def test_x_hides_and_shows_a_reply_as_recorded():
    recorded = recording("x", "test_client_hide_and_unhide_reply.yaml")
    replay = Replay().route(
        "PUT", "/hidden", [pick(recorded, "PUT", "/hidden"), pick(recorded, "PUT", "/hidden", 1)]
    )
    account = AccountRef(
        id=1, platform="x", handle="@b", settings={"api_base": "https://api.twitter.com"}
    )
    adapter = XAdapter(account, replay.client(), CREDENTIAL, clock=lambda: NOW)

    await adapter.hide("1344794616005066752")
    await adapter.hide("1344794616005066752", hidden=False)

    assert [request.url.path for request in replay.requests] == [
        "/2/tweets/1344794616005066752/hidden"
    ] * 2
    assert [json.loads(request.content) for request in replay.requests] == [
        {"hidden": True},
        {"hidden": False},
    ]


async def test_x_refuses_an_id_that_is_no_post_before_asking():
    account = AccountRef(id=1, platform="x", handle="@b", settings={"api_base": "https://x.test"})
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    adapter = XAdapter(account, client, CREDENTIAL, clock=lambda: NOW)

    from adapters.base import PayloadInvalid

    with pytest.raises(PayloadInvalid, match="is not an X post id"):
        await adapter.hide("../users/me")


# -- from the shell ---------------------------------------------------------------------


def run(capsys, *arguments: str) -> tuple[int, str, str]:
    status = main(list(arguments))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_spam_block_and_hide_from_the_shell(inbox, capsys, database_url):
    db = database_url
    spam, troll = inbox.arrives(author="bot"), inbox.arrives(author="troll")

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "threads", "spam", str(spam))
    assert (status, out.strip()) == (0, f"marked spam: {spam}")
    status, out, _ = run(capsys, "--db", db, "threads", "list", "--view", "spam")
    assert status == 0 and f"\n{spam} " in "\n" + out.split("\n", 1)[1]
    status, _, err = run(capsys, "--db", db, "--as", "alex", "threads", "spam", str(spam))
    assert status == 1 and f"thread {spam} not changed: already marked spam" in err
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "threads", "unspam", str(spam))
    assert (status, out.strip()) == (0, f"no longer spam: {spam}")

    status, out, _ = run(capsys, "--db", db, "--as", "alex", "threads", "block", str(troll))
    assert (status, out.strip()) == (0, f"blocked the author and marked spam: {troll}")
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "threads", "unblock", str(troll))
    assert (status, out.strip()) == (0, f"unblocked the author of: {troll}")

    message = inbox.person("alex").thread_items(spam)[0].id
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "threads", "hide", str(message))
    assert status == 0 and out.startswith(f"queued hiding message {message} on demo-x")
    inbox.send()
    status, out, _ = run(capsys, "--db", db, "threads", "show", str(spam))
    assert f"@bot · message {message} · hidden on the platform:" in out
    status, _, err = run(capsys, "--db", db, "--as", "drew", "threads", "hide", str(message))
    assert status == 4 and "supervisors read threads" in err
