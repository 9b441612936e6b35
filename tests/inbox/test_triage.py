"""Triage as people do it: views, sort orders and paging, and the changes they make to threads."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, insert, select

from inbox import events
from inbox.core.clock import FixedClock
from inbox.core.errors import InvalidInput, NotFound, PermissionDenied
from inbox.core.models import Account, Contact, Event, Incident, Item, Thread
from inbox.service import InboxService
from inbox.triage import lists
from inbox.triage.changes import BulkResult
from inbox.triage.lists import Sort, ThreadFilter, View
from inbox.triage.notes import PresenceRow

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
AGENT_RULE = "agents change their own and unassigned threads"

PEOPLE = (
    ("alex", "Alex Kim", "agent"),
    ("blake", "Blake Okafor", "agent"),
    ("casey", "Casey Morgan", "lead"),
    ("sam", "Sam Reyes", "supervisor"),
)


@dataclass
class Team:
    """People, two accounts (X, and Facebook with Messenger's 24-hour window) and a customer."""

    engine: Engine
    clock: FixedClock
    accounts: dict[str, int]
    contact_id: int
    agents: dict[str, int]
    keys: itertools.count = field(default_factory=itertools.count)

    def service(self, handle: str) -> InboxService:
        return InboxService(self.engine, actor=handle, clock=self.clock)

    def thread(self, platform: str = "demo-x", *, assignee: str | None = None, **values) -> int:
        """A thread with plain defaults: an open, unassigned mention an hour old."""
        hour_ago = NOW - timedelta(hours=1)
        row = {
            "account_id": self.accounts[platform],
            "kind": "mention",
            "thread_key": f"k{next(self.keys)}",
            "contact_id": self.contact_id,
            "status": "open",
            "assignee_id": self.agents[assignee] if assignee else None,
            "priority": "normal",
            "preview": "is checkout down?",
            "item_count": 1,
            "unread": True,
            "first_inbound_at": hour_ago,
            "last_inbound_at": hour_ago,
            "last_activity_at": hour_ago,
            "created_at": hour_ago,
            "version": 1,
            **values,
        }
        with self.engine.begin() as connection:
            return connection.execute(insert(Thread.__table__).values(**row)).inserted_primary_key[
                0
            ]

    def incident(self, status: str = "active") -> int:
        with self.engine.begin() as connection:
            return connection.execute(
                insert(Incident.__table__).values(
                    title="Checkout outage", status=status, started_at=NOW - timedelta(hours=2)
                )
            ).inserted_primary_key[0]

    def events(self, *types: str) -> list[tuple[str, int | None, dict]]:
        table = Event.__table__
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(table.c.actor, table.c.thread_id, table.c.payload)
                .where(table.c.type.in_(types))
                .order_by(table.c.id)
            )
            return [(actor, thread_id, payload) for actor, thread_id, payload in rows]

    def version(self, thread_id: int) -> int:
        table = Thread.__table__
        with self.engine.connect() as connection:
            return connection.execute(
                select(table.c.version).where(table.c.id == thread_id)
            ).scalar_one()


@pytest.fixture
def team(engine, clock) -> Team:
    setup = InboxService(engine, clock=clock)
    agents = {handle: setup.add_agent(handle, name, role) for handle, name, role in PEOPLE}
    with engine.begin() as connection:
        accounts = {
            platform: connection.execute(
                insert(Account.__table__).values(
                    platform=platform,
                    handle=f"@brand-{platform}",
                    settings={},
                    enabled=True,
                    health="ok",
                    created_at=NOW,
                )
            ).inserted_primary_key[0]
            for platform in ("demo-x", "demo-facebook")
        }
        contact_id = connection.execute(
            insert(Contact.__table__).values(
                platform="demo-x",
                external_id="id-carol",
                handle="@carol",
                display_name="Carol",
                first_seen_at=NOW - timedelta(days=30),
            )
        ).inserted_primary_key[0]
    return Team(engine, clock, accounts, contact_id, agents)


@pytest.fixture(params=["few", "many"])
def matches(request, monkeypatch) -> str:
    """Run a test both ways a filter can be read: as what drives the query (few threads
    match) or as a check on the scan of the sort order's index (many match)."""
    if request.param == "many":
        monkeypatch.setattr(lists, "SPARSE_LIMIT", 0)
        monkeypatch.setattr(lists, "TAG_SPARSE_LIMIT", 0)
    return request.param


