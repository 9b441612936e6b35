"""A PostgreSQL server for the test suite: one named by the environment, or a private cluster.

`ensure_postgres()` returns a running server. With `INBOX_TEST_POSTGRES_URL` set it uses
that server as it is and never stops it; otherwise it finds the PostgreSQL server programs
(installing them with apt when it is root and they are missing), initdb's a throwaway
cluster in a temporary directory (in /dev/shm when there is room), and starts it on
127.0.0.1 at a free port. Only what was started here is ever stopped.

Errors form a small tree, so the test suite can skip on one and stop on the other::

    PostgresError
    ├── PostgresUnavailable   no server can be had on this machine: skip (fail under CI)
    └── PostgresFailed        a server was there or was started, and did not work
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

SERVER_URL_VARIABLE = "INBOX_TEST_POSTGRES_URL"
SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"
SERVER_SYSTEM_USER = "postgres"
DATABASE_NAME_PREFIX = "inbox_test_"

APT_INSTALL_TIMEOUT_S = 600
APT_UPDATE_TIMEOUT_S = 300
INITDB_TIMEOUT_S = 60
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 30
READY_TIMEOUT_S = 10
PORT_ATTEMPTS = 3
LOG_TAIL_LINES = 25
MEMORY_FILESYSTEM = Path("/dev/shm")
MEMORY_FILESYSTEM_MIN_FREE_BYTES = 1 << 30

FAST_TEST_SETTINGS: Mapping[str, str] = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}
"""Settings of every private cluster: loopback only, and durability traded for speed."""


class PostgresError(Exception):
    """Base of every error raised while providing a PostgreSQL server."""


class PostgresUnavailable(PostgresError):
    """No PostgreSQL can be had on this machine; the text is one sentence saying why."""


class PostgresFailed(PostgresError):
    """A PostgreSQL server was expected to work and did not; the text carries its log's tail."""


