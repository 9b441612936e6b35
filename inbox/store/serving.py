"""Which accounts this process may serve: those whose secret its keyring holds.

Credentials stay where they are. On a team, only the machines that run `inbox worker`
hold the platforms' secrets; every other process (a person's TUI, an `inbox sync` on a
laptop) sees the same accounts in the database but cannot talk to the platforms for them.
Such a process never takes an account's lease, polls it, sends for it, or records its
health: a refusal it provoked by having no token would otherwise mark the account
`auth_expired` for everyone. The sync engine and the sender both ask here.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from adapters.registry import UnknownPlatform, adapter_class
from inbox.core.errors import CredentialStoreUnavailable
from inbox.core.models import Account

if TYPE_CHECKING:
    from inbox.core.credentials import CredentialStore

log = logging.getLogger(__name__)

NOT_HELD = (
    "its secret is not in this machine's keyring; a machine that has it polls it "
    "(`inbox worker` there)"
)
"""Why a process skips an account it cannot serve, in plain words."""

RECHECK_SECONDS = 10.0
"""How long an answer from the keyring is kept before it is asked again."""

_account = Account.__table__


def needs_credential(platform: str) -> bool:
    """Whether talking to `platform` takes a secret; an unknown platform is assumed to."""
    try:
        return adapter_class(platform).needs_credential
    except UnknownPlatform:
        return True


class ServedAccounts:
    """Answers "may this process serve that account?" from its keyring, the same way for the
    sync engine and the sender.

    An account whose platform needs no secret (the demo) is served by everyone. With
    `credentials` None (the demo, tests that bring their own adapters) every account is.
    A keyring that cannot be read holds nothing; that is logged once.
    """

    def __init__(
        self,
        credentials: CredentialStore | None,
        *,
        recheck_seconds: float = RECHECK_SECONDS,
        monotonic=time.monotonic,
    ) -> None:
        self.credentials = credentials
        self.recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._answers: dict[tuple[str, str], tuple[bool, float]] = {}
        self._unreadable_logged = False

    @property
    def serves_everything(self) -> bool:
        """True when no keyring is consulted: every account is served."""
        return self.credentials is None

    def serves(self, platform: str, handle: str) -> bool:
        """Whether this process holds what it takes to poll and send for the account."""
        if self.credentials is None or not needs_credential(platform):
            return True
        key = (platform, handle)
        now = self._monotonic()
        known = self._answers.get(key)
        if known is not None and now - known[1] < self.recheck_seconds:
            return known[0]
        held = self._holds(platform, handle)
        self._answers[key] = (held, now)
        return held

    def _holds(self, platform: str, handle: str) -> bool:
        assert self.credentials is not None
        try:
            return self.credentials.get(platform, handle) is not None
        except CredentialStoreUnavailable as error:
            if not self._unreadable_logged:
                self._unreadable_logged = True
                log.warning(
                    "the keyring cannot be read, so this process serves no account that "
                    "needs a secret: %s",
                    error,
                    extra={"event": "keyring.unreadable"},
                )
            return False

    def account_ids(self, connection: Connection, *, enabled_only: bool = False) -> set[int]:
        """The ids of the accounts in the database this process serves."""
        query = select(_account.c.id, _account.c.platform, _account.c.handle)
        if enabled_only:
            query = query.where(_account.c.enabled.is_(True))
        return self.among(connection.execute(query).all())

    def among(self, accounts: Iterable[tuple[int, str, str]]) -> set[int]:
        """The ids of (id, platform, handle) rows this process serves."""
        return {
            account_id for account_id, platform, handle in accounts if self.serves(platform, handle)
        }