def ids(rows) -> list[int]:
    return [row.id for row in rows]


def everything(
    service: InboxService,
    query: ThreadFilter,
    page: int,
    between_pages: Callable[[], object] = lambda: None,
) -> list[int]:
    """Every row of `query`, read `page` rows at a time as a scrolling list does, calling
    `between_pages` before reading each page after the first."""
    rows = service.list_threads(query, limit=page)
    read = list(rows)
    while len(rows) == page:
        between_pages()
        rows = service.list_threads(query, after=rows[-1], limit=page)
        read.extend(rows)
        assert len(read) <= 100, "paging went round in circles"
    return ids(read)


# -- views ---------------------------------------------------------------------------------


def test_each_view_lists_exactly_its_threads(team, matches):
    thread = team.thread
    mine = thread(assignee="alex", kind="comment")
    blakes = thread(assignee="blake", kind="comment")
    dm = thread(kind="dm")
    comment = thread(kind="comment")
    mention = thread(kind="mention")
    breaching = thread(kind="comment", due_at=NOW - timedelta(minutes=5))
    due_later = thread(kind="comment", due_at=NOW + timedelta(hours=1))
    in_incident = thread(kind="comment", incident_id=team.incident())
    in_ended_incident = thread(kind="comment", incident_id=team.incident("ended"))
    asleep = thread(kind="dm", status="snoozed", snoozed_until=NOW + timedelta(hours=1))
    awake = thread(kind="dm", status="snoozed", snoozed_until=NOW - timedelta(minutes=1))
    pending = thread(kind="comment", status="pending")
    closed = thread(kind="mention", status="closed", closed_at=NOW)
    noted = thread(kind="comment")
    team.service("blake").add_note(noted, "@alex the customer is on the phone")

    open_ = {
        mine,
        blakes,
        dm,
        comment,
        mention,
        breaching,
        due_later,
        in_incident,
        in_ended_incident,
        awake,
        pending,
        noted,
    }
    expected = {
        View.MINE: {mine},
        View.UNASSIGNED: open_ - {mine, blakes},
        View.OPEN: open_,
        View.MENTIONS: {mention, noted},
        View.DMS: {dm, awake},
        View.COMMENTS: {
            mine,
            blakes,
            comment,
            breaching,
            due_later,
            in_incident,
            in_ended_incident,
            pending,
            noted,
        },
        View.BREACHING: {breaching},
        View.INCIDENT: {in_incident},
        View.SNOOZED: {asleep},
        View.CLOSED: {closed},
        View.SPAM: set(),
    }
    alex = team.service("alex")
    assert {view: set(ids(alex.list_threads(ThreadFilter(view=view)))) for view in View} == expected
    assert ids(team.service("blake").list_threads(ThreadFilter(view=View.MENTIONS))) == [mention]


def test_a_snooze_ends_by_itself_when_its_time_comes(team, clock):
    asleep = team.thread(status="snoozed", snoozed_until=NOW + timedelta(hours=2))
    alex = team.service("alex")
    assert ids(alex.list_threads(ThreadFilter(view=View.OPEN))) == []
    clock.advance(hours=2)
    assert ids(alex.list_threads(ThreadFilter(view=View.OPEN))) == [asleep]
    assert ids(alex.list_threads(ThreadFilter(view=View.SNOOZED))) == []


def test_a_thread_breaches_when_its_due_time_passes(team, clock, matches):
    waiting = team.thread(due_at=NOW + timedelta(minutes=30))
    alex = team.service("alex")
    assert alex.list_threads(ThreadFilter(view=View.BREACHING)) == []
    clock.advance(minutes=30)
    assert ids(alex.list_threads(ThreadFilter(view=View.BREACHING))) == [waiting]


# -- sort orders and paging ----------------------------------------------------------------


