"""The PostgreSQL test server starts, keeps databases apart, stays on loopback, and stops.

When no server can be had, it says why in one sentence; those cases are simulated.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import skip_or_fail

from . import postgres as postgres_module
from .postgres import (
    SERVER_URL_VARIABLE,
    PostgresFailed,
    PostgresServer,
    PostgresUnavailable,
    TemporaryCluster,
    ensure_postgres,
    find_server_bindir,
    libpq_url,
    wait_until_accepting,
)


@pytest.fixture
def postgres(postgres_server: PostgresServer | PostgresUnavailable) -> PostgresServer:
    """The session's server from conftest, which hands over the reason when there is none."""
    if isinstance(postgres_server, PostgresUnavailable):
        skip_or_fail(str(postgres_server))
    return postgres_server


@pytest.fixture
def server_bindir(postgres: PostgresServer) -> Path:
    bindir = find_server_bindir()
    if bindir is None:
        pytest.skip(
            f"the server comes from {SERVER_URL_VARIABLE} and this machine has no "
            "PostgreSQL server programs to start a private one with"
        )
    return bindir


def database_names(server: PostgresServer) -> set[str]:
    with psycopg.connect(libpq_url(server.admin_url)) as connection:
        rows = connection.execute("SELECT datname FROM pg_database").fetchall()
    return {name for (name,) in rows}


@pytest.mark.integration
def test_each_new_database_starts_empty_and_keeps_its_own_rows(postgres: PostgresServer) -> None:
    urls = [postgres.create_database(), postgres.create_database()]
    names = {make_url(url).database for url in urls}
    written, untouched = (create_engine(url) for url in urls)
    try:
        with written.begin() as connection:
            connection.execute(text("CREATE TABLE note (body text)"))
            connection.execute(text("INSERT INTO note VALUES ('hello')"))
        with written.connect() as connection:
            assert connection.execute(text("SELECT body FROM note")).scalars().all() == ["hello"]
        with untouched.connect() as connection:
            table_count = connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            ).scalar_one()
            assert table_count == 0
    finally:
        written.dispose()
        untouched.dispose()
        for url in urls:
            postgres.drop_database(url)
    assert len(names) == 2
    assert not names & database_names(postgres)


@pytest.mark.integration
def test_a_database_is_dropped_even_while_a_connection_is_open(postgres: PostgresServer) -> None:
    url = postgres.create_database()
    forgotten_connection = psycopg.connect(libpq_url(url))
    try:
        postgres.drop_database(url)
        assert make_url(url).database not in database_names(postgres)
    finally:
        forgotten_connection.close()


@pytest.mark.integration
def test_a_copy_of_a_template_database_has_its_tables(postgres: PostgresServer) -> None:
    template_url = postgres.create_database()
    template = create_engine(template_url)
    with template.begin() as connection:
        connection.execute(text("CREATE TABLE schema_marker (id int)"))
    template.dispose()
    copy_url = postgres.create_database(template_url=template_url)
    copy = create_engine(copy_url)
    try:
        with copy.connect() as connection:
            assert connection.execute(text("SELECT to_regclass('schema_marker')")).scalar_one()
    finally:
        copy.dispose()
        postgres.drop_database(copy_url)
        postgres.drop_database(template_url)


