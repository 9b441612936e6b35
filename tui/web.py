"""`inbox serve`: the inbox in a browser, one `inbox tui` process per browser session.

textual-serve (Textualize's server for Textual apps) starts a shell command for each
browser websocket and relays its terminal. The command here is always the same
`inbox tui --no-sync`; who the session acts as reaches the child in its environment
(INBOX_AS), never in the command. It comes from the reverse proxy's header that names the
signed-in person (`--user-header`) or, for one person on this machine, from `--as`. A
request whose person cannot be told, or who is no active person here, is refused before
anything starts: with a plain page for the page itself, with a sentence on the terminal
for its websocket.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import shlex
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from inbox import Conflict, Context, InboxService, InvalidInput, NotFound, PermissionDenied

PAGE_FOLDER = Path(__file__).with_name("web_page")
"""The page template browsers get (textual-serve's, asking nothing of other hosts)."""

TITLE = "Social inbox"

HANDLE = re.compile(r"[\w-]{1,64}")
"""What a handle may be (as `inbox agents add` checks it), so a header's value is one."""

HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,64}")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
"""How a browser on this machine may name it, when the server listens on loopback."""

CHILD_STOP_SECONDS = 10.0


class Refused(Exception):
    """A browser request turned away: the HTTP status and a sentence for the person."""

    def __init__(self, status: int, sentence: str) -> None:
        super().__init__(sentence)
        self.status = status
        self.sentence = sentence


def is_loopback(host: str) -> bool:
    """Whether `host` is an address or name only this machine reaches."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def person_in(headers: Any, header: str) -> str:
    """The handle the proxy's `header` names; Refused when it is missing, doubled or no handle."""
    values = headers.getall(header, [])
    if not values:
        raise Refused(
            401,
            f"you are not signed in: the proxy in front of this inbox sent no {header} "
            "header, so the inbox cannot tell who you are",
        )
    if len(values) > 1:
        raise Refused(400, f"the request names more than one person ({header} is repeated)")
    handle = values[0].strip().lstrip("@")
    if not HANDLE.fullmatch(handle):
        raise Refused(
            403,
            f"the {header} header names no handle here: a handle is letters, digits, - and _ "
            "only (`inbox agents list` shows them)",
        )
    return handle