def _mixed_threads(team: Team) -> dict[int, dict]:
    """Thirty threads whose sort keys tie often and are sometimes missing."""
    made = {}
    for n in range(30):
        platform = "demo-facebook" if n % 3 == 0 else "demo-x"
        inbound = None if n % 7 == 3 else NOW - timedelta(hours=[2, 2, 5, 30, 30, 1][n % 6])
        values = {
            "kind": "dm" if n % 2 == 0 else "comment",
            "last_activity_at": NOW - timedelta(minutes=[10, 10, 10, 40, 90][n % 5]),
            "last_inbound_at": inbound,
            "due_at": None if n % 4 == 1 else NOW - timedelta(minutes=[15, 15, 60][n % 3]),
        }
        made[team.thread(platform, **values)] = {**values, "platform": platform}
    return made


def _expected_order(made: dict[int, dict], sort: Sort) -> list[int]:
    def newest(thread_id):
        return (-made[thread_id]["last_activity_at"].timestamp(), -thread_id)

    def nullable(name):
        present = [thread_id for thread_id in made if made[thread_id][name] is not None]
        missing = [thread_id for thread_id in made if made[thread_id][name] is None]
        return sorted(present, key=lambda thread_id: (made[thread_id][name], thread_id)) + sorted(
            missing
        )

    if sort == Sort.NEWEST:
        return sorted(made, key=newest)
    if sort == Sort.WAITING:
        return nullable("last_inbound_at")
    if sort == Sort.DUE:
        return nullable("due_at")

    def closes(thread_id):
        values = made[thread_id]
        if (
            values["platform"] != "demo-facebook"
            or values["kind"] != "dm"
            or values["last_inbound_at"] is None
        ):
            return None
        closing = values["last_inbound_at"] + timedelta(hours=24)
        return closing if closing > NOW else None

    windowed = [thread_id for thread_id in made if closes(thread_id) is not None]
    rest = [thread_id for thread_id in made if closes(thread_id) is None]
    return sorted(windowed, key=lambda thread_id: (closes(thread_id), thread_id)) + sorted(
        rest, key=newest
    )


@pytest.mark.parametrize("sort", list(Sort))
def test_every_sort_order_pages_through_ties_and_missing_values_without_gaps(team, sort):
    made = _mixed_threads(team)
    expected = _expected_order(made, sort)
    alex = team.service("alex")
    query = ThreadFilter(view=View.OPEN, sort=sort)
    assert everything(alex, query, page=4) == expected
    assert everything(alex, query, page=7) == expected
    assert ids(alex.list_threads(query, limit=100)) == expected


@pytest.mark.parametrize("sort", list(Sort))
def test_the_breaching_view_pages_in_every_sort_order(team, sort, matches):
    made = _mixed_threads(team)
    expected = [
        thread_id
        for thread_id in _expected_order(made, sort)
        if made[thread_id]["due_at"] is not None
    ]
    alex = team.service("alex")
    assert everything(alex, ThreadFilter(view=View.BREACHING, sort=sort), page=4) == expected


@pytest.mark.parametrize("sort", list(Sort))
@pytest.mark.parametrize("minutes", [2, -120], ids=["forward", "back"])
@pytest.mark.parametrize("page", [1, 4])
def test_paging_neither_skips_nor_repeats_a_thread_while_the_clock_moves(
    team, clock, sort, minutes, page
):
    """Reply windows close (or, with the clock set back, open again) between pages; the
    list still reads in the order it had at its first page."""
    made = _mixed_threads(team)
    for minutes_old in (23 * 60 + 59, 23 * 60 + 58, 25 * 60):
        inbound = NOW - timedelta(minutes=minutes_old)
        values = {
            "kind": "dm",
            "last_inbound_at": inbound,
            "last_activity_at": inbound,
            "due_at": None,
        }
        made[team.thread("demo-facebook", **values)] = {**values, "platform": "demo-facebook"}
    alex = team.service("alex")
    query = ThreadFilter(view=View.OPEN, sort=sort)
    read = everything(alex, query, page, between_pages=lambda: clock.advance(minutes=minutes))
    assert read == _expected_order(made, sort)


