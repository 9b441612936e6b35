"""The outbox in one process: rendering and refusals, sending, retries, approval, campaigns."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert, select, update

from adapters.base import (
    Adapter,
    AuthExpired,
    Direction,
    FetchResult,
    Kind,
    NotReached,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    RateLimited,
    SentRef,
)
from canned_responses.library import STARTER_DIRECTORY
from inbox.core.errors import InvalidInput, PermissionDenied
from inbox.core.models import Event, Incident, Thread
from inbox.outbox.problems import ProblemCode, SendProblem
from inbox.outbox.sender import Sender
from inbox.runtime import adapter_factory
from inbox.service import InboxService
from inbox.store.ingest import Store
from tests.support.items import add_account, item

PEOPLE = (
    ("alex", "Alex Kim", "agent"),
    ("blake", "Blake Okafor", "agent"),
    ("casey", "Casey Morgan", "lead"),
    ("drew", "Drew Patel", "supervisor"),
)
QUIET_DEMO = {"send_latency_scale": 0, "send_failure_rate": 0}


@dataclass
class Workspace:
    """A database with people and demo accounts; threads are added per test."""

    engine: object
    clock: object
    accounts: dict[str, object] = field(default_factory=dict)

    def service(self, handle: str) -> InboxService:
        return InboxService(self.engine, actor=handle, clock=self.clock)

    def thread(
        self,
        platform: str = "demo-x",
        *,
        kind: Kind = Kind.MENTION,
        minutes: float = 0,
        text: str = "hello?",
        author: str = "carol",
        **settings,
    ) -> int:
        account = self.accounts.get(platform)
        if account is None:
            account = self.accounts[platform] = add_account(
                self.engine, platform, f"brand-{platform}", **{**QUIET_DEMO, **settings}
            )
        with self.engine.connect() as connection:
            key = f"{platform}-{len(connection.execute(select(Thread.id)).all())}"
        report = Store(self.engine, self.clock).ingest(
            account,
            "mentions",
            [item(f"in-{key}", key, kind=kind, minutes=minutes, text=text, author=author)],
            None,
        )
        return report.thread_ids[0]

    def sender(self, factory=None, **options) -> Sender:
        return Sender(
            self.engine,
            factory or adapter_factory(None),
            clock=self.clock,
            **options,
        )

    def send(self, factory=None, **options):
        return asyncio.run(self.sender(factory, **options).send_once(None))

    def event_types(self) -> list[str]:
        table = Event.__table__
        with self.engine.connect() as connection:
            return (
                connection.execute(
                    select(table.c.type).where(table.c.type.like("outbound.%")).order_by(table.c.id)
                )
                .scalars()
                .all()
            )


@pytest.fixture
def workspace(engine, clock) -> Workspace:
    setup = InboxService(engine, clock=clock)
    for handle, name, role in PEOPLE:
        setup.add_agent(handle, name, role)
    InboxService(engine, actor="casey", clock=clock).import_canned(STARTER_DIRECTORY)
    return Workspace(engine, clock)


def canned(service: InboxService, shortcode: str) -> int:
    return service.canned_response(shortcode).id


# -- a platform that does what the test says --------------------------------------------


@dataclass
class FakePlatform:
    """What the hand-made fake adapters below post to, and what each send does next."""

    script: list[object] = field(default_factory=list)
    posts: dict[str, SentRef] = field(default_factory=dict)
    sends: Counter[str] = field(default_factory=Counter)
    lookups: int = 0


class BlindFakeAdapter(Adapter):
    """A hand-made fake platform that cannot tell whether an interrupted send was posted."""

    platform = "demo-x"
    display_name = "Fake"
    streams = ()
    kinds = frozenset({Kind.MENTION, Kind.DM, Kind.COMMENT})
    text_limit = 280

    def __init__(self, account, client, fake: FakePlatform) -> None:
        super().__init__(account, client)
        self.fake = fake

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        return FetchResult(items=(), next_cursor=cursor)

    async def send(self, request: OutboundRequest) -> SentRef:
        self.fake.sends[request.idempotency_key] += 1
        step = self.fake.script.pop(0) if self.fake.script else "ok"
        if isinstance(step, BaseException):
            raise step
        posted = self.fake.posts.setdefault(
            request.idempotency_key, SentRef(external_id=f"fake-{len(self.fake.posts) + 1}")
        )
        if step == "lost":
            raise PlatformUnavailable("the connection dropped after the post was made")
        return posted


class FakeAdapter(BlindFakeAdapter):
    """A hand-made fake platform that can look up what an earlier send posted."""

    finds_sent = frozenset(Kind)

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        self.fake.lookups += 1
        return self.fake.posts.get(request.idempotency_key)


def fake_factory(fake: FakePlatform, adapter_class=FakeAdapter):
    return lambda account, client: adapter_class(account, client, fake)


# -- rendering and refusals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "settings", "too_long", "fits", "message"),
    [
        (
            "demo-x",
            {},
            "é" * 281,
            "é" * 280,
            "Too long for X (demo) by 1 weighted characters (281 of 280)",
        ),
        (
            "demo-x",
            {},
            "界" * 141,
            "界" * 140,
            "Too long for X (demo) by 2 weighted characters (282 of 280)",
        ),
        (
            "demo-bluesky",
            {},
            "👍🏽" * 301,
            "👍🏽" * 300,
            "Too long for Bluesky (demo) by 1 characters (graphemes) (301 of 300)",
        ),
        (
            "demo-mastodon",
            {},
            "a" * 510,
            "a" * 500,
            "Too long for Mastodon (demo) by 10 characters (510 of 500)",
        ),
        (
            "demo-mastodon",
            {"text_limit": 1000},
            "a" * 1003,
            "a" * 1000,
            "Too long for Mastodon (demo) by 3 characters (1003 of 1000)",
        ),
        (
            "demo-reddit",
            {},
            "a" * 10_050,
            "a" * 10_000,
            "Too long for Reddit (demo) by 50 characters",
        ),
        (
            "demo-facebook",
            {},
            "a" * 8_001,
            "a" * 8_000,
            "Too long for Facebook (demo) by 1 characters",
        ),
    ],
)
def test_a_reply_that_does_not_fit_its_channel_is_refused_never_cut(
    workspace, platform, settings, too_long, fits, message
):
    thread_id = workspace.thread(platform, **settings)
    alex = workspace.service("alex")

    with pytest.raises(InvalidInput) as refused:
        alex.queue_reply(thread_id, too_long)
    assert message in str(refused.value)
    assert alex.outbound_for_thread(thread_id) == []

    assert alex.queue_reply(thread_id, fits).rendered_text == fits


def test_email_takes_any_length(workspace):
    thread_id = workspace.thread("demo-email", kind=Kind.DM)
    assert workspace.service("alex").queue_reply(thread_id, "a" * 50_000).status == "queued"


def test_a_prepared_answer_uses_the_channels_variant_with_its_variables_filled(workspace):
    alex = workspace.service("alex")
    on_x = workspace.thread("demo-x", author="dana")
    on_mastodon = workspace.thread("demo-mastodon", author="dana")

    short = alex.preview_reply(on_x, canned_response_id=canned(alex, "refund"))
    full = alex.preview_reply(on_mastodon, canned_response_id=canned(alex, "refund"))

    assert short.rendered.variant == "x" and short.rendered.text.startswith(
        "Sorry this didn't work out, Dana."
    )
    assert full.rendered.variant is None and "– Alex Kim" in full.rendered.text
    assert short.problems == () and full.problems == ()


def test_variables_without_a_value_are_refused_by_name(workspace):
    alex = workspace.service("alex")
    thread_id = workspace.thread("demo-mastodon")

    draft = alex.preview_reply(thread_id, canned_response_id=canned(alex, "holding-statement"))
    assert draft.has(ProblemCode.UNFILLED_VARIABLE)
    assert any("{incident.title} has no value" in problem for problem in draft.problem_texts())
    with pytest.raises(InvalidInput, match=r"\{incident.status_url\} has no value"):
        alex.queue_reply(thread_id, "Status: {incident.status_url}")


def test_messenger_replies_are_refused_outside_the_24_hour_window(workspace, clock):
    alex = workspace.service("alex")
    private = workspace.thread("demo-facebook", kind=Kind.DM)
    public = workspace.thread("demo-facebook", kind=Kind.COMMENT)
    clock.advance(hours=30)

    assert alex.preview_reply(private, "Still there?").problems == (
        SendProblem(
            ProblemCode.REPLY_WINDOW_CLOSED,
            "Facebook (demo) allows private replies only within 24 h of the customer's last "
            "message, and that was 31 h ago.",
        ),
    )
    assert alex.preview_reply(public, "Still there?").problems == ()


def test_the_composer_is_told_when_the_thread_changed_or_someone_else_is_answering(workspace):
    alex, blake = workspace.service("alex"), workspace.service("blake")
    thread_id = workspace.thread("demo-x")
    seen = 1
    blake.queue_reply(thread_id, "On it!")

    draft = alex.preview_reply(thread_id, "Looking into it", seen_version=seen)
    assert draft.problems == (
        SendProblem(
            ProblemCode.ANOTHER_REPLY_ON_ITS_WAY,
            "blake is already answering this thread (a reply is on its way).",
        ),
    )

    Store(workspace.engine, workspace.clock).ingest(
        workspace.accounts["demo-x"], "mentions", [item("later", "demo-x-0", minutes=5)], None
    )
    changed = alex.preview_reply(thread_id, "Hi", seen_version=seen)
    assert changed.has(ProblemCode.THREAD_CHANGED)
    assert any("changed since you opened it" in problem for problem in changed.problem_texts())


def test_a_colleagues_answer_after_the_seen_version_is_a_thread_changed_problem(workspace):
    alex = workspace.service("alex")
    thread_id = workspace.thread("demo-x")
    seen = alex.preview_reply(thread_id, "").target.thread_version
    Store(workspace.engine, workspace.clock).ingest(
        workspace.accounts["demo-x"],
        "mentions",
        [item("answered", "demo-x-0", minutes=1, direction=Direction.OUT, author="brand")],
        None,
    )

    draft = alex.preview_reply(thread_id, "Looking into it", seen_version=seen)

    assert [problem.code for problem in draft.problems] == [ProblemCode.THREAD_CHANGED]
    assert alex.preview_reply(thread_id, "Looking into it").sendable


# -- sending ----------------------------------------------------------------------------


def test_a_sent_reply_appears_in_its_thread_by_its_author_and_sets_the_first_response(workspace):
    alex = workspace.service("alex")
    thread_id = workspace.thread("demo-x")
    row = alex.queue_reply(thread_id, "Thanks {author.name|there}, we're checking.")
    assert alex.thread(thread_id).first_response_at is None

    summary = workspace.send()

    assert summary.count("sent") == 1
    sent = alex.outbound(row.id)
    assert sent.status == "sent" and sent.external_id
    messages = alex.thread_items(thread_id)
    assert [(message.direction, message.author, message.text) for message in messages] == [
        ("in", "@carol", "hello?"),
        ("out", "alex", "Thanks Carol, we're checking."),
    ]
    assert alex.thread(thread_id).first_response_at is not None
    assert workspace.event_types() == ["outbound.queued", "outbound.sent"]


def test_two_senders_never_send_one_row(workspace):
    alex = workspace.service("alex")
    for _ in range(12):
        alex.queue_reply(workspace.thread("demo-mastodon"), "We're on it.")
    fake = FakePlatform()

    async def both():
        first, second = workspace.sender(fake_factory(fake)), workspace.sender(fake_factory(fake))
        return await asyncio.gather(
            first.send_once(None, concurrency=3), second.send_once(None, concurrency=3)
        )

    summaries = asyncio.run(both())

    assert sum(summary.count("sent") for summary in summaries) == 12
    assert len(fake.sends) == 12 and set(fake.sends.values()) == {1}


def test_a_rate_limited_send_waits_for_the_reset_and_holds_back_the_accounts_queue(
    workspace, clock
):
    alex = workspace.service("alex")
    first = alex.queue_reply(workspace.thread("demo-x"), "One")
    second = alex.queue_reply(workspace.thread("demo-x"), "Two")
    fake = FakePlatform(script=[RateLimited(clock() + timedelta(minutes=15))])

    workspace.send(fake_factory(fake))
    assert [alex.outbound(row.id).status for row in (first, second)] == ["queued", "queued"]
    assert "rate limited until" in alex.outbound(first.id).error
    assert sum(fake.sends.values()) == 1

    clock.advance(minutes=14)
    assert workspace.send(fake_factory(fake)).results == []
    clock.advance(minutes=1)
    workspace.send(fake_factory(fake))
    assert [alex.outbound(row.id).status for row in (first, second)] == ["sent", "sent"]


def test_a_send_that_never_reached_the_platform_is_retried_with_backoff_then_given_up(
    workspace, clock
):
    alex = workspace.service("alex")
    row = alex.queue_reply(workspace.thread("demo-x"), "Hello")
    fake = FakePlatform(script=[NotReached("POST /2/tweets could not connect")] * 3)
    factory = fake_factory(fake, BlindFakeAdapter)

    workspace.send(factory, max_attempts=3)
    waiting = alex.outbound(row.id)
    assert (waiting.status, waiting.error) == ("queued", "POST /2/tweets could not connect")
    assert workspace.send(factory, max_attempts=3).results == []
    for _ in range(2):
        clock.advance(minutes=20)
        workspace.send(factory, max_attempts=3)

    failed = alex.outbound(row.id)
    assert failed.status == "failed"
    assert failed.error == "gave up after 3 attempts; the last: POST /2/tweets could not connect"
    assert sum(fake.sends.values()) == 3


@pytest.mark.parametrize(
    "failure",
    [PlatformUnavailable("X answered 503"), httpx.ReadTimeout("read timed out")],
    ids=["5xx", "timeout"],
)
def test_an_ambiguous_send_where_the_platform_cannot_look_up_waits_for_a_person(
    workspace, clock, failure
):
    alex = workspace.service("alex")
    row = alex.queue_reply(workspace.thread("demo-x"), "Hello")
    fake = FakePlatform(script=[failure])
    factory = fake_factory(fake, BlindFakeAdapter)

    workspace.send(factory)
    for _ in range(3):
        clock.advance(hours=1)
        workspace.send(factory)

    waiting = alex.outbound(row.id)
    assert waiting.status == "unknown" and waiting.waits_for_person
    assert "cannot tell whether the message was posted" in waiting.error
    assert f"inbox outbox retry {row.id}" in waiting.error
    assert sum(fake.sends.values()) == 1, "never sent again without a person"


def test_a_send_lost_after_posting_is_looked_up_and_never_posted_twice(workspace, clock):
    alex = workspace.service("alex")
    thread_id = workspace.thread("demo-x")
    row = alex.queue_reply(thread_id, "Hello")
    fake = FakePlatform(script=["lost"])

    workspace.send(fake_factory(fake))
    unknown = alex.outbound(row.id)
    assert unknown.status == "unknown" and "dropped after the post" in unknown.error
    assert not unknown.waits_for_person, "the platform can be asked"

    clock.advance(minutes=1)
    workspace.send(fake_factory(fake))

    assert alex.outbound(row.id).status == "sent"
    assert alex.outbound(row.id).external_id == "fake-1"
    assert sum(fake.sends.values()) == 1 and fake.lookups == 1
    assert [message.direction for message in alex.thread_items(thread_id)] == ["in", "out"]
    assert workspace.event_types() == ["outbound.queued", "outbound.unknown", "outbound.sent"]


def test_an_unknown_send_that_was_not_posted_is_sent_again_after_the_lookup(workspace, clock):
    alex = workspace.service("alex")
    row = alex.queue_reply(workspace.thread("demo-x"), "Hello")
    fake = FakePlatform(script=[httpx.ReadTimeout("read timed out")])

    workspace.send(fake_factory(fake))
    assert (
        alex.outbound(row.id).error
        == "the platform did not answer in time; the message may have been posted"
    )
    clock.advance(minutes=1)
    workspace.send(fake_factory(fake))

    assert alex.outbound(row.id).status == "sent"
    assert fake.lookups == 1 and sum(fake.sends.values()) == 2


def test_a_timeout_where_the_platform_cannot_look_up_waits_for_a_person(workspace, clock):
    alex = workspace.service("alex")
    row = alex.queue_reply(workspace.thread("demo-x"), "Hello")
    fake = FakePlatform(script=[httpx.ReadTimeout("read timed out")])
    factory = fake_factory(fake, BlindFakeAdapter)

    workspace.send(factory)
    clock.advance(minutes=1)
    workspace.send(factory)
    waiting = alex.outbound(row.id)
    assert waiting.status == "unknown"
    assert f"inbox outbox retry {row.id}" in waiting.error
    clock.advance(hours=1)
    assert workspace.send(factory).results == []

    alex.retry_outbound(row.id)
    workspace.send(factory)
    assert alex.outbound(row.id).status == "sent" and sum(fake.sends.values()) == 2


@pytest.mark.parametrize(
    ("refusal", "reason"),
    [
        (
            PayloadInvalid("Validation failed: Text character limit of 500 exceeded"),
            "the platform refused the message: Validation failed",
        ),
        (
            AuthExpired("401 The access token is invalid"),
            "refused the account's credentials; log in again",
        ),
    ],
)
def test_a_permanent_refusal_fails_with_the_platforms_reason(workspace, refusal, reason):
    alex = workspace.service("alex")
    row = alex.queue_reply(workspace.thread("demo-x"), "Hello")

    workspace.send(fake_factory(FakePlatform(script=[refusal])))

    failed = alex.outbound(row.id)
    assert failed.status == "failed" and reason in failed.error
    assert workspace.event_types() == ["outbound.queued", "outbound.failed"]


def test_a_failed_reply_says_why_in_the_threads_history(workspace):
    alex = workspace.service("alex")
    thread_id = workspace.thread("demo-x")
    row = alex.queue_reply(thread_id, "Hello")

    refusal = AuthExpired("401 The access token is invalid")
    workspace.send(fake_factory(FakePlatform(script=[refusal])))

    reason = alex.outbound(row.id).error
    assert "access token is invalid" in reason
    assert alex.history(thread_id)[-1].text == f"reply failed: {reason}"


def test_the_demo_platform_loses_a_send_and_the_outbox_finds_it(workspace, clock):
    alex = workspace.service("alex")
    thread_id = workspace.thread("demo-mastodon", send_lost_rate=1.0)
    row = alex.queue_reply(thread_id, "Hello")
    sender = workspace.sender()

    asyncio.run(sender.send_once(None))
    assert alex.outbound(row.id).status == "unknown"
    clock.advance(minutes=1)
    asyncio.run(sender.send_once(None))

    assert alex.outbound(row.id).status == "sent"
    assert (
        len([message for message in alex.thread_items(thread_id) if message.direction == "out"])
        == 1
    )


# -- permissions and approval -------------------------------------------------------------


def test_supervisors_read_only_and_agents_answer_only_their_own_or_unassigned_threads(workspace):
    thread_id, other_thread_id = workspace.thread("demo-x"), workspace.thread("demo-x")
    with pytest.raises(
        PermissionDenied, match="drew is a supervisor; only admin, agent, lead may reply"
    ):
        workspace.service("drew").queue_reply(thread_id, "Hi")

    blake_id = next(
        agent.id for agent in workspace.service("casey").list_agents() if agent.handle == "blake"
    )
    with workspace.engine.begin() as connection:
        connection.execute(update(Thread.__table__).values(assignee_id=blake_id))
    with pytest.raises(PermissionDenied, match="assigned to blake"):
        workspace.service("alex").queue_reply(thread_id, "Hi")
    assert workspace.service("blake").queue_reply(thread_id, "Hi").status == "queued"
    assert workspace.service("casey").queue_reply(other_thread_id, "Hi too").status == "queued"


def test_a_flagged_answer_waits_for_a_lead_who_may_approve_it_with_an_edit(workspace):
    alex, casey = workspace.service("alex"), workspace.service("casey")
    thread_id = workspace.thread("demo-x")
    row = alex.queue_reply(thread_id, canned_response_id=canned(alex, "apology"))
    assert row.status == "awaiting_approval"
    assert row.approval_reason == "prepared answer 'apology' needs approval"
    assert [waiting.id for waiting in casey.approvals()] == [row.id]
    assert workspace.send().results == []

    with pytest.raises(PermissionDenied, match="only admin, lead may approve"):
        alex.approve(row.id)
    with pytest.raises(InvalidInput, match="Too long for X"):
        casey.approve(row.id, text="We're sorry. " * 30)

    approved = casey.approve(
        row.id, text="We're sorry, {author.name|there}. We're fixing it now.", note="shorter"
    )
    assert (
        approved.status == "queued"
        and approved.rendered_text == "We're sorry, Carol. We're fixing it now."
    )
    workspace.send()
    assert alex.outbound(row.id).status == "sent"
    assert alex.thread_items(thread_id)[-1].text == "We're sorry, Carol. We're fixing it now."
    assert workspace.event_types() == [
        "outbound.awaiting_approval",
        "outbound.approved",
        "outbound.sent",
    ]


def test_a_rejected_reply_never_leaves_and_its_author_reads_why(workspace):
    alex, casey = workspace.service("alex"), workspace.service("casey")
    thread_id = workspace.thread("demo-x")
    row = alex.queue_reply(thread_id, canned_response_id=canned(alex, "scam-warning"))

    with pytest.raises(InvalidInput, match="say why"):
        casey.reject(row.id, "  ")
    casey.reject(row.id, "Too alarming for one report; ask for details first")
    workspace.send()

    [seen] = alex.outbound_for_thread(thread_id)
    assert (seen.status, seen.reviewer, seen.review_note) == (
        "rejected",
        "casey",
        "Too alarming for one report; ask for details first",
    )
    with pytest.raises(InvalidInput, match="not awaiting approval"):
        casey.approve(row.id)
    assert workspace.event_types() == ["outbound.awaiting_approval", "outbound.rejected"]


def test_while_an_incident_requires_approval_every_agents_reply_waits(workspace, clock):
    with workspace.engine.begin() as connection:
        connection.execute(
            insert(Incident.__table__).values(
                title="Checkout outage",
                severity=1,
                scope="global",
                status="active",
                update_interval_minutes=30,
                requires_approval=True,
                started_at=clock(),
                status_url="https://status.example.com",
            )
        )
    thread_id = workspace.thread("demo-mastodon")
    alex, casey = workspace.service("alex"), workspace.service("casey")

    waiting = alex.queue_reply(thread_id, canned_response_id=canned(alex, "acknowledge"))
    assert (
        waiting.status == "awaiting_approval"
        and waiting.approval_reason == "crisis mode requires approval"
    )
    assert alex.preview_reply(thread_id, "Hi").approval_reason == (
        "during the incident 'Checkout outage' every outgoing message needs approval"
    )
    statement = casey.queue_reply(
        workspace.thread("demo-x"), canned_response_id=canned(casey, "holding-statement")
    )
    assert statement.status == "queued"
    assert (
        "Checkout outage" in statement.rendered_text
        and "https://status.example.com" in statement.rendered_text
    )


# -- campaigns ----------------------------------------------------------------------------


def test_a_bulk_reply_goes_to_every_thread_in_each_channels_form_tracked_as_one_campaign(workspace):
    alex = workspace.service("alex")
    threads = [
        workspace.thread(platform)
        for platform in ("demo-x", "demo-bluesky", "demo-mastodon", "demo-email")
    ]

    campaign = alex.queue_bulk_reply(
        threads, canned_response_id=canned(alex, "refund"), title="Refunds"
    )
    assert (campaign.title, campaign.targets, campaign.status) == ("Refunds", 4, "sending")

    fake = FakePlatform(
        script=["ok", PayloadInvalid("this account cannot comment here"), "ok", "ok"]
    )
    workspace.send(fake_factory(fake))

    summary, rows = alex.campaign(campaign.id)
    assert summary.status == "done with problems" and summary.counts == {"sent": 3, "failed": 1}
    assert [(row.platform, row.status) for row in rows] == [
        ("demo-x", "sent"),
        ("demo-bluesky", "failed"),
        ("demo-mastodon", "sent"),
        ("demo-email", "sent"),
    ]
    assert rows[0].rendered_text != rows[2].rendered_text
    assert [found.id for found in alex.campaigns()] == [campaign.id]


def test_a_bulk_reply_that_does_not_fit_one_channel_queues_nothing(workspace):
    alex = workspace.service("alex")
    threads = [workspace.thread("demo-mastodon"), workspace.thread("demo-x")]

    with pytest.raises(InvalidInput) as refused:
        alex.queue_bulk_reply(threads, "a" * 300)

    assert "nothing was queued" in str(refused.value)
    assert f"thread {threads[1]} on X (demo)" in str(
        refused.value
    ) and "by 20 weighted characters" in str(refused.value)
    assert alex.outbox() == [] and alex.campaigns() == []


def test_a_broadcast_posts_one_statement_on_every_account_once_a_lead_approves(workspace):
    alex, casey = workspace.service("alex"), workspace.service("casey")
    workspace.thread("demo-x")
    workspace.thread("demo-mastodon")
    accounts = [account.id for account in alex.list_accounts()]

    campaign = alex.queue_broadcast(accounts, "Checkout is back. Thanks for bearing with us.")
    assert campaign.status == "awaiting approval"
    assert [row.approval_reason for row in casey.approvals()] == ["statements need approval"] * 2
    for row in casey.approvals():
        casey.approve(row.id)
    workspace.send()

    summary, rows = alex.campaign(campaign.id)
    assert summary.status == "done" and [row.kind for row in rows] == ["post", "post"]
    assert all(row.external_id for row in rows)
    assert all(row.thread_id is None for row in rows)
    assert casey.queue_broadcast(accounts[:1], "We're back.").status == "sending"


# -- prepared answers ---------------------------------------------------------------------


def test_only_leads_import_prepared_answers_and_everyone_matches_them(workspace, tmp_path):
    (tmp_path / "late.md").write_text(
        "---\nshortcode: late\ntitle: Running late\n---\nSorry, we're late.\n"
    )
    with pytest.raises(PermissionDenied, match="only admin, lead may edit prepared answers"):
        workspace.service("alex").import_canned(tmp_path)

    report = workspace.service("casey").import_canned(tmp_path)
    again = workspace.service("casey").import_canned(STARTER_DIRECTORY)

    assert (report.added, report.updated, report.problems) == (1, 0, ())
    assert (again.added, again.updated) == (0, 0)
    alex = workspace.service("alex")
    assert alex.match_canned("refnud")[0].answer.answer.shortcode == "refund"
    thread_id = workspace.thread("demo-x", text="I was charged twice and want my money back")
    assert "refund" in [
        found.answer.answer.shortcode for found in alex.suggest_canned(thread_id)[:3]
    ]
