"""The `inbox` command as a person uses it: real SQLite files, output read back."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from inbox.cli.main import main
from inbox.core.database import SCHEMA_HEAD, open_engine
from inbox.store.ingest import Store
from tests.support.items import add_account, item


@pytest.fixture
def db(tmp_path) -> str:
    return str(tmp_path / "inbox.db")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_db_upgrade_creates_the_schema_and_says_so(capsys, db):
    status, out, _ = run(capsys, "--db", db, "db", "upgrade")
    assert status == 0 and f"from empty to schema {SCHEMA_HEAD}" in out
    status, out, _ = run(capsys, "--db", db, "db", "upgrade")
    assert f"already at schema {SCHEMA_HEAD}" in out
    status, out, _ = run(capsys, "--db", db, "db", "status")
    assert f"schema: {SCHEMA_HEAD}; this inbox: {SCHEMA_HEAD}" in out


def test_people_are_added_and_listed_as_json(capsys, db):
    assert (
        run(capsys, "--db", db, "agents", "add", "casey", "--name", "Casey Lee", "--role", "lead")[
            0
        ]
        == 0
    )
    assert run(capsys, "--db", db, "--as", "casey", "agents", "list", "--format", "json")[0] == 0
    status, out, _ = run(capsys, "--db", db, "--as", "casey", "agents", "list", "--format", "json")
    assert json.loads(out) == [
        {"handle": "casey", "name": "Casey Lee", "role": "lead", "open_threads": 0, "capacity": 20}
    ]


def test_once_people_exist_only_an_admin_may_add_accounts(capsys, db):
    run(capsys, "--db", db, "agents", "add", "root", "--role", "admin")
    run(capsys, "--db", db, "--as", "root", "agents", "add", "alex")

    status, _, err = run(capsys, "--db", db, "--as", "alex", "accounts", "add", "demo-x", "brand")
    assert status == 4, "refused: the role does not allow it"
    assert "alex is an agent; only admin may manage accounts" in err

    status, out, _ = run(capsys, "--db", db, "--as", "root", "accounts", "add", "demo-x", "brand")
    assert status == 0 and "connected demo-x brand as account 1" in out

    status, _, err = run(capsys, "--db", db, "accounts", "remove", "1")
    assert status == 2 and "who are you?" in err


def test_accounts_are_listed_with_health_and_removed(capsys, db):
    run(capsys, "--db", db, "accounts", "add", "demo-mastodon", "@brand@demo.social")
    status, out, _ = run(capsys, "--db", db, "accounts", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["platform"], row["handle"], row["health"]) for row in rows] == [
        ("demo-mastodon", "'@brand@demo.social", "ok")  # a leading @ would start a formula
    ]

    status, out, _ = run(capsys, "--db", db, "accounts", "remove", "@brand@demo.social")
    assert "removed demo-mastodon @brand@demo.social" in out and "its threads kept" in out
    status, out, _ = run(capsys, "--db", db, "accounts", "list", "--format", "json")
    assert json.loads(out) == []
    status, out, _ = run(capsys, "--db", db, "accounts", "list", "--all", "--format", "json")
    assert json.loads(out)[0]["enabled"] == "removed"


def test_an_unknown_platform_is_refused_with_the_known_ones(capsys, db):
    status, _, err = run(capsys, "--db", db, "accounts", "add", "myspace", "brand")
    assert status == 2
    assert "unknown platform 'myspace'" in err and "demo-mastodon" in err


def test_a_platform_needing_a_secret_prompts_and_keeps_it_in_the_keyring(
    capsys, db, monkeypatch, isolated_machine
):
    from adapters import registry
    from tests.inbox.test_sync import ScriptedAdapter  # noqa: F401  (keeps the registry honest)

    class TokenAdapter(ScriptedAdapter):
        platform = "token-test"
        needs_credential = True

    monkeypatch.setitem(registry._ADAPTER_PATHS, "token-test", "x:y")
    monkeypatch.setattr(registry, "adapter_class", lambda name: TokenAdapter)
    monkeypatch.setattr("inbox.store.accounts.adapter_class", lambda name: TokenAdapter)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "tok-SECRET-123")

    status, out, err = run(capsys, "--db", db, "accounts", "add", "token-test", "brand")

    assert status == 0, err
    assert "tok-SECRET-123" not in out + err
    assert (
        isolated_machine.entries[("social-inbox", "token-test/brand")]
        == '{"access_token": "tok-SECRET-123"}'
    )
    with open(db, "rb") as database_file:
        assert b"tok-SECRET-123" not in database_file.read()


def test_export_writes_every_item_as_jsonl_and_csv(capsys, db, tmp_path):
    engine = open_engine(f"sqlite:///{db}")
    account = add_account(engine)
    Store(engine).ingest(account, "mentions", [item(str(n), f"t{n % 3}") for n in range(7)], None)
    engine.dispose()

    status, out, _ = run(capsys, "--db", db, "export", "items", "--format", "jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert [line["external_id"] for line in lines] == [str(n) for n in range(7)]
    assert lines[0]["created_at"] == "2026-11-02T08:00:00+00:00"

    target = tmp_path / "threads.csv"
    status, _, err = run(
        capsys, "--db", db, "export", "threads", "--format", "csv", "--out", str(target)
    )
    assert "wrote 3 threads" in err
    assert len(list(csv.DictReader(target.open()))) == 3


def test_every_command_has_help(capsys):
    for argv in (
        ["--help"],
        ["demo", "--help"],
        ["sync", "--help"],
        ["accounts", "add", "--help"],
        ["export", "--help"],
    ):
        with pytest.raises(SystemExit) as raised:
            main(argv)
        assert raised.value.code == 0
        assert "usage: inbox" in capsys.readouterr().out


def test_a_locked_or_broken_database_is_one_clear_line(capsys, tmp_path):
    not_a_database = tmp_path / "notes.txt"
    not_a_database.write_text("this is not a database\n" * 100)

    status, _, err = run(capsys, "--db", str(not_a_database), "agents", "list")

    assert status == 6, "unavailable: the database cannot be used"
    assert err == f"inbox: cannot open the database {not_a_database}: it is not a SQLite database\n"
    assert "Traceback" not in err


def test_sync_reports_progress_per_stream_and_a_summary(capsys, db):
    settings = (
        '{"seed": 5, "epoch": "2026-01-01T00:00:00+00:00", '
        '"rate_per_hour": 3600, "total_items": 300}'
    )
    run(capsys, "--db", db, "accounts", "add", "demo-email", "support@brand.example")
    run(capsys, "--db", db, "accounts", "add", "demo-x", "@brand")
    engine = open_engine(f"sqlite:///{db}")
    with engine.begin() as connection:
        connection.exec_driver_sql(f"UPDATE account SET settings = '{settings}'")
        connection.exec_driver_sql(
            "UPDATE account SET settings = json_set(settings, '$.fail_auth', json('true')) "
            "WHERE platform = 'demo-x'"
        )
    engine.dispose()

    status, out, err = run(capsys, "--db", db, "sync")

    assert status == 1, "an account that needs a new login makes the run fail"
    assert "demo-email support@brand.example (inbox): 300 new items" in err
    assert "demo-x @brand (mentions): the platform refused the credentials; log in again" in err
    assert out.strip() == "300 new items from 2 accounts"
    status, out, _ = run(capsys, "--db", db, "accounts", "list", "--format", "json")
    health = {row["platform"]: row["health"] for row in json.loads(out)}
    assert health == {"demo-email": "ok", "demo-x": "auth_expired"}


def test_the_database_comes_from_the_environment_when_not_given(capsys, tmp_path, monkeypatch):
    target = tmp_path / "from-env.db"
    monkeypatch.setenv("INBOX_DATABASE_URL", str(target))

    status, out, _ = run(capsys, "db", "status")

    assert status == 0
    assert f"database: sqlite:///{target}" in out


def test_the_same_commands_work_on_postgresql_and_sqlite(capsys, database_url):
    assert run(capsys, "--db", database_url, "agents", "add", "casey", "--role", "lead")[0] == 0
    assert run(capsys, "--db", database_url, "--as", "casey", "accounts", "list")[0] == 0
    status, out, _ = run(
        capsys, "--db", database_url, "--as", "casey", "agents", "list", "--format", "json"
    )
    assert [agent["handle"] for agent in json.loads(out)] == ["casey"]


def test_db_status_never_shows_the_database_password(capsys):
    url = "postgresql+psycopg://inbox:hunter2-secret@127.0.0.1:1/inbox"

    run(capsys, "--db", url, "db", "status")

    captured = capsys.readouterr()
    assert "hunter2-secret" not in captured.out + captured.err


def _mastodon_instance(request):
    """A hand-made stand-in for an instance's app registration, token and identity endpoints."""
    if request.url.path == "/api/v1/apps":
        return httpx.Response(200, json={"client_id": "app-id", "client_secret": "app-secret"})
    if request.url.path == "/oauth/token":
        form = dict(httpx.QueryParams(request.content.decode()))
        if form.get("code") != "code-from-page" or form.get("client_secret") != "app-secret":
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(200, json={"access_token": "good-token", "token_type": "Bearer"})
    if request.url.path != "/api/v1/accounts/verify_credentials":
        return httpx.Response(404, json={"error": "Not Found"})
    if request.headers.get("Authorization") != "Bearer good-token":
        return httpx.Response(401, json={"error": "The access token is invalid"})
    return httpx.Response(200, json={"id": "1", "acct": "brand", "username": "brand"})