def test_the_window_sort_puts_open_reply_windows_first_and_says_when_they_close(team):
    closing_soon = team.thread(
        "demo-facebook", kind="dm", last_inbound_at=NOW - timedelta(hours=23)
    )
    closing_later = team.thread(
        "demo-facebook", kind="dm", last_inbound_at=NOW - timedelta(hours=1)
    )
    closed_window = team.thread(
        "demo-facebook", kind="dm", last_inbound_at=NOW - timedelta(hours=25)
    )
    no_window = team.thread("demo-x", kind="dm", last_activity_at=NOW)
    rows = team.service("alex").list_threads(ThreadFilter(sort=Sort.WINDOW))
    assert ids(rows) == [closing_soon, closing_later, no_window, closed_window]
    by_id = {row.id: row for row in rows}
    assert by_id[closing_soon].reply_window_closes_at == NOW + timedelta(hours=1)
    assert by_id[closed_window].reply_window_closes_at == NOW - timedelta(hours=1)
    assert by_id[no_window].reply_window_closes_at is None


@pytest.mark.parametrize("sort", list(Sort))
def test_snoozed_threads_wake_soonest_first_and_closed_ones_show_latest_first(team, sort):
    late = team.thread(status="snoozed", snoozed_until=NOW + timedelta(days=2))
    soon = team.thread(status="snoozed", snoozed_until=NOW + timedelta(hours=1))
    tie = team.thread(status="snoozed", snoozed_until=NOW + timedelta(hours=1))
    older = team.thread(status="closed", last_activity_at=NOW - timedelta(days=3))
    recent = team.thread(status="closed", last_activity_at=NOW - timedelta(hours=3))
    alex = team.service("alex")
    assert everything(alex, ThreadFilter(view=View.SNOOZED, sort=sort), page=2) == [soon, tie, late]
    assert everything(alex, ThreadFilter(view=View.CLOSED, sort=sort), page=1) == [recent, older]


# -- filters -------------------------------------------------------------------------------


def test_filters_narrow_a_view(team, matches):
    on_facebook = team.thread("demo-facebook", kind="dm")
    urgent = team.thread(priority="urgent", assignee="blake")
    refund = team.thread()
    plain = team.thread()
    casey = team.service("casey")
    casey.tag([refund], add=["Refund"])
    with team.engine.begin() as connection:
        connection.execute(
            insert(Item.__table__).values(
                account_id=team.accounts["demo-x"],
                thread_id=plain,
                direction="in",
                external_id="e1",
                text="my parcel never arrived",
                created_at=NOW,
            )
        )

    def listed(**options) -> set[int]:
        return set(ids(casey.list_threads(ThreadFilter(**options))))

    assert listed(platforms=frozenset({"demo-facebook"})) == {on_facebook}
    assert listed(platforms=frozenset({"demo-facebook", "demo-x"})) == {
        on_facebook,
        urgent,
        refund,
        plain,
    }
    assert listed(platforms=frozenset({"demo-youtube"})) == set()
    assert listed(account_id=team.accounts["demo-x"]) == {urgent, refund, plain}
    assert listed(tag="refund") == {refund}
    assert listed(assignee="blake") == {urgent}
    assert listed(assignee="none") == {on_facebook, refund, plain}
    assert listed(priority="urgent") == {urgent}
    assert listed(search_text="parcel arrived") == {plain}
    assert listed(search_text="parcel", view=View.CLOSED) == set()
    assert listed(search_text="  ") == {on_facebook, urgent, refund, plain}

    with pytest.raises(
        InvalidInput, match="no person with the handle 'nobody'; handles: alex, blake, casey, sam"
    ):
        casey.list_threads(ThreadFilter(assignee="nobody"))
    with pytest.raises(InvalidInput, match="unknown priority 'meh'"):
        casey.list_threads(ThreadFilter(priority="meh"))


def test_rows_carry_tags_account_version_and_whether_a_note_mentions_me(team):
    thread_id = team.thread()
    team.service("casey").tag([thread_id], add=["vip", "billing"])
    team.service("casey").add_note(thread_id, "@alex please call them back")
    alex_row = team.service("alex").thread(thread_id)
    assert (alex_row.tags, alex_row.account_handle, alex_row.version, alex_row.mentions_me) == (
        ("billing", "vip"),
        "@brand-demo-x",
        3,
        True,
    )
    assert team.service("blake").thread(thread_id).mentions_me is False


# -- changes and who may make them ---------------------------------------------------------


