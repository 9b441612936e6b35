"""The public status page: what it shows, its feeds, its safety, its atomic writes, and its
regeneration and publishing after a statement is sent, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shlex
import sys
import threading
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest

from inbox.cli.main import main
from inbox.core.clock import FixedClock
from inbox.core.config import Config, StatusPageOutput
from inbox.core.errors import InvalidInput
from inbox.crisis import status_page, status_publisher
from inbox.crisis.incidents import IncidentRow
from inbox.runtime import adapter_factory, build_sender
from inbox.service import InboxService
from inbox.store.ingest import Store
from inbox.store.team_settings import STATUS_PAGE, write_setting
from tests.support.items import T0, add_account, item
from tests.support.polling import wait_until

pytestmark = pytest.mark.postgres

NOW = T0 + timedelta(hours=13)
CUSTOMER_TEXT = "checkout is down and my order 77-CUSTOMER-SECRET vanished"
HOSTILE = (
    'We are on it. <script>alert("x")</script> <img src="https://evil.example/a.png"> '
    "\u202egnp.exe & <b>bold</b> ]]> {not a template}"
)


@pytest.fixture
def lead(engine) -> InboxService:
    setup = InboxService(engine)
    setup.add_agent("root", "Root", "admin")
    InboxService(engine, actor="root").add_agent("casey", "Casey Morgan", "lead")
    return InboxService(engine, actor="casey", clock=FixedClock(NOW))


@pytest.fixture
def admin(engine, lead) -> InboxService:
    return InboxService(engine, actor="root", clock=lead.clock)


def an_incident(engine, lead: InboxService) -> int:
    """Two accounts, one customer thread that matches, an incident tagging it."""
    instant = {"send_latency_scale": 0, "send_failure_rate": 0, "send_lost_rate": 0}
    x = add_account(engine, "demo-x", "@brand", **instant)
    add_account(engine, "demo-mastodon", "@brand", **instant)
    minutes = (NOW - T0).total_seconds() / 60 - 5
    Store(engine).ingest(x, "mentions", [item("a", "a", minutes=minutes, text=CUSTOMER_TEXT)], None)
    incident, _ = lead.declare_incident(
        "Checkout outage", severity=1, scope="global", match=["down"], update_interval_minutes=30
    )
    assert incident.threads == 1
    return incident.id


def send_all(engine, clock, **options) -> list:
    """Send every due row with an in-process sender, as a terminal does; the results."""
    adapters = adapter_factory(None, clock=clock)
    sender = build_sender(engine, None, clock=clock, adapters=adapters, **options)
    return asyncio.run(sender.send_once(None)).results


def files_of(folder: Path) -> dict[str, str]:
    return {name: (folder / name).read_text(encoding="utf-8") for name in status_page.FILES}


class Markup(HTMLParser):
    """Every start tag with its attributes, and the text of each script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def test_the_page_and_feeds_show_only_what_the_brand_published(engine, lead, tmp_path):
    incident_id = an_incident(engine, lead)
    _, campaigns = lead.send_statement(incident_id, text=HOSTILE, reply_to_threads=True)
    assert send_all(engine, lead.clock)
    lead.clock.advance(minutes=10)
    # queued, never sent: not published
    lead.send_statement(incident_id, text="A second word nobody has seen yet.")

    files = lead.write_status_page(incident_id, str(tmp_path / "site"))
    assert files.statements == 1
    written = files_of(tmp_path / "site")
    for name, text in written.items():
        assert "77-CUSTOMER-SECRET" not in text, name
        assert "nobody has seen yet" not in text, name
        assert "\u202e" not in text, name
        assert "casey" not in text.lower(), name

    # the Atom feed parses cleanly: one entry, the statement's text as text
    atom = feedparser.parse(written["feed.atom"])
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    assert len(atom.entries) == 1
    entry = atom.entries[0]
    assert entry.title.startswith("Statement, ")
    assert '<script>alert("x")</script>' in entry.summary
    assert entry.updated_parsed is not None and entry.id.startswith("urn:uuid:")
    assert "Checkout outage" in atom.feed.title

    # the JSON Feed has JSON Feed 1.1's required fields
    feed = json.loads(written["feed.json"])
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert [item["id"] for item in feed["items"]] == [entry.id]
    for item_ in feed["items"]:
        assert isinstance(item_["id"], str)
        assert item_.get("content_text") or item_.get("content_html")
        assert datetime.fromisoformat(item_["date_published"]).tzinfo is not None

    # the page: severity, status, what is affected, the next update; nothing external
    markup = Markup()
    markup.feed(written["index.html"])
    text = " ".join(markup.text)
    assert "Checkout outage" in text and "Active" in text and "major" in text
    assert "worldwide" in text
    due = NOW + timedelta(minutes=10 + 30)  # the unsent statement counts as an update
    assert f"{due:%Y-%m-%d %H:%M} UTC" in text
    assert '<script>alert("x")</script>' in text and "<b>bold</b>" in text
    assert markup.scripts == [status_page.LOCAL_TIME_SCRIPT]
    assert not [attrs for tag, attrs in markup.tags if "src" in attrs]
    assert {attrs.get("href") for _, attrs in markup.tags if "href" in attrs} == {
        "feed.atom",
        "feed.json",
    }
    assert not [
        attrs for tag, attrs in markup.tags if tag == "link" and attrs.get("rel") == "stylesheet"
    ]
    assert [tag for tag, _ in markup.tags].count("img") == 0

    # the same page again: the same ids, the same bytes
    lead.write_status_page(incident_id, str(tmp_path / "again"))
    assert files_of(tmp_path / "again") == written