@pytest.fixture
def instance(monkeypatch):
    monkeypatch.setattr(
        "inbox.cli.accounts.verification_client",
        lambda: httpx.AsyncClient(transport=httpx.MockTransport(_mastodon_instance)),
    )


def test_adding_an_account_checks_the_credentials_before_storing_them(
    capsys, db, monkeypatch, instance, isolated_machine
):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "good-token")

    status, out, err = run(
        capsys,
        "--db",
        db,
        "accounts",
        "add",
        "mastodon",
        "@brand@social.example",
        "--base-url",
        "https://social.example",
        "--manual",
    )

    assert status == 0, err
    assert "the credentials work: @brand on https://social.example" in out
    assert ("social-inbox", "mastodon/@brand@social.example") in isolated_machine.entries
    assert "good-token" not in out + err


def test_refused_credentials_are_reported_plainly_and_nothing_is_stored(
    capsys, db, monkeypatch, instance, isolated_machine
):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "expired-token")

    status, out, err = run(
        capsys,
        "--db",
        db,
        "accounts",
        "add",
        "mastodon",
        "@brand@social.example",
        "--base-url",
        "https://social.example",
        "--manual",
    )

    assert status == 2
    assert err.startswith("inbox: Mastodon refused these credentials")
    assert "nothing was stored" in err and "expired-token" not in err
    assert isolated_machine.entries == {}
    assert json.loads(run(capsys, "--db", db, "accounts", "list", "--format", "json")[1]) == []