def test_leads_assign_and_agents_take_with_an_event_each(team):
    first, second = team.thread(), team.thread()
    casey, alex, blake = team.service("casey"), team.service("alex"), team.service("blake")

    assert casey.assign([first], "blake") == BulkResult((first,), {})
    with pytest.raises(
        PermissionDenied, match="alex is an agent; only leads and admins assign threads"
    ):
        alex.assign([second], "alex")
    assert alex.take([first, second]) == BulkResult(
        (second,), {first: f"assigned to blake; {AGENT_RULE}"}
    )
    assert blake.take([first]) == BulkResult((), {first: "already yours"})
    assert casey.assign([first, second], None) == BulkResult((first, second), {})

    assert team.events(events.ThreadAssigned.type) == [
        ("casey", first, {"from": None, "to": "blake"}),
        ("alex", second, {"from": None, "to": "alex"}),
        ("casey", first, {"from": "blake", "to": None}),
        ("casey", second, {"from": "alex", "to": None}),
    ]
    assert (team.version(first), team.version(second)) == (3, 3)
    with pytest.raises(InvalidInput, match="sam is a supervisor"):
        casey.assign([first], "sam")


@pytest.mark.parametrize(
    "change",
    [
        lambda service, thread_id: service.assign([thread_id], "alex"),
        lambda service, thread_id: service.take([thread_id]),
        lambda service, thread_id: service.tag([thread_id], add=["x"]),
        lambda service, thread_id: service.snooze([thread_id], NOW + timedelta(hours=1)),
        lambda service, thread_id: service.set_priority([thread_id], "high"),
        lambda service, thread_id: service.close([thread_id]),
        lambda service, thread_id: service.reopen([thread_id]),
        lambda service, thread_id: service.add_note(thread_id, "looks fine"),
        lambda service, thread_id: service.set_presence(thread_id, "replying"),
    ],
    ids=["assign", "take", "tag", "snooze", "priority", "close", "reopen", "note", "replying"],
)
def test_supervisors_read_and_change_nothing(team, change):
    thread_id = team.thread()
    with pytest.raises(
        PermissionDenied,
        match="sam is a supervisor; supervisors read threads and do not change them",
    ):
        change(team.service("sam"), thread_id)
    assert team.version(thread_id) == 1


def test_an_agent_changes_only_their_own_and_unassigned_threads_in_a_bulk_change(team):
    own = team.thread(assignee="alex")
    nobodys = team.thread()
    blakes = team.thread(assignee="blake")
    alex = team.service("alex")

    result = alex.tag([own, nobodys, blakes, 9_999], add=["refund"])
    assert result == BulkResult(
        (own, nobodys), {blakes: f"assigned to blake; {AGENT_RULE}", 9_999: "no such thread"}
    )
    tagged = team.events(events.ThreadTagged.type)
    assert [thread_id for _, thread_id, _ in tagged] == [own, nobodys]
    assert [team.version(thread_id) for thread_id in (own, nobodys, blakes)] == [2, 2, 1]
    assert alex.close([blakes, own]).refused == {blakes: f"assigned to blake; {AGENT_RULE}"}
    assert team.service("casey").close([blakes]).changed == (blakes,)


def test_tags_are_normalised_added_and_removed_with_events(team):
    thread_id = team.thread()
    alex = team.service("alex")
    assert alex.tag([thread_id], add=["  Refund Request ", "VIP"]).changed == (thread_id,)
    assert alex.tag([thread_id], add=["vip"]) == BulkResult(
        (), {thread_id: "its tags are already so"}
    )
    assert alex.tag([thread_id], add=["billing"], remove=["vip"]).changed == (thread_id,)
    assert alex.thread(thread_id).tags == ("billing", "refund-request")
    assert alex.tags_in_use() == ["billing", "refund-request"]
    assert team.events(events.ThreadTagged.type, events.ThreadUntagged.type) == [
        ("alex", thread_id, {"tags": ["refund-request", "vip"]}),
        ("alex", thread_id, {"tags": ["billing"]}),
        ("alex", thread_id, {"tags": ["vip"]}),
    ]
    with pytest.raises(InvalidInput, match="a tag cannot be empty"):
        alex.tag([thread_id], add=["   "])
    with pytest.raises(InvalidInput, match="too long"):
        alex.tag([thread_id], add=["x" * 65])