def test_an_ended_incident_says_when_it_ended(engine, lead, tmp_path):
    incident_id = an_incident(engine, lead)
    lead.send_statement(incident_id, text="We are on it.")
    send_all(engine, lead.clock)
    lead.clock.advance(minutes=45)
    lead.end_incident(incident_id, note="an internal note about the root cause")

    written = files_of(lead.write_status_page(incident_id, str(tmp_path)).folder)

    ended = f"{NOW + timedelta(minutes=45):%Y-%m-%d %H:%M} UTC"
    assert "this incident ended at" in written["index.html"] and ended in written["index.html"]
    assert "internal note" not in "".join(written.values())
    assert json.loads(written["feed.json"])["description"] == f"Ended at {ended}"


def test_a_reader_never_sees_a_half_written_page(tmp_path):
    incident = IncidentRow(
        id=1,
        title="Outage",
        severity=2,
        scope="national",
        status="active",
        status_url=None,
        holding_statement=None,
        update_interval_minutes=60,
        requires_approval=False,
        declared_by=None,
        started_at=NOW,
        last_update_at=None,
        ended_at=None,
        match=(),
        threads=0,
        open_threads=0,
    )
    pages = [
        status_page.StatusPage(
            incident,
            tuple(
                status_page.PublishedStatement(n, "word " * 4000, NOW, ("X",), n + 1)
                for n in range(count)
            ),
            status_page.StatusPageSettings(),
        )
        for count in (1, 5)
    ]
    status_page.write_status_page(pages[0], tmp_path)
    done = threading.Event()

    def rewrite() -> None:
        for round_ in range(150):
            status_page.write_status_page(pages[round_ % 2], tmp_path)
        done.set()

    writer = threading.Thread(target=rewrite)
    writer.start()
    reads = 0
    while not done.is_set() or reads == 0:
        text = (tmp_path / "index.html").read_text(encoding="utf-8")
        assert text.startswith("<!doctype html>") and text.endswith("</html>\n")
        reads += 1
    writer.join()
    assert not [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")]
    assert {oct(path.stat().st_mode & 0o777) for path in tmp_path.iterdir()} == {"0o644"}


def a_publish_command(log: Path, *, fails: bool = False) -> str:
    """A command that notes the folder it was given (environment and argument) in `log`."""
    script = (
        "import os, sys; "
        f"open({str(log)!r}, 'a').write(os.environ['STATUS_PAGE_DIR'] + ' ' + sys.argv[1] + '\\n')"
        + ("; sys.stderr.write('upload refused: bucket gone\\n'); sys.exit(7)" if fails else "")
    )
    return shlex.join([sys.executable, "-c", script, "{dir}"])


def test_sending_a_statement_regenerates_and_publishes_the_page_within_a_second(
    engine, lead, tmp_path, caplog
):
    incident_id = an_incident(engine, lead)
    site, log = tmp_path / "site", tmp_path / "published.log"
    lead.set_status_page_settings({"base_url": "https://status.brand.example"}, 0)
    lead.send_statement(incident_id, text="Checkout fails for some of you; a fix is underway.")
    machine = StatusPageOutput(out_dir=site, publish_command=a_publish_command(log))
    publisher = status_publisher.StatusPagePublisher(engine, machine)
    caplog.set_level(logging.INFO, logger=status_publisher.__name__)

    results = send_all(engine, lead.clock, status_page=publisher)

    assert [result.status for result in results] == ["sent", "sent"]
    wait_until(
        lambda: (
            "a fix is underway" in (site / "index.html").read_text(encoding="utf-8")
            if (site / "index.html").exists()
            else False
        ),
        1.0,
        "the page to show the statement",
    )
    assert publisher.wait_idle(5)
    written = [r for r in caplog.records if r.getMessage().startswith("status page of incident")]
    assert written and all("and published" in record.getMessage() for record in written)
    assert log.read_text().splitlines() == [f"{site} {site}"] * len(written)
    atom = feedparser.parse((site / "feed.atom").read_text(encoding="utf-8"))
    assert atom.feed.links[0].href == "https://status.brand.example/feed.atom"
    assert re.fullmatch(r"https://status\.brand\.example/#statement-\d+", atom.entries[0].link)


def test_a_failing_publish_command_is_logged_and_harmless(engine, lead, tmp_path, caplog):
    incident_id = an_incident(engine, lead)
    site, log = tmp_path / "site", tmp_path / "published.log"
    lead.send_statement(incident_id, text="We are on it.")
    machine = StatusPageOutput(out_dir=site, publish_command=a_publish_command(log, fails=True))
    publisher = status_publisher.StatusPagePublisher(engine, machine)
    caplog.set_level(logging.INFO, logger=status_publisher.__name__)

    results = send_all(engine, lead.clock, status_page=publisher)
    assert publisher.wait_idle(5)

    assert [result.status for result in results] == ["sent", "sent"]
    failures = [r for r in caplog.records if "exited with 7" in r.getMessage()]
    assert failures and "upload refused: bucket gone" in failures[0].getMessage()
    assert "We are on it." in (site / "index.html").read_text(encoding="utf-8")
    assert log.read_text().count(str(site)) == 2 * len(failures)


def test_the_page_says_an_incident_ended_once_it_has(engine, lead, tmp_path):
    incident_id = an_incident(engine, lead)
    site = tmp_path / "site"
    lead.send_statement(incident_id, text="We are on it.")
    publisher = status_publisher.StatusPagePublisher(engine, StatusPageOutput(out_dir=site))
    send_all(engine, lead.clock, status_page=publisher)
    assert publisher.wait_idle(5)
    assert "Active" in (site / "index.html").read_text(encoding="utf-8")
    before = publisher._last_event_id()

    lead.end_incident(incident_id)

    async def follow_until_ended() -> None:
        stop = asyncio.Event()
        following = asyncio.create_task(publisher.follow(stop, interval=0.05, since=before))
        try:
            await asyncio.to_thread(
                wait_until,
                lambda: "this incident ended at" in (site / "index.html").read_text("utf-8"),
                5.0,
                "the page to say the incident ended",
            )
        finally:
            stop.set()
            await following

    asyncio.run(follow_until_ended())


@pytest.mark.parametrize("key", ["publish_command", "out_dir"])
def test_no_one_sets_the_folder_or_the_command_in_the_database(engine, lead, admin, key):
    for person in (lead, admin):
        with pytest.raises(InvalidInput, match=rf"{key}: set in the config file"):
            person.set_status_page_settings({key: "true"}, 0)
    saved = lead.set_status_page_settings({"title": "Brand status"}, 0)
    assert saved.version == 1 and saved.title == "Brand status"
    assert not saved.configured, "no address, and this machine writes no page"
    assert lead.status_page_settings() == saved
    mine = lead.status_page_settings(StatusPageOutput(out_dir=Path("/srv/status")))
    assert mine.configured and mine.location == "/srv/status" and mine.title == "Brand status"


def test_a_command_still_stored_in_the_team_setting_is_ignored(engine, lead, tmp_path):
    """A publish command written straight into the setting's JSON (a lead's login may write
    the table) is neither run nor shown; the machine's own command is."""
    incident_id = an_incident(engine, lead)
    planted, log = tmp_path / "planted.log", tmp_path / "published.log"
    site, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    with engine.begin() as connection:
        write_setting(
            connection,
            STATUS_PAGE,
            {
                "out_dir": str(elsewhere),
                "publish_command": a_publish_command(planted),
                "base_url": "https://status.brand.example",
                "title": None,
            },
            version=0,
            actor="casey",
            now=NOW,
        )
    lead.send_statement(incident_id, text="We are on it.")
    send_all(engine, lead.clock)

    regenerated = lead.publish_status_page(
        StatusPageOutput(out_dir=site, publish_command=a_publish_command(log)), incident_id
    )

    assert regenerated is not None and regenerated.published is True
    assert log.read_text().splitlines() == [f"{site} {site}"]
    assert not planted.exists() and not elsewhere.exists(), "the stored command never ran"
    assert lead.status_page_settings().to_table() == {
        "base_url": "https://status.brand.example/",
        "title": None,
    }
    assert lead.publish_status_page(StatusPageOutput(), incident_id) is None
    assert not planted.exists()


def test_sends_that_are_no_statement_leave_the_page_alone(engine, lead, tmp_path):
    account = add_account(engine, "demo-x", "@brand", send_latency_scale=0, send_failure_rate=0)
    lead.queue_broadcast([account.id], "Our spring sale starts today!")
    machine = StatusPageOutput(out_dir=tmp_path / "site")
    publisher = status_publisher.StatusPagePublisher(engine, machine, resolve_seconds=0.3)

    assert [r.status for r in send_all(engine, lead.clock, status_page=publisher)] == ["sent"]
    assert publisher.wait_idle(5)
    assert not (tmp_path / "site").exists()


def test_the_cli_writes_the_page_and_the_team_sets_it_up(engine, lead, tmp_path, capsys):
    incident_id = an_incident(engine, lead)
    lead.send_statement(incident_id, text="We are on it.")
    send_all(engine, lead.clock)
    url = str(engine.url.render_as_string(hide_password=False))
    base = ["--db", url, "--as", "casey"]

    assert main([*base, "incident", "page", str(incident_id), "--out", str(tmp_path / "a")]) == 0
    assert "1 published statement" in capsys.readouterr().out
    assert "We are on it." in (tmp_path / "a" / "index.html").read_text(encoding="utf-8")

    assert main([*base, "incident", "page", str(incident_id)]) == 2
    assert "[status_page] out_dir" in capsys.readouterr().err

    config = tmp_path / "config.toml"
    config.write_text(f'[status_page]\nout_dir = "{tmp_path / "b"}"\n')
    base = ["--config", str(config), *base]
    assert main([*base, "team", "status-page", "set", "title=Brand status"]) == 0
    assert "status page version 1" in capsys.readouterr().out
    assert main([*base, "team", "status-page", "set", "publish_command=true"]) != 0
    assert "publish_command: set in the config file" in capsys.readouterr().err
    assert main([*base, "incident", "page", str(incident_id), "--format", "json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["statements"] == 1 and record["folder"] == str(tmp_path / "b")
    assert "Brand status" in (tmp_path / "b" / "index.html").read_text(encoding="utf-8")
    assert main([*base, "team", "status-page", "show", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["settings"] == {"base_url": None, "title": "Brand status"}
    assert shown["this_machine"] == {"out_dir": str(tmp_path / "b"), "publish_command": None}


def test_the_demo_statement_reaches_the_page(tmp_path):
    from inbox.core.database import open_engine
    from inbox.demo.crisis import prepare_crisis
    from inbox.demo.workspace import build_workspace

    clock = FixedClock(datetime(2026, 11, 19, 14, 0, tzinfo=UTC))
    engine = open_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    build_workspace(engine, seed=7, days=1, clock=clock, score_sentiment=False)
    prepare_crisis(engine, clock() - timedelta(minutes=30))
    lead = InboxService(engine, actor="casey", clock=clock)
    incident, _ = lead.declare_incident("Nimbus Photos sync outage", match=["outage"])
    lead.send_statement(incident.id, text="Sync is down for some of you; we are on it.")

    sent = send_all(engine, clock, config=Config(status_page=StatusPageOutput(tmp_path / "site")))

    assert sent and all(result.status == "sent" for result in sent)
    index = tmp_path / "site" / "index.html"
    wait_until(
        lambda: index.exists() and "we are on it" in index.read_text(encoding="utf-8"),
        1.0,
        "the demo's statement on the status page",
    )
    engine.dispose()