def test_an_unreachable_platform_says_what_to_check(capsys, db, monkeypatch, isolated_machine):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "good-token")

    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    monkeypatch.setattr(
        "inbox.cli.accounts.verification_client",
        lambda: httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
    )
    status, _, err = run(
        capsys,
        "--db",
        db,
        "accounts",
        "add",
        "mastodon",
        "@b@x.example",
        "--base-url",
        "https://x.example",
        "--manual",
    )

    assert status == 2
    assert "could not reach Mastodon" in err and "--base-url" in err and "--no-check" in err
    assert isolated_machine.entries == {}


def _stats_workspace(db: str) -> None:
    """Two agents and a supervisor; a DM answered in 30 minutes, a mention waiting."""
    from datetime import UTC, datetime, timedelta

    from adapters.base import Direction, Kind
    from inbox.service import InboxService
    from tests.tui.workspace import message

    engine = open_engine(f"sqlite:///{db}")
    setup = InboxService(engine)
    setup.add_agent("root", "Root", "admin")
    admin = InboxService(engine, actor="root")
    admin.add_agent("drew", "Drew", "supervisor")
    admin.add_agent("alex", "Alex", "agent")
    account = add_account(engine, "demo-x", "brand")
    now = datetime.now(UTC)
    Store(engine).ingest(
        account,
        "mentions",
        [
            message("q1", "dm-1", now - timedelta(hours=2), "where is my order", kind=Kind.DM),
            message(
                "a1",
                "dm-1",
                now - timedelta(hours=1, minutes=30),
                "on its way",
                kind=Kind.DM,
                direction=Direction.OUT,
            ),
            message("q2", "mention-1", now - timedelta(minutes=20), "hello?"),
        ],
        None,
    )
    engine.dispose()