class PostgresServer:
    """A server at `admin_url` that someone else runs: databases come and go, the server stays."""

    def __init__(self, admin_url: str | None) -> None:
        self._admin_url = admin_url
        self._created_database_names: set[str] = set()

    @property
    def admin_url(self) -> str:
        """The `postgresql+psycopg://` SQLAlchemy URL of the superuser's maintenance database."""
        if self._admin_url is None:
            raise RuntimeError("the PostgreSQL server is not running")
        return self._admin_url

    def create_database(self, *, template_url: str | None = None) -> str:
        """Create a uniquely named database and return its SQLAlchemy URL.

        It is empty, or a copy of the database at `template_url` (which nobody may be
        connected to): cloning a migrated template is cheaper than migrating each time.
        """
        name = DATABASE_NAME_PREFIX + secrets.token_hex(6)
        create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template_url is not None:
            template_name = make_url(template_url).database
            create = sql.SQL("{} TEMPLATE {}").format(create, sql.Identifier(template_name))
        with self._admin_connection() as connection:
            connection.execute(create)
        self._created_database_names.add(name)
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by `create_database`, closing any connection still open to it."""
        name = make_url(url).database
        if name not in self._created_database_names:
            raise ValueError(f"refusing to drop {name!r}: it was not created by this helper")
        with self._admin_connection() as connection:
            drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            if connection.info.server_version >= 130000:
                drop = sql.SQL("{} WITH (FORCE)").format(drop)
            connection.execute(drop)
        self._created_database_names.discard(name)

    def stop(self) -> None:
        """Leave the server running: it was not started here."""

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _admin_connection(self) -> psycopg.Connection:
        return psycopg.connect(libpq_url(self.admin_url), autocommit=True)


class TemporaryCluster(PostgresServer):
    """A private cluster in a temporary directory, started here and removed again by `stop`."""

    def __init__(self, bindir: Path, *, settings: Mapping[str, str] | None = None) -> None:
        super().__init__(admin_url=None)
        self.bindir = bindir
        self.settings = {**FAST_TEST_SETTINGS, **(settings or {})}
        self.directory: Path | None = None

    @property
    def log_path(self) -> Path:
        """The server's log file, inside the cluster's temporary directory."""
        return self._require_directory() / "server.log"

    @property
    def data_directory(self) -> Path:
        """The cluster's data directory (PGDATA)."""
        return self._require_directory() / "data"

    def start(self) -> None:
        """Create the cluster and start it on a free loopback port, waiting until it accepts."""
        if self.directory is not None:
            raise RuntimeError("the cluster has already been started")
        self.directory = Path(
            tempfile.mkdtemp(prefix="inbox-test-postgres-", dir=cluster_parent_directory())
        )
        atexit.register(self.stop)
        try:
            if running_as_root():
                _give_to_server_user(self.directory)
            self._initdb()
            self._write_settings()
            self._start_on_a_free_port()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its directory; nothing happens twice."""
        if self.directory is None:
            return
        try:
            if (self.data_directory / "postmaster.pid").exists():
                self._stop_server()
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
            self._admin_url = None
            atexit.unregister(self.stop)

    def _initdb(self) -> None:
        initdb = [
            str(self.bindir / "initdb"),
            f"--pgdata={self.data_directory}",
            f"--username={SUPERUSER}",
            "--encoding=UTF8",
            "--locale=C",
            "--auth-local=trust",
            "--auth-host=trust",
            "--no-sync",
        ]
        result = self._run_as_server_user(initdb, timeout=INITDB_TIMEOUT_S)
        if result.returncode != 0:
            raise PostgresFailed(
                f"initdb failed (exit {result.returncode}):\n{_tail(result.stdout)}"
            )

    def _write_settings(self) -> None:
        settings = {**self.settings, "unix_socket_directories": str(self.directory)}
        lines = [f"{key} = {_quote_setting(value)}" for key, value in settings.items()]
        with (self.data_directory / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# Test-suite settings\n" + "\n".join(lines) + "\n")

    def _start_on_a_free_port(self) -> None:
        for _attempt in range(PORT_ATTEMPTS):
            port = free_loopback_port()
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            pg_ctl = [
                str(self.bindir / "pg_ctl"),
                "start",
                f"--pgdata={self.data_directory}",
                f"--log={self.log_path}",
                "--wait",
                f"--timeout={START_TIMEOUT_S}",
                f"--options=-p {port}",
            ]
            result = self._run_as_server_user(pg_ctl, timeout=START_TIMEOUT_S + 10)
            new_log = self._read_log(since=log_offset)
            if result.returncode == 0:
                self._admin_url = URL.create(
                    "postgresql+psycopg",
                    username=SUPERUSER,
                    host="127.0.0.1",
                    port=port,
                    database="postgres",
                ).render_as_string(hide_password=False)
                wait_until_accepting(libpq_url(self._admin_url), timeout=READY_TIMEOUT_S)
                return
            if "could not bind" not in new_log:
                raise PostgresFailed(
                    f"PostgreSQL did not start (pg_ctl exited {result.returncode}); "
                    + (f"the end of its log:\n{_tail(new_log)}" if new_log.strip()
                       else f"pg_ctl said:\n{_tail(result.stdout)}")
                )  # fmt: skip
        raise PostgresFailed(
            f"PostgreSQL found no free port in {PORT_ATTEMPTS} tries; "
            f"the end of {self.log_path.name}:\n{_tail(new_log)}"
        )

    def _stop_server(self) -> None:
        for mode in ("fast", "immediate"):
            pg_ctl = [
                str(self.bindir / "pg_ctl"),
                "stop",
                f"--pgdata={self.data_directory}",
                f"--mode={mode}",
                "--wait",
                f"--timeout={STOP_TIMEOUT_S}",
            ]
            try:
                result = self._run_as_server_user(pg_ctl, timeout=STOP_TIMEOUT_S + 10)
            except PostgresFailed:
                continue
            if result.returncode == 0:
                return

    def _run_as_server_user(
        self, argv: list[str], *, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                as_server_user(argv),
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PostgresFailed(
                f"{Path(argv[0]).name} did not finish within {timeout:g} s; "
                f"the end of the server's log:\n{_tail(self._read_log(since=0))}"
            ) from None

    def _read_log(self, *, since: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(since)
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _require_directory(self) -> Path:
        if self.directory is None:
            raise RuntimeError("the cluster has not been started")
        return self.directory


def ensure_postgres() -> PostgresServer:
    """Return a running PostgreSQL server, starting a private one when none was named.

    Raises `PostgresUnavailable` when this machine cannot have one, and `PostgresFailed`
    when a server was there but did not work.
    """
    named_url = os.environ.get(SERVER_URL_VARIABLE)
    if named_url:
        server = PostgresServer(sqlalchemy_url(named_url))
        wait_until_accepting(libpq_url(server.admin_url), timeout=READY_TIMEOUT_S)
        return server
    bindir = find_server_bindir()
    if bindir is None:
        install_with_apt()
        bindir = find_server_bindir()
        if bindir is None:
            raise PostgresUnavailable(
                "apt-get installed PostgreSQL, but its server programs "
                f"({', '.join(SERVER_PROGRAMS)}) are still nowhere to be found."
            )
    cluster = TemporaryCluster(bindir)
    cluster.start()
    return cluster


def find_server_bindir() -> Path | None:
    """The directory holding initdb, pg_ctl and postgres, or None when they are not installed."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            result = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            result = None
        if result is not None and result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: _version_key(path.parent.name),
        reverse=True,
    )
    initdb_on_path = shutil.which("initdb")
    if initdb_on_path:
        candidates.append(Path(initdb_on_path).resolve().parent)
    return next((path for path in candidates if _has_server_programs(path)), None)


def find_apt_get() -> str | None:
    """The path of apt-get, or None on a machine without it."""
    return shutil.which("apt-get")


