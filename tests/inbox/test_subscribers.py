"""Subscribers to incident updates: the list (import, list, remove, count, unsubscribe) from the
CLI and the service, on SQLite and PostgreSQL, and the statement's mails to them."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from inbox.cli.main import main
from inbox.core.database import open_engine, write_transaction
from inbox.core.errors import InvalidInput, PermissionDenied
from inbox.core.models import Event, Outbound, Subscriber, Thread
from inbox.crisis.email_updates import email_audience, queue_subscriber_mails
from inbox.outbox.drafts import Author, OutboundKind, draft
from inbox.outbox.queue import CampaignKind, queue_campaign
from inbox.outbox.targets import account_target
from inbox.runtime import build_sender
from inbox.service import InboxService
from inbox.store.subscribers import checked_address
from tests.support.items import add_account

pytestmark = pytest.mark.postgres

HOSTILE = (
    "email,name\n"
    "ana@example.com,Ana\n"
    'BEN@Example.COM,"Ben\nSecond line"\n'
    "ana@example.com,Ana again\n"
    "not-an-address,Nobody\n"
    '"eve@example.com\r\nBcc: everyone@example.com",Eve\n'
    '"Mallory <mal@example.com>",Mallory\n'
    'cai@example.com,"=HYPERLINK(""http://evil.example"",""click"")"\n'
    "dee@example.com\n"
)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def team(database_url, capsys):
    """A database with an admin (root), a lead (casey) and an agent (alex)."""
    run(capsys, "--db", database_url, "agents", "add", "root", "--role", "admin")
    for handle, role in (("casey", "lead"), ("alex", "agent")):
        run(capsys, "--db", database_url, "--as", "root", "agents", "add", handle, "--role", role)
    engine = open_engine(database_url)
    yield database_url, engine
    engine.dispose()


def _lead(capsys, url: str, *argv: str) -> tuple[int, str, str]:
    return run(capsys, "--db", url, "--as", "casey", *argv)


def test_a_hostile_file_is_imported_once_with_every_refusal_named(team, capsys, tmp_path):
    url, engine = team
    path = tmp_path / "subscribers.csv"
    path.write_text(HOSTILE, encoding="utf-8")

    status, out, err = _lead(capsys, url, "subscribers", "import", str(path))
    assert status == 1, "some lines were rejected"
    assert "4 added, 0 already subscribed" in out and "1 repeated in the file, 3 rejected" in out
    assert "line 6 'not-an-address'" in err
    assert "line 7 'eve@example.com Bcc: everyone@example.com': it contains a control" in err
    assert "line 9 'Mallory <mal@example.com>'" in err

    status, out, _ = _lead(capsys, url, "subscribers", "list", "--format", "json")
    listed = {row["email"]: row["name"] for row in json.loads(out)}
    assert listed == {
        "ana@example.com": "Ana",
        "ben@example.com": "Ben Second line",
        "cai@example.com": '=HYPERLINK("http://evil.example","click")',
        "dee@example.com": None,
    }
    _, out, _ = _lead(capsys, url, "subscribers", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["name"] for row in rows if row["email"] == "cai@example.com"] == [
        '\'=HYPERLINK("http://evil.example","click")'
    ], "a spreadsheet shows the formula, never runs it"

    status, out, _ = _lead(capsys, url, "subscribers", "import", str(path), "--format", "json")
    again = json.loads(out)
    assert (again["added"], again["already_subscribed"]) == (0, 4), "importing twice adds nothing"
    with engine.connect() as connection:
        tokens = connection.execute(select(Subscriber.__table__.c.unsubscribe_token)).scalars()
        assert len(set(tokens)) == 4
        types = connection.execute(select(Event.__table__.c.type)).scalars().all()
    assert types.count("subscribers.imported") == 2


def test_ten_thousand_rows_import_and_count(team, capsys, tmp_path):
    url, _ = team
    lines = ["email,name"] + [
        f"person{number}@example.com,Person {number}" for number in range(10_000)
    ]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    status, out, _ = _lead(capsys, url, "subscribers", "import", str(path))
    assert status == 0 and out.startswith("10,000 added")
    _, out, _ = _lead(capsys, url, "subscribers", "count")
    assert out.strip() == "10,000 subscribers, but no email account is connected to mail them"


def test_only_leads_and_admins_keep_the_list(team, capsys, tmp_path):
    url, engine = team
    path = tmp_path / "s.csv"
    path.write_text("email\nana@example.com\n")
    status, _, err = run(capsys, "--db", url, "--as", "alex", "subscribers", "import", str(path))
    assert status != 0 and "only admin, lead may keep the list of subscribers" in err
    with pytest.raises(PermissionDenied):
        InboxService(engine, actor="alex").subscribers()


def test_removing_and_unsubscribing(team, capsys, tmp_path):
    url, engine = team
    path = tmp_path / "s.csv"
    path.write_text("email\nana@example.com\nben@example.com\n")
    _lead(capsys, url, "subscribers", "import", str(path))
    status, out, _ = _lead(capsys, url, "subscribers", "remove", "ANA@example.com")
    assert status == 0 and out.strip() == "removed ana@example.com from the subscribers"

    with engine.connect() as connection:
        token = connection.execute(
            select(Subscriber.__table__.c.unsubscribe_token).where(
                Subscriber.__table__.c.email == "ben@example.com"
            )
        ).scalar_one()
    status, out, _ = run(capsys, "--db", url, "--as", "alex", "subscribers", "unsubscribe", token)
    assert status == 0 and "ben@example.com gets no more incident updates" in out
    _, out, _ = _lead(capsys, url, "subscribers", "list")
    assert "no subscribers" in out
    _, out, _ = _lead(capsys, url, "subscribers", "list", "--all", "--format", "json")
    assert [row["email"] for row in json.loads(out)] == ["ben@example.com"]

    path.write_text("email\nben@example.com\n")
    _, out, _ = _lead(capsys, url, "subscribers", "import", str(path))
    assert out.startswith("0 added, 0 already subscribed, 1 unsubscribed earlier")
    status, _, err = _lead(capsys, url, "subscribers", "unsubscribe", "not-a-token")
    assert status != 0 and "no subscriber has that unsubscribe token" in err


@pytest.mark.parametrize(
    "text",
    [
        "a@example.com\nBcc: b@example.com",
        "a@example.com\r",
        "a@example.com\x00",
        "a@example.com\u2028",
        "A <a@example.com>",
        "a@example.com, b@example.com",
        '"a b"@example.com',
        "a@[127.0.0.1]",
        "a@localhost",
        "@example.com",
    ],
)
def test_an_address_that_could_carry_a_header_or_is_not_one_is_refused(text):
    with pytest.raises(InvalidInput):
        checked_address(text)


def test_a_plain_address_is_taken_lower_cased():
    assert checked_address("  Ana.Kim+news@Example.COM ") == "ana.kim+news@example.com"


# -- the statement's mails -------------------------------------------------------------------


@pytest.fixture
def incident(team, capsys, tmp_path):
    """The team with an X account, an email account, three subscribers and an incident."""
    url, engine = team
    add_account(engine, "demo-x", "@brand", send_latency_scale=0, send_failure_rate=0)
    add_account(
        engine, "demo-email", "support@brand.example", send_latency_scale=0, send_failure_rate=0
    )
    path = tmp_path / "s.csv"
    path.write_text("email\nana@example.com\nben@example.com\ncai@example.com\n")
    _lead(capsys, url, "subscribers", "import", str(path))
    lead = InboxService(engine, actor="casey")
    row, _ = lead.declare_incident("Checkout outage", holding_statement="Checkout is failing.")
    return url, engine, lead, row.id


def _mails(engine) -> dict[str, str]:
    outbound = Outbound.__table__
    with engine.connect() as connection:
        return dict(
            connection.execute(
                select(outbound.c.recipient, outbound.c.status).where(
                    outbound.c.kind == "email_update"
                )
            ).all()
        )


def test_the_preview_says_where_the_statement_goes(incident, capsys):
    url, _, _, incident_id = incident
    status, out, _ = _lead(capsys, url, "incident", "statement", str(incident_id), "--dry-run")
    assert status == 0
    assert "also: no status page configured" in out
    assert "also: 3 subscribers by email through support@brand.example" in out
    _, out, _ = _lead(
        capsys, url, "incident", "statement", str(incident_id), "--dry-run", "--no-subscribers"
    )
    assert "also: not mailed to subscribers" in out


def test_a_statement_mails_each_subscriber_once_with_the_statement_and_a_way_out(incident):
    _, engine, lead, incident_id = incident
    plan, campaigns = lead.send_statement(incident_id, account_ids=[1])
    assert plan.email is not None and plan.email.subscribers == 3
    assert _mails(engine) == dict.fromkeys(
        ["ana@example.com", "ben@example.com", "cai@example.com"], "queued"
    )
    [campaign] = campaigns
    assert campaign.targets == 4, "the X post and the three mails, one campaign"
    mails = [row for row in lead.campaign(campaign.id)[1] if row.kind == "email_update"]
    assert all(row.rendered_text.startswith("Checkout is failing.") for row in mails)
    assert all('with the subject "unsubscribe ' in row.rendered_text for row in mails)


def test_an_unsubscribed_address_gets_nothing_even_when_already_queued(incident):
    _, engine, lead, incident_id = incident
    lead.send_statement(incident_id, account_ids=[1])
    with engine.connect() as connection:
        token = connection.execute(
            select(Subscriber.__table__.c.unsubscribe_token).where(
                Subscriber.__table__.c.email == "ben@example.com"
            )
        ).scalar_one()
    lead.unsubscribe(token)
    assert _mails(engine)["ben@example.com"] == "cancelled"
    lead.send_statement(incident_id, text="Fixed soon.", account_ids=[1])
    outbound = Outbound.__table__
    with engine.connect() as connection:
        to_ben = (
            connection.execute(
                select(outbound.c.status).where(outbound.c.recipient == "ben@example.com")
            )
            .scalars()
            .all()
        )
    assert to_ben == ["cancelled"], "the next statement is not queued for ben at all"


def test_the_mails_wait_with_the_statement_and_are_approved_together(incident):
    _, engine, lead, _ = incident
    # A statement whose post waits for a lead: its author may not approve.
    agent = Author(handle="alex", agent_id=3, name="Alex", may_approve=False)
    clock = lead.clock
    with write_transaction(engine) as connection:
        post = draft(
            connection, account_target(connection, 1), kind=OutboundKind.POST, author=agent,
            now=clock(), text="Checkout is failing.",
        )  # fmt: skip
        campaign = queue_campaign(
            connection, [post], CampaignKind.BROADCAST, title="t", author=agent, now=clock()
        )
        audience = email_audience(connection)
        queue_subscriber_mails(
            connection, account=audience.account, text="Checkout is failing.",
            rendered_text="Checkout is failing.", campaign_id=campaign.id, author=agent,
            now=clock(), waits=bool(campaign.counts.get("awaiting_approval")),
        )  # fmt: skip
    assert set(_mails(engine).values()) == {"awaiting_approval"}
    sender = build_sender(engine, None)
    assert asyncio.run(sender.send_once()).results == [], "nothing goes while it waits"

    [waiting_post] = [row for row in lead.approvals() if row.kind == "post"]
    lead.approve(waiting_post.id)
    assert set(_mails(engine).values()) == {"queued"}, "approved with the statement"
    summary = asyncio.run(sender.send_once())
    assert summary.count("sent") == 4


def test_a_mail_with_the_unsubscribe_subject_unsubscribes_as_it_lands(team, capsys, tmp_path):
    """What a mail program sends for the List-Unsubscribe mailto, landing like any mail."""
    from adapters.base import Kind
    from inbox.runtime import crisis_after_landing
    from inbox.store.ingest import Store
    from tests.support.items import item

    url, engine = team
    path = tmp_path / "s.csv"
    path.write_text("email\nana@example.com\nben@example.com\n")
    _lead(capsys, url, "subscribers", "import", str(path))
    with engine.connect() as connection:
        token = connection.execute(
            select(Subscriber.__table__.c.unsubscribe_token).where(
                Subscriber.__table__.c.email == "ana@example.com"
            )
        ).scalar_one()
    account = add_account(engine, "demo-email", "support@brand.example")
    after_landing = crisis_after_landing(engine)
    after_landing(datetime.now(UTC), None)  # a process starts: nothing to do yet
    Store(engine).ingest(
        account,
        "inbox",
        [
            item("m-1", "t-ana", kind=Kind.DM, text=f"unsubscribe {token}\n\nSent from my phone"),
            item("m-2", "t-eve", kind=Kind.DM, text="unsubscribe not-a-token"),
        ],
        None,
    )

    after_landing(datetime.now(UTC), None)

    _, out, _ = _lead(capsys, url, "subscribers", "list", "--format", "json")
    assert [row["email"] for row in json.loads(out)] == ["ben@example.com"]
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(
                select(Thread.__table__.c.thread_key, Thread.__table__.c.status)
            ).all()
        )
    assert statuses == {"t-ana": "closed", "t-eve": "new"}, "an unknown token is left to a person"
