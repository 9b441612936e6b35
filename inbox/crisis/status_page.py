"""The public status page of an incident: index.html, an Atom feed and a JSON feed.

Only what the brand published goes on it. A statement (the holding statement or a later
update, each an `incident.statement_sent` event) counts as published once at least one of
its account posts has been sent: a post on the brand's own account is public, whereas a
reply in a thread may be in a private conversation, and a queued post may still be
rejected or fail. Its text appears once, however many channels carried it: as posted (the
template filled in), in its fullest version where a channel got a shorter one; its time is
that of the first post sent. Of the incident the page shows its
title (what is affected), severity, scope, whether it is active or ended and when the next
update is due; never its threads, match words, internal notes or anyone's name.

The page is self-contained: inline CSS, no external resource, and one small inline script
(allowed by the page's content security policy by its hash) that adds the reader's local
time beside each UTC time, which is always in the markup. Every text is cleaned of
control and bidi characters and escaped. `write_status_page` replaces each file atomically
(a temporary file beside it, then `os.replace`), the index last, so a reader sees the old
page or the new one, never half of one.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from inbox import events
from inbox.core.errors import InvalidInput
from inbox.core.models import Account, Event, Outbound, OutboundStatus
from inbox.core.sanitize import for_display, json_text, single_line, web_link
from inbox.crisis.incidents import IncidentRow, get_incident
from inbox.outbox.drafts import OutboundKind
from inbox.outbox.targets import channel_name

_event = Event.__table__
_outbound = Outbound.__table__
_account = Account.__table__

INDEX = "index.html"
ATOM_FEED = "feed.atom"
JSON_FEED = "feed.json"
FILES = (ATOM_FEED, JSON_FEED, INDEX)
"""The files of a status page, in the order they are replaced: the index last."""

PUBLIC_FILE_MODE = 0o644
"""The page is public: readable by the web server that serves it."""

PUBLIC_FOLDER_MODE = 0o755

DEFAULT_TITLE = "Status updates"

SEVERITY_WORDS = {1: "major", 2: "significant", 3: "minor"}
"""How each severity (1 the most severe) reads on the page."""

SCOPE_WORDS = {"local": "some regions", "national": "one country", "global": "worldwide"}

_XML_INVALID = re.compile("[\ufffe\uffff]")
"""Characters XML refuses that `for_display` keeps."""

LOCAL_TIME_SCRIPT = (
    'document.querySelectorAll("time[datetime]").forEach(function(t){'
    'var d=new Date(t.getAttribute("datetime"));if(isNaN(d))return;'
    'var s=document.createElement("span");s.className="local";'
    's.textContent=" ("+d.toLocaleString()+" your time)";t.after(s);});'
)
"""The page's only script: the reader's local time beside each UTC time."""

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em;"
    "line-height:1.5;color:#1b1b1b;background:#fff}"
    "header{border-bottom:1px solid #ccc;margin-bottom:1em}"
    ".status{display:inline-block;padding:.1em .6em;border-radius:.3em;font-weight:bold}"
    ".active{background:#fde2e1;color:#7a1712}.ended{background:#ddf4e4;color:#14532d}"
    "dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:bold}"
    "article{border-top:1px solid #eee;padding:.6em 0}article p{white-space:pre-wrap}"
    ".meta,.local{color:#555;font-size:.9em}"
    "@media (prefers-color-scheme:dark){body{color:#eee;background:#141414}"
    ".meta,.local{color:#aaa}article{border-color:#333}}"
)


TEAM_KEYS = ("base_url", "title")
"""The status page's team settings: what the page says, the same for the whole team."""

MACHINE_KEYS = ("out_dir", "publish_command")
"""The page's folder and publish command: the config file of the machine that writes the
page holds them (`[status_page]`), never the database, which a lead's login may write;
one still stored in the team setting is ignored."""