def install_with_apt() -> None:
    """Install the PostgreSQL server with apt-get, or raise `PostgresUnavailable` saying why not."""
    if find_apt_get() is None:
        raise PostgresUnavailable(
            "PostgreSQL is not installed and this machine has no apt-get to install it with: "
            "install the PostgreSQL server so that initdb is on PATH, or set "
            f"{SERVER_URL_VARIABLE} to the URL of a server you run."
        )
    if not running_as_root():
        raise PostgresUnavailable(
            "PostgreSQL is not installed and installing needs root: run "
            f"`sudo apt-get install postgresql`, or set {SERVER_URL_VARIABLE} to the URL of "
            "a server you run."
        )
    install = [
        "apt-get", "install", "--yes", "-qq", "--no-install-recommends",
        "-o", "DPkg::Lock::Timeout=120", "postgresql",
    ]  # fmt: skip
    result = _run_apt(install, timeout=APT_INSTALL_TIMEOUT_S)
    if result.returncode != 0 and re.search(
        r"Unable to locate package|has no installation candidate", result.stdout
    ):
        update = _run_apt(["apt-get", "update", "-qq"], timeout=APT_UPDATE_TIMEOUT_S)
        if update.returncode != 0:
            raise PostgresUnavailable(
                f"PostgreSQL is not installed and `apt-get update` failed "
                f"(exit {update.returncode}): {_last_line(update.stdout)}"
            )
        result = _run_apt(install, timeout=APT_INSTALL_TIMEOUT_S)
    if result.returncode != 0:
        raise PostgresUnavailable(
            f"PostgreSQL is not installed and `apt-get install postgresql` failed "
            f"(exit {result.returncode}): {_last_line(result.stdout)}"
        )
    _stop_clusters_the_install_started()


def wait_until_accepting(conninfo: str, *, timeout: float) -> None:
    """Poll until the server answers a query, or raise `PostgresFailed` once `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(conninfo, connect_timeout=2) as connection:
                connection.execute("SELECT 1")
            return
        except psycopg.OperationalError as error:
            if time.monotonic() >= deadline:
                raise PostgresFailed(
                    f"PostgreSQL at {make_url(conninfo).render_as_string()} did not accept "
                    f"connections within {timeout:g} s: {error}"
                ) from error
        time.sleep(0.05)


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing was listening on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cluster_parent_directory() -> Path:
    """Where private clusters go: /dev/shm when it is roomy, which halves initdb; else the temp dir.

    Docker's default 64 MB /dev/shm is too small for a cluster, hence the free-space floor.
    """
    try:
        stats = os.statvfs(MEMORY_FILESYSTEM)
    except OSError:
        return Path(tempfile.gettempdir())
    roomy = stats.f_bavail * stats.f_frsize >= MEMORY_FILESYSTEM_MIN_FREE_BYTES
    if roomy and os.access(MEMORY_FILESYSTEM, os.W_OK | os.X_OK):
        return MEMORY_FILESYSTEM
    return Path(tempfile.gettempdir())


def running_as_root() -> bool:
    """Whether this process runs as root, which PostgreSQL itself refuses to do."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def as_server_user(argv: list[str]) -> list[str]:
    """The command line that runs `argv` as the user the server may run as."""
    if not running_as_root():
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_SYSTEM_USER, "--", *argv]
    return ["su", SERVER_SYSTEM_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]


def sqlalchemy_url(url: str) -> str:
    """`url` as a `postgresql+psycopg://` SQLAlchemy URL, whatever PostgreSQL scheme it had."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"{SERVER_URL_VARIABLE} must be a postgresql:// URL, not {url!r}")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL in the plain `postgresql://` form that libpq reads."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _give_to_server_user(directory: Path) -> None:
    import pwd

    try:
        server_user = pwd.getpwnam(SERVER_SYSTEM_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"PostgreSQL refuses to run as root and there is no {SERVER_SYSTEM_USER!r} "
            f"system user to run it as: create one, or set {SERVER_URL_VARIABLE}."
        ) from None
    os.chown(directory, server_user.pw_uid, server_user.pw_gid)


def _stop_clusters_the_install_started() -> None:
    """Stop the Debian "main" cluster that installing the package may have started.

    No packaged cluster could run before the install (its programs were missing), so every
    cluster online now was started by it.
    """
    if shutil.which("pg_lsclusters") is None:
        return
    listing = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30, check=False
    )
    for line in listing.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[3].startswith("online"):
            version, name = fields[0], fields[1]
            subprocess.run(
                ["pg_ctlcluster", "--mode", "fast", version, name, "stop"],
                capture_output=True,
                timeout=STOP_TIMEOUT_S + 10,
                check=False,
            )


def _run_apt(argv: list[str], *, timeout: float) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            argv,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PostgresUnavailable(
            f"PostgreSQL is not installed and `{shlex.join(argv)}` did not finish "
            f"within {timeout:g} s."
        ) from None


def _has_server_programs(directory: Path) -> bool:
    return all(
        (directory / program).is_file() and os.access(directory / program, os.X_OK)
        for program in SERVER_PROGRAMS
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def _quote_setting(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _tail(text: str) -> str:
    return "\n".join(text.rstrip().splitlines()[-LOG_TAIL_LINES:])


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else "no output"
    return last if last.endswith(".") else last + "."