def test_snooze_close_and_reopen_change_the_status_with_events(team, clock):
    thread_id = team.thread(due_at=NOW + timedelta(minutes=30))
    alex = team.service("alex")
    with pytest.raises(InvalidInput, match="has passed; snooze until a time to come"):
        alex.snooze([thread_id], NOW - timedelta(minutes=1))

    until = NOW + timedelta(hours=2)
    assert alex.snooze([thread_id], until).changed == (thread_id,)
    row = alex.thread(thread_id)
    assert (row.status, row.snoozed_until, row.due_at) == ("snoozed", until, None)
    assert alex.reopen([thread_id]).changed == (thread_id,)
    assert alex.reopen([thread_id]).refused == {thread_id: "already open"}
    assert alex.close([thread_id]).changed == (thread_id,)
    assert alex.close([thread_id]).refused == {thread_id: "already closed"}
    assert alex.snooze([thread_id], until).refused == {thread_id: "closed; reopen it first"}
    assert alex.thread(thread_id).closed_at == NOW
    assert [payload for _, _, payload in team.events(events.ThreadStatusChanged.type)] == [
        {"from": "open", "to": "snoozed", "until": until.isoformat()},
        {"from": "snoozed", "to": "open"},
        {"from": "open", "to": "closed"},
    ]


def test_priority_changes_are_checked_and_recorded(team):
    thread_id = team.thread()
    alex = team.service("alex")
    assert alex.set_priority([thread_id], "urgent").changed == (thread_id,)
    assert alex.set_priority([thread_id], "urgent").refused == {thread_id: "already urgent"}
    assert alex.thread(thread_id).priority == "urgent"
    assert team.events(events.ThreadPriorityChanged.type) == [
        ("alex", thread_id, {"from": "normal", "to": "urgent"})
    ]
    with pytest.raises(
        InvalidInput, match="unknown priority 'asap'; priorities: low, normal, high, urgent"
    ):
        alex.set_priority([thread_id], "asap")


def test_reading_clears_unread_only_for_the_holder_or_on_unassigned_threads(team):
    blakes, nobodys = team.thread(assignee="blake"), team.thread()
    team.service("casey").mark_read(blakes)
    team.service("sam").mark_read(nobodys)
    assert (
        team.service("blake").thread(blakes).unread,
        team.service("alex").thread(nobodys).unread,
    ) == (True, True)
    team.service("blake").mark_read(blakes)
    team.service("alex").mark_read(nobodys)
    assert (
        team.service("blake").thread(blakes).unread,
        team.service("alex").thread(nobodys).unread,
    ) == (False, False)
    assert team.version(blakes) == 1
    with pytest.raises(NotFound):
        team.service("alex").mark_read(9_999)


# -- notes ---------------------------------------------------------------------------------


def test_a_note_mentions_colleagues_by_handle_but_not_email_addresses(team):
    thread_id = team.thread()
    alex = team.service("alex")
    note = alex.add_note(thread_id, "  @Blake please check; carol@example.com asked. cc @casey.  ")
    assert (note.author, note.body, note.mentions) == (
        "alex",
        "@Blake please check; carol@example.com asked. cc @casey.",
        ("blake", "casey"),
    )
    assert alex.notes(thread_id) == [note]
    assert team.events(events.NoteAdded.type) == [
        ("alex", thread_id, {"note_id": note.id, "mentions": ["blake", "casey"]})
    ]
    assert ids(team.service("blake").list_threads(ThreadFilter(view=View.MENTIONS))) == [thread_id]
    assert team.service("blake").thread(thread_id).mentions_me is True


def test_a_note_naming_no_colleague_is_refused_and_says_who_there_is(team):
    thread_id = team.thread()
    alex = team.service("alex")
    with pytest.raises(
        InvalidInput,
        match=(
            "@bob is no colleague's handle; nothing was saved. Handles: @alex, @blake, @casey, @sam"
        ),
    ):
        alex.add_note(thread_id, "ask @bob, he knows")
    with pytest.raises(InvalidInput, match="a note needs some text"):
        alex.add_note(thread_id, "   ")
    assert alex.notes(thread_id) == []
    assert team.version(thread_id) == 1