class People:
    """Tells whether a handle is an active person in the server's database."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def check(self, handle: str) -> str:
        """The person's handle as stored; NotFound or PermissionDenied when they cannot act.

        The setup admin, which an unknown handle becomes before any admin exists, is
        nobody: a browser session is always a person.
        """
        actor = InboxService(self.engine, actor=handle).actor
        if actor.agent_id is None or actor.handle.lower() != handle.lower():
            raise NotFound(f"no person with the handle {handle!r} here (`inbox agents list`)")
        return actor.handle


class InboxServer(Server):
    """textual-serve's server, with each session's person told and checked before it starts."""

    def __init__(
        self,
        *,
        command: str,
        host: str,
        port: int,
        public_url: str,
        environment: Mapping[str, str],
        people: People,
        user_header: str | None = None,
        person: str | None = None,
    ) -> None:
        super().__init__(
            command,
            host=host,
            port=port,
            title=TITLE,
            public_url=public_url,
            templates_path=PAGE_FOLDER,
        )
        self.environment = dict(environment)
        self.people = people
        self.user_header = user_header
        self.person = person
        self.allowed_hosts = _allowed_hosts(host, port, public_url)

    def _check_host(self, request: web.Request) -> None:
        """Refuse a Host this server is not (a rebound DNS name), and a websocket that a page
        from another origin opened (another site driving the inbox as this person)."""
        if request.host.lower() not in self.allowed_hosts:
            raise Refused(421, f"this inbox is not served as {request.host!r}")
        origin = request.headers.get("Origin")
        if request.path == "/ws" and (
            origin is None or urlsplit(origin).netloc.lower() not in self.allowed_hosts
        ):
            raise Refused(403, "the page that opened this connection is not the inbox's own")

    async def _person(self, request: web.Request) -> str:
        """Who this request acts as, checked against the database; Refused otherwise."""
        if self.user_header is not None:
            handle = person_in(request.headers, self.user_header)
        else:
            handle = self.person or ""
        try:
            return await asyncio.to_thread(self.people.check, handle)
        except (NotFound, PermissionDenied, InvalidInput) as error:
            raise Refused(403, str(error)) from None

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, for a person who may have it; a plain page saying why, for anyone else."""
        try:
            self._check_host(request)
            await self._person(request)
        except Refused as refused:
            return _refused_page(refused)
        return await super().handle_index(request)

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        """One browser session: its own `inbox tui` as its person, or the reason it has none."""
        try:
            self._check_host(request)
        except Refused as refused:
            return _refused_page(refused)
        try:
            person = await self._person(request)
        except Refused as refused:
            return await self._refuse_on_terminal(request, refused)
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        session = PersonSession(
            self.command,
            environment={**self.environment, "INBOX_AS": person},
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=websocket.close,
            download_manager=self.download_manager,
        )
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        try:
            await session.start(width, height)
            await self._process_messages(websocket, session)
        finally:
            await session.end()
        return websocket

    async def _refuse_on_terminal(
        self, request: web.Request, refused: Refused
    ) -> web.StreamResponse:
        """Say why on the page's terminal and keep the connection open, so the sentence stays
        on screen (a closed one is covered by "Session ended")."""
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        await websocket.send_bytes(terminal_text(refused.sentence))
        async for message in websocket:
            if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
                break
        return websocket

    async def on_startup(self, app: web.Application) -> None:
        """Say where the inbox is served and as whom, in one line."""
        who = (
            f"each browser as the person its {self.user_header} header names"
            if self.user_header
            else f"as {self.person}, for this machine only"
        )
        print(f"inbox: serving the inbox on {self.public_url}, {who}; ctrl+c stops", flush=True)


