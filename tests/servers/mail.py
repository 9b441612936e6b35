"""Real mail servers on 127.0.0.1 for the email adapter's integration tests.

`start_mail_servers(users)` runs Dovecot (IMAP and LMTP; apt-installed when missing and
root) from a private config in a temporary directory, and in front of it an aiosmtpd
SMTP server that hands every message to Dovecot over LMTP: real SMTP in, real IMAP out.
Everything binds 127.0.0.1 on free ports; `stop()` ends what was started here, by pid.

    MailServerError
    ├── MailServerUnavailable   no Dovecot or aiosmtpd can be had here: skip (fail under CI)
    └── MailServerFailed        they were there and did not start
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.servers.apt import apt_install

APT_PACKAGES = ("dovecot-imapd", "dovecot-lmtpd")
APT_TIMEOUT_S = 600
READY_TIMEOUT_S = 15
STOP_TIMEOUT_S = 15
MAIL_SYSTEM_USER = "mail"
DOMAIN = "example.test"


class MailServerError(Exception):
    """Base of every error raised while providing the mail servers."""


class MailServerUnavailable(MailServerError):
    """The servers cannot be had on this machine; the text says why in one sentence."""


class MailServerFailed(MailServerError):
    """The servers were installed and did not start; the text carries Dovecot's log."""


@dataclass
class MailServers:
    """Dovecot and the SMTP front, with their loopback ports and the users' passwords."""

    directory: Path
    dovecot: subprocess.Popen[bytes]
    smtp_controller: Any
    imap_port: int
    lmtp_port: int
    smtp_port: int
    passwords: dict[str, str] = field(default_factory=dict)
    start_seconds: float = 0.0

    def address(self, user: str) -> str:
        """The mail address of one of the users."""
        return f"{user}@{DOMAIN}"

    def stop(self) -> None:
        """Stop the SMTP front and Dovecot (by pid), and remove the temporary directory."""
        try:
            self.smtp_controller.stop()
        except (RuntimeError, AssertionError):
            pass
        if self.dovecot.poll() is None:
            self.dovecot.send_signal(signal.SIGTERM)
            try:
                self.dovecot.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.dovecot.kill()
                self.dovecot.wait(timeout=STOP_TIMEOUT_S)
        shutil.rmtree(self.directory, ignore_errors=True)


def find_dovecot() -> str | None:
    """The dovecot binary, or None when it is not installed."""
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot",) if os.access(path, os.X_OK)), None
    )


def install_dovecot() -> str:
    """Install Dovecot's IMAP and LMTP servers with apt-get, or say why that cannot happen."""
    failure = apt_install(APT_PACKAGES, "Dovecot", APT_TIMEOUT_S)
    dovecot = find_dovecot()
    if failure is not None or dovecot is None:
        raise MailServerUnavailable(
            failure or f"`apt-get install {' '.join(APT_PACKAGES)}` installed no Dovecot"
        )
    return dovecot


@contextlib.contextmanager
def mail_servers_for_a_test(passwords: dict[str, str]) -> Iterator[MailServers]:
    """`start_mail_servers` for one test, stopped after it: the test is skipped (failed under
    CI=true) when the servers cannot be had here, and failed when they do not start."""
    import pytest

    from tests.conftest import skip_or_fail

    try:
        running = start_mail_servers(passwords)
    except MailServerUnavailable as error:
        skip_or_fail(f"mail servers: {error}")
    except MailServerFailed as error:
        pytest.fail(f"mail servers: {error}")
    try:
        yield running
    finally:
        running.stop()


def start_mail_servers(passwords: dict[str, str]) -> MailServers:
    """Start Dovecot with these users (name → password) and the SMTP front.

    Wait until both answer.
    """
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        raise MailServerUnavailable(
            "aiosmtpd is not installed: `pip install aiosmtpd` (a test dependency)."
        ) from None
    if os.geteuid() != 0:
        raise MailServerUnavailable(
            "the private Dovecot runs as root (it drops to the mail user); run the tests as root."
        )
    dovecot = find_dovecot() or install_dovecot()
    started = time.monotonic()
    directory = Path(tempfile.mkdtemp(prefix="inbox-test-dovecot-"))
    imap_port, lmtp_port = _free_port(), _free_port()
    try:
        _write_config(directory, passwords, imap_port, lmtp_port)
        process = subprocess.Popen(
            [dovecot, "-F", "-c", str(directory / "dovecot.conf")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    if not _wait_for_port(imap_port, process) or not _wait_for_port(lmtp_port, process):
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
        log = (
            (directory / "dovecot.log").read_text(errors="replace")
            if (directory / "dovecot.log").exists()
            else ""
        )
        shutil.rmtree(directory, ignore_errors=True)
        raise MailServerFailed(
            f"Dovecot did not listen within {READY_TIMEOUT_S} s; its log ended:\n{log[-3000:]}"
        )
    controller = Controller(_LmtpRelay(lmtp_port), hostname="127.0.0.1", port=_free_port())
    controller.start()
    return MailServers(
        directory=directory,
        dovecot=process,
        smtp_controller=controller,
        imap_port=imap_port,
        lmtp_port=lmtp_port,
        smtp_port=controller.port,
        passwords=dict(passwords),
        start_seconds=time.monotonic() - started,
    )


class _LmtpRelay:
    """An aiosmtpd handler that delivers each accepted message to Dovecot over LMTP.

    Set `drops_after_delivery` to n and the next n messages are delivered, then the
    connection is cut before the client hears 250: a server that took a message and died.
    """

    def __init__(self, lmtp_port: int) -> None:
        self.lmtp_port = lmtp_port
        self.drops_after_delivery = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import asyncio

        def deliver() -> list[str]:
            refused = []
            with smtplib.LMTP("127.0.0.1", self.lmtp_port, timeout=10) as lmtp:
                # One transaction per recipient: smtplib.LMTP reads one reply after DATA,
                # and LMTP answers once per recipient.
                for recipient in envelope.rcpt_tos:
                    try:
                        lmtp.sendmail(
                            envelope.mail_from,
                            [recipient],
                            envelope.original_content or envelope.content,
                        )
                    except smtplib.SMTPRecipientsRefused:
                        refused.append(recipient)
            return refused

        try:
            refused = await asyncio.to_thread(deliver)
        except (OSError, smtplib.SMTPException):
            return "451 4.3.0 delivery to the mailbox failed"
        if self.drops_after_delivery > 0:
            self.drops_after_delivery -= 1
            server.transport.abort()
        if len(refused) == len(envelope.rcpt_tos):
            return "550 5.1.1 no such mailbox here"
        return "250 2.0.0 delivered" if not refused else "250 2.0.0 delivered to some recipients"


def _write_config(
    directory: Path, passwords: dict[str, str], imap_port: int, lmtp_port: int
) -> None:
    mail_user = pwd.getpwnam(MAIL_SYSTEM_USER)
    (directory / "mail").mkdir()
    os.chown(directory / "mail", mail_user.pw_uid, mail_user.pw_gid)
    for name in ("run", "state"):
        (directory / name).mkdir()
    directory.chmod(0o755)
    users = "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in passwords.items())
    (directory / "users").write_text(users)
    (directory / "dovecot.conf").write_text(
        f"""
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
listen = 127.0.0.1
protocols = imap lmtp
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{directory}/mail/%n
first_valid_uid = {mail_user.pw_uid}
mail_uid = {mail_user.pw_uid}
mail_gid = {mail_user.pw_gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {directory}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={directory}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  auth_username_format = %n
}}
"""
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False