@dataclass(frozen=True, slots=True)
class StatusPageSettings:
    """The team's status page: its address and title (a team setting), and the folder this
    machine writes it into (from its config, never stored)."""

    base_url: str | None = None
    """Where the page is served (http or https), for the feeds' links; None: no links."""
    title: str | None = None
    """The page's name; `DEFAULT_TITLE` when None."""
    version: int = 0
    """The team setting's version, which an edit names (0: never set)."""
    updated_at: datetime | None = None
    updated_by: str | None = None
    out_dir: Path | None = None
    """The folder this machine writes the page into (its config's `[status_page] out_dir`);
    None: this machine keeps no page."""

    @classmethod
    def from_table(
        cls,
        table: Mapping[str, Any],
        *,
        version: int = 0,
        updated_at: datetime | None = None,
        updated_by: str | None = None,
    ) -> StatusPageSettings:
        """The settings as stored in the team setting, checked; a stored `MACHINE_KEYS`
        value is left out."""
        unknown = sorted(set(table) - {*TEAM_KEYS, *MACHINE_KEYS})
        if unknown:
            raise InvalidInput(
                f"unknown status page setting {', '.join(unknown)} (known: {', '.join(TEAM_KEYS)})"
            )
        values = {
            key: (str(table[key]).strip() or None) if table.get(key) is not None else None
            for key in TEAM_KEYS
        }
        base_url = values["base_url"]
        if base_url is not None:
            link = web_link(base_url)
            if link is None:
                raise InvalidInput(
                    f"the status page's base_url must be an http(s) link: {base_url}"
                )
            base_url = link if link.endswith("/") else link + "/"
        return cls(
            base_url=base_url,
            title=single_line(values["title"]) if values["title"] else None,
            version=version,
            updated_at=updated_at,
            updated_by=updated_by,
        )

    def to_table(self) -> dict[str, Any]:
        """The settings as the team setting stores them."""
        return {"base_url": self.base_url, "title": self.title}

    @property
    def configured(self) -> bool:
        """Whether a page is kept: the team serves one, or this machine writes one."""
        return self.base_url is not None or self.out_dir is not None

    @property
    def location(self) -> str | None:
        """Where the page is seen: its address, else this machine's folder; None: no page."""
        if self.base_url is not None:
            return self.base_url
        return str(self.out_dir) if self.out_dir is not None else None

    @property
    def page_title(self) -> str:
        """What the page is called."""
        return self.title or DEFAULT_TITLE


@dataclass(frozen=True, slots=True)
class PublishedStatement:
    """A statement or update the brand published, as the page shows it."""

    event_id: int
    text: str
    published_at: datetime
    """When its first account post was sent."""
    channels: tuple[str, ...]
    """Where it was posted, by channel name ("Mastodon")."""
    number: int
    """1 for the first statement, 2 for the first update, and so on."""

    @property
    def heading(self) -> str:
        """ "Statement" for the first, "Update N" after it."""
        return "Statement" if self.number == 1 else f"Update {self.number - 1}"


@dataclass(frozen=True, slots=True)
class StatusPage:
    """Everything the page and its feeds show: the incident and its published statements."""

    incident: IncidentRow
    statements: tuple[PublishedStatement, ...]
    """Newest first."""
    settings: StatusPageSettings

    @property
    def updated_at(self) -> datetime:
        """When what the page says last changed: the latest statement, the end or the start."""
        moments = [self.incident.started_at, *(s.published_at for s in self.statements)]
        if self.incident.ended_at is not None:
            moments.append(self.incident.ended_at)
        return max(moments)


def published_statements(connection: Connection, incident_id: int) -> list[PublishedStatement]:
    """The incident's statements with at least one account post sent, newest first."""
    statements = connection.execute(
        select(_event.c.id, _event.c.at, _event.c.payload)
        .where(
            _event.c.incident_id == incident_id,
            _event.c.type == events.IncidentStatementSent.type,
        )
        .order_by(_event.c.id)
    ).all()
    published: list[PublishedStatement] = []
    for statement in statements:
        event = events.parse(events.IncidentStatementSent.type, statement.payload)
        assert isinstance(event, events.IncidentStatementSent)
        if not event.campaign_ids:
            continue
        posts = connection.execute(
            select(_account.c.platform, _outbound.c.sent_at, _outbound.c.rendered_text)
            .join(_account, _account.c.id == _outbound.c.account_id)
            .where(
                _outbound.c.campaign_id.in_(list(event.campaign_ids)),
                _outbound.c.kind == str(OutboundKind.POST),
                _outbound.c.status == str(OutboundStatus.SENT),
            )
            .order_by(_outbound.c.id)
        ).all()
        if not posts:
            continue
        sent_times = [row.sent_at for row in posts if row.sent_at is not None]
        published.append(
            PublishedStatement(
                event_id=statement.id,
                text=max((row.rendered_text for row in posts), key=len),
                published_at=_utc(min(sent_times)) if sent_times else _utc(statement.at),
                channels=tuple(sorted({channel_name(row.platform) for row in posts})),
                number=len(published) + 1,
            )
        )
    return sorted(published, key=lambda item: (item.published_at, item.event_id), reverse=True)