def test_mentioning_yourself_does_not_put_the_thread_under_your_mentions(team):
    thread_id = team.thread(kind="comment")
    alex = team.service("alex")
    alex.add_note(thread_id, "reminder for @alex: call back at 3")
    assert alex.list_threads(ThreadFilter(view=View.MENTIONS)) == []


# -- presence ------------------------------------------------------------------------------


def test_presence_shows_others_until_it_expires_and_events_only_mark_changes(team, clock):
    thread_id = team.thread()
    alex, blake = team.service("alex"), team.service("blake")
    alex.set_presence(thread_id, "viewing")
    assert blake.presence([thread_id]) == {thread_id: (PresenceRow("alex", "viewing"),)}
    assert alex.presence([thread_id]) == {}

    clock.advance(seconds=20)
    alex.set_presence(thread_id, "viewing")
    clock.advance(seconds=20)
    assert blake.presence([thread_id]) == {thread_id: (PresenceRow("alex", "viewing"),)}
    alex.set_presence(thread_id, "replying")
    clock.advance(seconds=31)
    assert blake.presence([thread_id]) == {}
    alex.set_presence(thread_id, "replying")
    alex.clear_presence(thread_id)
    alex.clear_presence(thread_id)
    assert blake.presence([thread_id]) == {}

    assert [payload["activity"] for _, _, payload in team.events(events.PresenceChanged.type)] == [
        "viewing",
        "replying",
        "replying",
        None,
    ]
    assert team.version(thread_id) == 1


def test_supervisors_may_be_seen_viewing(team):
    thread_id = team.thread()
    team.service("sam").set_presence(thread_id, "viewing")
    assert team.service("alex").presence([thread_id]) == {
        thread_id: (PresenceRow("sam", "viewing"),)
    }
    with pytest.raises(InvalidInput, match="unknown activity 'typing'"):
        team.service("alex").set_presence(thread_id, "typing")


# -- history and the author ----------------------------------------------------------------


def test_history_tells_what_happened_in_plain_sentences(team, clock):
    thread_id = team.thread(status="new")
    casey, blake = team.service("casey"), team.service("blake")
    casey.assign([thread_id], "blake")
    blake.tag([thread_id], add=["refund"])
    blake.tag([thread_id], remove=["refund"])
    blake.set_priority([thread_id], "urgent")
    blake.set_presence(thread_id, "viewing")
    blake.snooze([thread_id], NOW + timedelta(hours=2))
    blake.reopen([thread_id])
    blake.add_note(thread_id, "@casey can you approve a refund?")
    blake.close([thread_id])
    casey.assign([thread_id], None)
    with team.engine.begin() as connection:
        merged = events.UnknownEvent(type_name="thread.merged", raw={})
        events.record(connection, merged, at=NOW, actor="sync", thread_id=thread_id)

    entries = blake.history(thread_id)
    assert [entry.text for entry in entries] == [
        "casey assigned this to blake",
        "blake tagged it refund",
        "blake removed the tag refund",
        "blake set the priority to urgent (was normal)",
        "status new -> snoozed until 2026-11-02 11:00 UTC by blake",
        "status snoozed -> open by blake",
        "blake added a note mentioning casey",
        "status open -> closed by blake",
        "casey unassigned it from blake",
        "thread merged (sync)",
    ]
    first = entries[0]
    assert (first.actor, first.type, first.at) == ("casey", events.ThreadAssigned.type, NOW)
    assert blake.history(thread_id, limit=2) == entries[-2:]


def test_the_author_card_counts_their_threads_and_lists_the_others_newest_first(team):
    oldest = team.thread(last_activity_at=NOW - timedelta(days=3))
    newer = team.thread(last_activity_at=NOW - timedelta(days=1))
    current = team.thread()
    card = team.service("alex").author_card(current)
    assert (card.handle, card.display_name, card.platform, card.thread_count) == (
        "@carol",
        "Carol",
        "demo-x",
        3,
    )
    assert ids(card.other_threads) == [newer, oldest]
    anonymous = team.thread(contact_id=None)
    with pytest.raises(NotFound, match=f"thread {anonymous} has no known author"):
        team.service("alex").author_card(anonymous)