def test_stats_as_json_is_one_object_with_the_documented_members(capsys, db):
    _stats_workspace(db)
    status, out, _ = run(
        capsys,
        "--db",
        db,
        "--as",
        "drew",
        "stats",
        "--since",
        "7d",
        "--by",
        "kind",
        "--format",
        "json",
    )
    assert status == 0
    stats = json.loads(out)
    assert stats["first_response"] == {
        "count": 1,
        "p50_seconds": 1800.0,
        "p90_seconds": 1800.0,
        "mean_seconds": 1800.0,
    }
    assert {"p50_seconds", "p90_seconds", "mean_seconds", "count"} <= set(stats["resolution"])
    assert "hit_rate" in stats["sla"]
    assert stats["backlog"]["count"] == 1
    groups = {group["group"]: group for group in stats["by"]}
    assert set(groups) == {"dm", "mention"}
    assert groups["dm"]["first_response"]["count"] == 1
    assert groups["mention"]["backlog"]["count"] == 1
    assert "hit_rate" in groups["dm"]["sla"]


def test_stats_as_a_table_and_csv(capsys, db):
    _stats_workspace(db)
    status, out, _ = run(capsys, "--db", db, "--as", "drew", "stats", "--since", "1d")
    assert status == 0
    assert "first response" in out and "30m 00s" in out
    assert "backlog now     1 waiting" in out
    status, out, _ = run(
        capsys, "--db", db, "--as", "drew", "stats", "--by", "platform", "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(row["group"], row["inbound"], row["outbound"]) for row in rows] == [
        ("demo-x", "2", "1")
    ]


def test_an_agent_gets_only_their_own_stats(capsys, db):
    _stats_workspace(db)
    status, out, _ = run(capsys, "--db", db, "--as", "alex", "stats", "--format", "json")
    stats = json.loads(out)
    assert stats["scope"] == "own (alex)"
    assert stats["first_response"]["count"] == 0 and stats["backlog"]["count"] == 0


def test_stats_refuses_a_period_it_cannot_read(capsys, db):
    _stats_workspace(db)
    status, _, err = run(capsys, "--db", db, "--as", "drew", "stats", "--since", "last tuesday")
    assert status == 2 and "cannot read 'last tuesday' as a time" in err


@pytest.mark.parametrize("name", ["report.html", "report.md"])
def test_report_writes_numbers_and_embedded_plots(capsys, db, tmp_path, name):
    _stats_workspace(db)
    out_path = tmp_path / name
    status, out, _ = run(
        capsys, "--db", db, "--as", "drew", "report", "--since", "2d", "--out", str(out_path)
    )
    assert status == 0 and str(out_path) in out
    text = out_path.read_text()
    assert "first response" in text and "30m 00s" in text
    if name.endswith(".html"):
        assert text.count("data:image/svg+xml;base64,") == 2, "one file, its charts inside"
    else:
        charts = ["report-volume.svg", "report-first-response.svg"]
        assert all(f"]({chart})" in text and (tmp_path / chart).exists() for chart in charts)
        assert "base64" not in text
    assert "demo-x" in text


def test_report_needs_a_known_extension(capsys, db, tmp_path):
    _stats_workspace(db)
    status, _, err = run(
        capsys, "--db", db, "--as", "drew", "report", "--out", str(tmp_path / "r.pdf")
    )
    assert status == 2 and "name it .html or .md" in err


def test_mastodon_is_connected_by_authorizing_the_app_and_pasting_the_code(
    capsys, db, monkeypatch, instance, isolated_machine
):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "code-from-page")

    status, out, err = run(
        capsys,
        "--db",
        db,
        "accounts",
        "add",
        "mastodon",
        "@brand@social.example",
        "--base-url",
        "https://social.example",
    )

    assert status == 0, err
    assert "https://social.example/oauth/authorize?response_type=code&client_id=app-id" in out
    assert "the credentials work: @brand on https://social.example" in out
    assert (
        isolated_machine.entries[("social-inbox", "mastodon/@brand@social.example")]
        == '{"access_token": "good-token"}'
    )


def test_a_wrong_code_is_refused_plainly(capsys, db, monkeypatch, instance, isolated_machine):
    monkeypatch.setattr("getpass.getpass", lambda prompt: "typo")

    status, _, err = run(
        capsys,
        "--db",
        db,
        "accounts",
        "add",
        "mastodon",
        "@brand@social.example",
        "--base-url",
        "https://social.example",
    )

    assert status == 2
    assert "Mastodon failed while logging in" in err and "nothing was stored" in err
    assert isolated_machine.entries == {}