def load_status_page(
    connection: Connection, incident_id: int, settings: StatusPageSettings
) -> StatusPage:
    """The incident's page as it stands in the database now."""
    incident = get_incident(connection, incident_id)
    return StatusPage(incident, tuple(published_statements(connection, incident_id)), settings)


def _utc(moment: datetime) -> datetime:
    """`moment` as aware UTC (SQLite hands back naive UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clean(text: str) -> str:
    """Text cleaned of control, bidi and invisible characters, and of what XML refuses."""
    return _XML_INVALID.sub("", for_display(text))


def _e(text: str) -> str:
    """Cleaned and escaped for HTML or XML text and attribute values."""
    return html.escape(_clean(text), quote=True)


def _time(moment: datetime) -> str:
    """A UTC time in the markup, which the page's script follows with the reader's own."""
    return f'<time datetime="{_iso(moment)}">{_utc(moment):%Y-%m-%d %H:%M} UTC</time>'


def entry_id(page: StatusPage, statement: PublishedStatement) -> str:
    """The statement's id in the feeds: the same at every regeneration."""
    name = f"social-inbox/incident/{page.incident.id}/{_iso(page.incident.started_at)}"
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/statement/{statement.event_id}").urn


def feed_id(page: StatusPage) -> str:
    """The feed's id: the same at every regeneration."""
    name = f"social-inbox/incident/{page.incident.id}/{_iso(page.incident.started_at)}"
    return uuid.uuid5(uuid.NAMESPACE_URL, name).urn


def _anchor(statement: PublishedStatement) -> str:
    return f"statement-{statement.event_id}"


def _status_words(incident: IncidentRow) -> str:
    return "Active" if incident.active else "Ended"


def _severity_words(incident: IncidentRow) -> str:
    return f"{SEVERITY_WORDS.get(incident.severity, 'unknown')} (level {incident.severity} of 3)"


def _scope_words(incident: IncidentRow) -> str:
    return SCOPE_WORDS.get(incident.scope, incident.scope)


def script_hash() -> str:
    """The content security policy's hash of the page's one script."""
    digest = hashlib.sha256(LOCAL_TIME_SCRIPT.encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


def render_html(page: StatusPage) -> str:
    """index.html: the incident's state and its statements, newest first; self-contained."""
    incident = page.incident
    title = page.settings.page_title
    if incident.active:
        due = incident.next_update_due
        next_update = f"<dd>by {_time(due)}</dd>" if due is not None else "<dd>soon</dd>"
    else:
        ended = incident.ended_at or page.updated_at
        next_update = f"<dd>none: this incident ended at {_time(ended)}</dd>"
    state = "active" if incident.active else "ended"
    facts = (
        "<dl>"
        f'<dt>Status</dt><dd><span class="status {state}">{_status_words(incident)}</span></dd>'
        f"<dt>What is affected</dt><dd>{_e(incident.title)}</dd>"
        f"<dt>Severity</dt><dd>{_e(_severity_words(incident))}</dd>"
        f"<dt>Reach</dt><dd>{_e(_scope_words(incident))}</dd>"
        f"<dt>Started</dt><dd>{_time(incident.started_at)}</dd>"
        f"<dt>Next update</dt>{next_update}"
        "</dl>"
    )
    articles = [
        f'<article id="{_anchor(statement)}"><h3>{_e(statement.heading)}</h3>'
        f'<p class="meta">{_time(statement.published_at)}'
        f"{_e(' on ' + ', '.join(statement.channels)) if statement.channels else ''}</p>"
        f"<p>{_e(statement.text)}</p></article>"
        for statement in page.statements
    ]
    if not articles:
        articles = ["<p>No statement has been published yet.</p>"]
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; "
        f"script-src '{script_hash()}'; base-uri 'none'; form-action 'none'"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}: {_e(incident.title)}</title>"
        f'<link rel="alternate" type="application/atom+xml" title="Atom" href="{ATOM_FEED}">'
        f'<link rel="alternate" type="application/feed+json" title="JSON Feed" href="{JSON_FEED}">'
        f"<style>{_STYLE}</style></head><body>"
        f"<header><p>{_e(title)}</p><h1>{_e(incident.title)}</h1></header>"
        f"<main>{facts}<section><h2>Statements, newest first</h2>{''.join(articles)}</section>"
        "</main>"
        f'<footer><p class="meta">Last changed {_time(page.updated_at)}. '
        f'Follow it: <a href="{ATOM_FEED}">Atom feed</a>, <a href="{JSON_FEED}">JSON feed</a>.'
        "</p></footer>"
        f"<script>{LOCAL_TIME_SCRIPT}</script></body></html>\n"
    )