@pytest.mark.integration
def test_the_private_server_listens_on_loopback_only(postgres: PostgresServer) -> None:
    if not isinstance(postgres, TemporaryCluster):
        pytest.skip(f"the server comes from {SERVER_URL_VARIABLE}; where it listens is up to it")
    with psycopg.connect(libpq_url(postgres.admin_url)) as connection:
        assert connection.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
    if shutil.which("ss"):
        port = make_url(postgres.admin_url).port
        listening = subprocess.run(
            ["ss", "--listening", "--tcp", "--numeric", "--no-header", "sport", "=", f":{port}"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        local_addresses = {line.split()[3].rsplit(":", 1)[0] for line in listening.splitlines()}
        assert local_addresses == {"127.0.0.1"}


@pytest.mark.integration
def test_a_server_named_by_the_environment_is_used_and_never_stopped(
    postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SERVER_URL_VARIABLE, libpq_url(postgres.admin_url))
    named = ensure_postgres()
    assert named.admin_url == postgres.admin_url
    assert not isinstance(named, TemporaryCluster)
    named.stop()
    wait_until_accepting(libpq_url(postgres.admin_url), timeout=0)


@pytest.mark.integration
def test_stop_shuts_the_private_server_down_and_removes_its_directory(server_bindir) -> None:
    cluster = TemporaryCluster(server_bindir)
    cluster.start()
    admin_url, directory = cluster.admin_url, cluster.directory
    wait_until_accepting(libpq_url(admin_url), timeout=0)
    cluster.stop()
    assert not directory.exists()
    with pytest.raises(PostgresFailed, match="did not accept connections"):
        wait_until_accepting(libpq_url(admin_url), timeout=0)
    cluster.stop()


@pytest.mark.integration
def test_a_server_that_cannot_start_quotes_its_log(server_bindir) -> None:
    cluster = TemporaryCluster(server_bindir, settings={"shared_buffers": "plenty"})
    with pytest.raises(PostgresFailed, match='invalid value for parameter "shared_buffers"'):
        cluster.start()
    assert cluster.directory is None


def fail_if_called(*args: object, **kwargs: object) -> None:
    raise AssertionError("apt-get must not run in this situation")


@pytest.mark.parametrize(
    ("root", "apt_get", "expected_start"),
    [
        (False, "/usr/bin/apt-get", "PostgreSQL is not installed and installing needs root: "),
        (False, None, "PostgreSQL is not installed and this machine has no apt-get "),
        (True, None, "PostgreSQL is not installed and this machine has no apt-get "),
    ],
    ids=["not-root", "no-apt-not-root", "no-apt-root"],
)
def test_missing_programs_give_a_one_sentence_reason(
    monkeypatch: pytest.MonkeyPatch, root: bool, apt_get: str | None, expected_start: str
) -> None:
    """Simulated: discovery is patched to find no server programs; nothing is installed."""
    monkeypatch.delenv(SERVER_URL_VARIABLE, raising=False)
    monkeypatch.setattr(postgres_module, "find_server_bindir", lambda: None)
    monkeypatch.setattr(postgres_module, "find_apt_get", lambda: apt_get)
    monkeypatch.setattr(postgres_module, "running_as_root", lambda: root)
    monkeypatch.setattr(postgres_module, "_run_apt", fail_if_called)

    with pytest.raises(PostgresUnavailable) as caught:
        ensure_postgres()

    reason = str(caught.value)
    assert reason.startswith(expected_start)
    assert reason.endswith(".") and "\n" not in reason
    assert SERVER_URL_VARIABLE in reason


def fake_apt(outcomes: dict[str, list[tuple[int, str]]], calls: list[str]) -> Callable:
    def run_apt(argv: list[str], *, timeout: float) -> subprocess.CompletedProcess:
        verb = argv[1]
        calls.append(verb)
        returncode, output = outcomes[verb].pop(0)
        return subprocess.CompletedProcess(argv, returncode, stdout=output)

    return run_apt


@pytest.mark.parametrize(
    ("outcomes", "expected_calls", "expected_reason"),
    [
        ({"install": [(0, "")]}, ["install"], None),
        (
            {
                "install": [(100, "E: Unable to locate package postgresql"), (0, "")],
                "update": [(0, "")],
            },
            ["install", "update", "install"],
            None,
        ),
        (
            {"install": [(100, "E: Could not get lock /var/lib/dpkg/lock-frontend")]},
            ["install"],
            "`apt-get install postgresql` failed (exit 100): E: Could not get lock ",
        ),
    ],
    ids=["installed", "lists-missing", "locked"],
)
def test_apt_updates_its_lists_only_when_the_package_is_unknown(
    monkeypatch: pytest.MonkeyPatch,
    outcomes: dict[str, list[tuple[int, str]]],
    expected_calls: list[str],
    expected_reason: str | None,
) -> None:
    """Simulated: apt-get is replaced by canned results; nothing is installed."""
    calls: list[str] = []
    monkeypatch.setattr(postgres_module, "find_apt_get", lambda: "/usr/bin/apt-get")
    monkeypatch.setattr(postgres_module, "running_as_root", lambda: True)
    monkeypatch.setattr(postgres_module, "_run_apt", fake_apt(outcomes, calls))
    monkeypatch.setattr(postgres_module, "_stop_clusters_the_install_started", lambda: None)

    if expected_reason is None:
        postgres_module.install_with_apt()
    else:
        with pytest.raises(PostgresUnavailable, match=re.escape(expected_reason)):
            postgres_module.install_with_apt()
    assert calls == expected_calls


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [("true", pytest.fail.Exception), ("", pytest.skip.Exception)],
    ids=["ci-fails", "local-skips"],
)
def test_an_unavailable_postgres_skips_except_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("CI", ci)
    reason = PostgresUnavailable("PostgreSQL is not installed and installing needs root: ...")
    with pytest.raises(outcome, match="installing needs root"):
        skip_or_fail(str(reason))