class PersonSession(AppService):
    """One browser session's `inbox tui`, with its person in its environment.

    Should the child end before it draws anything (its own identity checks refused the
    person, the database went away), the last line it wrote to standard error is shown on
    the page instead of a blank terminal.
    """

    def __init__(self, command: str, *, environment: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self.environment = dict(environment)
        self.drew = False
        self.error_output = bytearray()

    def _build_environment(self, width: int = 80, height: int = 24) -> dict[str, str]:
        """textual-serve's environment for the web driver, with the person and the database."""
        return {**super()._build_environment(width=width, height=height), **self.environment}

    async def _open_app_process(self, width: int = 80, height: int = 24) -> Any:
        """Start the child, keeping a copy of what it writes to standard error."""
        process = await super()._open_app_process(width, height)
        process.stderr = _KeptStream(process.stderr, self.error_output)
        return process

    async def on_data(self, payload: bytes) -> None:
        """Relay a frame to the browser, noting that the app drew."""
        self.drew = True
        await super().on_data(payload)

    async def end(self) -> None:
        """Ask the child to quit, and end it by its pid if it has not within a few seconds."""
        try:
            await asyncio.wait_for(self.stop(), CHILD_STOP_SECONDS)
        except TimeoutError:
            if self._process is not None and self._process.returncode is None:
                self._process.kill()

    async def run(self) -> None:
        """Relay the child until it ends; say why when it ended without drawing."""
        await super().run()
        if not self.drew:
            await self.remote_write_bytes(terminal_text(_why_it_ended(self.error_output)))


class _KeptStream:
    """A child's standard error, read as usual and kept (up to 64 KiB) as it is read."""

    LIMIT = 65_536

    def __init__(self, stream: asyncio.StreamReader, kept: bytearray) -> None:
        self.stream = stream
        self.kept = kept

    async def read(self, size: int = -1) -> bytes:
        """Read from the stream, keeping a copy."""
        data = await self.stream.read(size)
        self.kept.extend(data[: max(0, self.LIMIT - len(self.kept))])
        return data


def _why_it_ended(error_output: bytes) -> str:
    """The child's own sentence (`inbox: ...`), else a pointer to the server's log."""
    lines = error_output.decode("utf-8", "replace").strip().splitlines()
    said = [line.removeprefix("inbox: ") for line in lines if line.startswith("inbox: ")]
    if said:
        return said[-1]
    return "the inbox stopped before it could start; the server's log says why"


def terminal_text(sentence: str) -> bytes:
    """`sentence` as a terminal shows it: on a cleared screen, wrapped, with a way out."""
    import textwrap

    lines = textwrap.wrap(f"inbox: {sentence}", 76) + ["", "Reload the page to try again."]
    return ("\x1b[2J\x1b[H\r\n" + "".join(f"  {line}\r\n" for line in lines)).encode()


def _refused_page(refused: Refused) -> web.Response:
    return web.Response(
        status=refused.status,
        text=f"inbox: {refused.sentence}\n",
        content_type="text/plain",
        charset="utf-8",
    )


def _allowed_hosts(host: str, port: int, public_url: str) -> frozenset[str]:
    """The Host (and Origin) names this server answers to: its public address, its own
    address, and on loopback the names of this machine."""
    names = {urlsplit(public_url).netloc.lower(), _netloc(host, port)}
    if is_loopback(host):
        names.update(f"{name}:{port}" for name in LOOPBACK_NAMES)
    return frozenset(names)


def _netloc(host: str, port: int) -> str:
    bare = host.strip("[]").lower()
    return f"[{bare}]:{port}" if ":" in bare else f"{bare}:{port}"


# -- the command ------------------------------------------------------------------------


def serve(context: Context) -> int:
    """`inbox serve`: check who it serves and where, then serve until interrupted."""
    options = context.options
    header = options.user_header
    if header is not None and not HEADER_NAME.fullmatch(header):
        raise InvalidInput(f"--user-header {header!r} is not a header name (e.g. X-Forwarded-User)")
    if header is not None and options.actor is not None:
        raise InvalidInput(
            "--as and --user-header do not go together: behind the proxy each browser is the "
            "person its header names; leave out --as"
        )
    person = None if header is not None else context.identity()
    if header is None and not is_loopback(options.host):
        raise InvalidInput(
            f"--host {options.host} would let anyone who reaches it act as {person or 'you'}: "
            "serve on 127.0.0.1, or behind a reverse proxy that signs people in, naming its "
            'header with --user-header X-Forwarded-User (README, "In a browser")'
        )
    if header is None and person is None:
        raise InvalidInput(
            "who does the browser act as? pass --as HANDLE to serve yourself on this machine, "
            "or --user-header X-Forwarded-User behind a reverse proxy that signs people in "
            '(README, "In a browser")'
        )
    people = People(context.engine(create=False))
    if person is not None:
        person = people.check(person)
    public_url = options.public_url or f"http://{_netloc(options.host, options.port)}"
    server = InboxServer(
        command=shlex.join([sys.executable, "-m", "tui.launcher", "tui", "--no-sync"]),
        host=options.host,
        port=options.port,
        public_url=public_url.rstrip("/"),
        environment=_child_environment(context),
        people=people,
        user_header=header,
        person=person,
    )
    try:
        server.serve()
    except OSError as error:
        if error.errno == 98:
            raise Conflict(f"{options.host}:{options.port} is in use already (--port)") from None
        raise InvalidInput(
            f"cannot serve on {options.host}:{options.port}: {error.strerror or error}"
        ) from None
    return 0


def _child_environment(context: Context) -> dict[str, str]:
    """What each session's `inbox tui` needs to open the server's database and config."""
    environment = {"INBOX_DATABASE_URL": context.database_url()}
    if context.options.config is not None:
        environment["INBOX_CONFIG"] = str(Path(context.options.config).expanduser().resolve())
    return environment