def _summary(page: StatusPage) -> str:
    incident = page.incident
    if incident.active:
        due = incident.next_update_due
        when = f"; next update by {_utc(due):%Y-%m-%d %H:%M} UTC" if due is not None else ""
        return f"Active, severity {_severity_words(incident)}, {_scope_words(incident)}{when}"
    ended = incident.ended_at or page.updated_at
    return f"Ended at {_utc(ended):%Y-%m-%d %H:%M} UTC"


def _entry_title(statement: PublishedStatement) -> str:
    return f"{statement.heading}, {_utc(statement.published_at):%Y-%m-%d %H:%M} UTC"


def render_atom(page: StatusPage) -> str:
    """feed.atom: an Atom 1.0 feed with one entry per published statement, newest first."""
    base = page.settings.base_url
    title = f"{page.settings.page_title}: {page.incident.title}"
    links = ""
    if base is not None:
        links = (
            f'<link rel="self" type="application/atom+xml" href="{_e(base + ATOM_FEED)}"/>'
            f'<link rel="alternate" type="text/html" href="{_e(base)}"/>'
        )
    entries = []
    for statement in page.statements:
        link = ""
        if base is not None:
            link = (
                f'<link rel="alternate" type="text/html" href="{_e(base)}#{_anchor(statement)}"/>'
            )
        entries.append(
            "<entry>"
            f"<id>{entry_id(page, statement)}</id>"
            f"<title>{_e(_entry_title(statement))}</title>"
            f"<published>{_iso(statement.published_at)}</published>"
            f"<updated>{_iso(statement.published_at)}</updated>"
            f"{link}"
            f'<content type="text">{_e(statement.text)}</content>'
            "</entry>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f"<id>{feed_id(page)}</id>"
        f"<title>{_e(title)}</title>"
        f"<subtitle>{_e(_summary(page))}</subtitle>"
        f"<updated>{_iso(page.updated_at)}</updated>"
        f"<author><name>{_e(page.settings.page_title)}</name></author>"
        f"{links}{''.join(entries)}</feed>\n"
    )


def render_json_feed(page: StatusPage) -> str:
    """feed.json: a JSON Feed 1.1 with one item per published statement, newest first."""
    base = page.settings.base_url
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": _clean(f"{page.settings.page_title}: {page.incident.title}"),
        "description": _clean(_summary(page)),
        "language": "en",
    }
    if base is not None:
        feed["home_page_url"] = base
        feed["feed_url"] = base + JSON_FEED
    feed["items"] = [
        {
            "id": entry_id(page, statement),
            **({"url": f"{base}#{_anchor(statement)}"} if base is not None else {}),
            "title": _entry_title(statement),
            "content_text": _clean(statement.text),
            "date_published": _utc(statement.published_at).isoformat(),
            "date_modified": _utc(statement.published_at).isoformat(),
        }
        for statement in page.statements
    ]
    return json_text(feed, indent=2) + "\n"


@dataclass(frozen=True, slots=True)
class StatusPageFiles:
    """Where a page was written."""

    folder: Path
    index: Path
    atom: Path
    json: Path
    statements: int


def write_status_page(page: StatusPage, folder: Path) -> StatusPageFiles:
    """Write the page's three files into `folder` (created if missing), each atomically,
    the index last; the files are world-readable: the page is public."""
    folder = folder.expanduser()
    folder.mkdir(mode=PUBLIC_FOLDER_MODE, parents=True, exist_ok=True)
    contents = {
        ATOM_FEED: render_atom(page),
        JSON_FEED: render_json_feed(page),
        INDEX: render_html(page),
    }
    # check the feed is what it claims before anything is replaced
    json.loads(contents[JSON_FEED])
    for name in FILES:
        _replace(folder / name, contents[name])
    return StatusPageFiles(
        folder, folder / INDEX, folder / ATOM_FEED, folder / JSON_FEED, len(page.statements)
    )


def _replace(path: Path, text: str) -> None:
    """Write `path` through a temporary file beside it, so it is never seen half-written."""
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, PUBLIC_FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
