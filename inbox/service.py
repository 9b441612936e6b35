"""InboxService: the one object the TUI and CLI talk to.

It knows who is acting, checks what their role allows, and records every change in the
event log in the same transaction. Reads come back as small frozen records, never live
ORM objects, so a UI can hold them without holding a session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from inbox import answers, events
from inbox.answers import AnswerImport, AnswerMatch, StoredAnswer
from inbox.core.access import BOOTSTRAP_ACTOR, Action, Actor
from inbox.core.clock import Clock, utc_now
from inbox.core.database import write_transaction
from inbox.core.errors import InvalidInput, NotFound, PermissionDenied
from inbox.core.models import OutboundStatus, Role
from inbox.crisis.desk import CrisisDesk
from inbox.outbox import kept_drafts
from inbox.outbox.drafts import Author, Draft, OutboundKind, draft
from inbox.outbox.queue import (
    CampaignKind,
    CampaignSummary,
    OutboundRow,
    approve,
    author_id,
    campaign_summaries,
    cancel,
    outbound_rows,
    queue,
    queue_campaign,
    reject,
    retry,
)
from inbox.outbox.targets import Target, account_target, thread_target
from inbox.sla import SlaPolicy, refresh_due_at
from inbox.store import accounts, export, identity, people, team_settings
from inbox.store.accounts import AccountSummary
from inbox.store.people import AgentSummary, PersonChanged
from inbox.triage import changes, history, lists, messages, notes, notifications, undo
from inbox.triage.changes import BulkResult
from inbox.triage.history import AuthorCard, HistoryEntry
from inbox.triage.lists import ThreadFilter, ThreadRow
from inbox.triage.messages import ItemRow
from inbox.triage.notes import NoteRow, PresenceRow
from inbox.triage.notifications import NotificationRow, WaitingCounts
from inbox.triage.undo import Undo, UndoableResult

if TYPE_CHECKING:
    from collections.abc import Awaitable

    import httpx

    from adapters.base import LoginPrompt
    from canned_responses.library import CannedResponse as PreparedAnswer
    from inbox.core.assignment_rules import AssignmentRules
    from inbox.core.config import StatusPageOutput
    from inbox.core.credentials import CredentialStore
    from inbox.core.notifications import NotificationKind
    from inbox.core.notify import EventWaker
    from inbox.core.sla_settings import SlaSettings
    from inbox.crisis.email_updates import EmailAudience
    from inbox.sla import DueThread
    from inbox.stats.figures import Stats
    from inbox.stats.periods import Period
    from inbox.store.subscribers import SubscriberImport, SubscriberRow
    from inbox.store.workers import WorkerRecord
    from inbox.triage.acknowledgements import AcknowledgementRules
    from inbox.triage.auto_assign import PassReport as AssignmentPass
    from inbox.triage.auto_assign import PersonLoad, TeamAssignment


class InboxService(CrisisDesk):
    """The backend as people use it (the crisis toolkit's actions in `inbox.crisis.desk`)."""

    def __init__(
        self,
        engine: Engine,
        *,
        actor: str | None = None,
        clock: Clock = utc_now,
        sla_policy: SlaPolicy | None = None,
        identity_required: bool = True,
        status_page_output: StatusPageOutput | None = None,
    ) -> None:
        """`identity_required=False` is for reads that need nobody in particular (`agents
        list`): without an identity the actor may read, and every change is refused.
        `status_page_output` is this machine's config for the status page it writes."""
        self.engine = engine
        self.clock = clock
        self.status_page_output = status_page_output
        self._fixed_sla_policy = sla_policy
        """A policy given here (tests, benchmarks) in place of the team's, in the database."""
        self._team_sla = team_settings.TeamSlaPolicy()
        self.actor = self._resolve_actor(actor, required=identity_required)
        self._answer_finder = answers.AnswerFinder()

    def _resolve_actor(self, handle: str | None, *, required: bool = True) -> Actor:
        with self.engine.connect() as connection:
            return identity.resolve_actor(connection, handle, required=required)

    @property
    def in_setup(self) -> bool:
        """Whether the setup admin is acting: no admin exists yet, and this is no person's login."""
        return self.actor == BOOTSTRAP_ACTOR

    def connected_as_person(self) -> str | None:
        """The handle of the person whose own database login this is (PostgreSQL), or None."""
        with self.engine.connect() as connection:
            return identity.login_person(connection)

    def require(self, action: Action) -> None:
        """Raise PermissionDenied unless the actor's role allows `action`."""
        self.actor.require(action)

    def can(self, action: Action) -> bool:
        """Whether the actor's role allows `action`."""
        return self.actor.can(action)

    # -- accounts -------------------------------------------------------------------------

    def list_accounts(self, *, include_removed: bool = False) -> list[AccountSummary]:
        """Every connected account (the removed too, with `include_removed`): its health, open
        thread count, latest success and error, and when it is polled next."""
        with self.engine.connect() as connection:
            return accounts.list_accounts(connection, include_removed=include_removed)

    def add_account(
        self,
        platform: str,
        handle: str,
        *,
        display_name: str | None = None,
        base_url: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> int:
        """Connect an account, or bring a removed one back with its history; returns its id.

        Its secret goes to the keyring separately (`obtain_credential` gets one).
        """
        self.require(Action.MANAGE_ACCOUNTS)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            return accounts.add_account(
                connection,
                platform,
                handle,
                display_name=display_name,
                base_url=base_url,
                settings=settings,
                actor=self.actor,
                now=now,
            )

    def find_account(self, reference: str) -> AccountSummary:
        """An account by id or handle (a removed one too)."""
        with self.engine.connect() as connection:
            return accounts.find_account(connection, str(reference))

    def account_named(self, platform: str, handle: str) -> AccountSummary | None:
        """The account of `platform` and `handle`, removed or not, if there is one."""
        with self.engine.connect() as connection:
            return accounts.account_named(connection, platform, handle)

    def remove_account(self, reference: str, *, purge: bool = False) -> AccountSummary:
        """Stop syncing an account and list it no more, its history kept (adding it again
        brings it back); with `purge`, delete it and everything it brought in."""
        self.require(Action.MANAGE_ACCOUNTS)
        account = self.find_account(reference)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            accounts.remove_account(connection, account.id, purge=purge, actor=self.actor, now=now)
        return account

    def set_account_enabled(self, reference: str, enabled: bool) -> accounts.AccountChange:
        """Start (`enabled`) or stop polling and sending for an account."""
        self.require(Action.MANAGE_ACCOUNTS)
        account = self.find_account(reference)
        with write_transaction(self.engine) as connection:
            changed = accounts.set_enabled(
                connection, account, enabled, actor=self.actor, now=self.clock()
            )
        return accounts.AccountChange(self.find_account(str(account.id)), changed)

    def change_account_settings(
        self, reference: str, assignments: Sequence[str]
    ) -> accounts.AccountChange:
        """Set an account's options from `name=value` words (an empty value: the default),
        checked against what its platform declares."""
        self.require(Action.MANAGE_ACCOUNTS)
        account = self.find_account(reference)
        changes = accounts.parse_settings(account.platform, assignments)
        with write_transaction(self.engine) as connection:
            before = dict(account.settings)
            after = accounts.change_settings(
                connection, account, changes, actor=self.actor, now=self.clock()
            )
        return accounts.AccountChange(self.find_account(str(account.id)), after != before)

    def obtain_credential(
        self,
        platform: str,
        handle: str,
        prompt: LoginPrompt,
        *,
        base_url: str | None = None,
        settings: dict[str, Any] | None = None,
        manual: bool = False,
        check: bool = True,
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
    ) -> accounts.ObtainedCredential:
        """Walk a person through the platform's login (or, `manual` or without one, ask for
        its credential fields through `prompt`) and check the secret; nothing is stored.

        A refusal, an unreachable platform or a failed flow is one InvalidInput that says
        nothing was stored. The secret is never in a message.
        """
        from adapters.base import AccountRef

        self.require(Action.MANAGE_ACCOUNTS)
        platform_class = accounts.platform_class(platform)
        if not platform_class.needs_credential:
            return accounts.ObtainedCredential(secret=None, identity=None, checked=False)
        account = AccountRef(
            id=0, platform=platform, handle=handle, base_url=base_url, settings=settings or {}
        )
        name = platform_class.display_name
        secret = None
        if not manual:
            secret = self._call_platform(
                name,
                "logging in",
                lambda client: platform_class.log_in(account, client, prompt),
                client_factory,
            )
        if secret is None:
            secret = self._ask_credential(platform_class.credential_fields, prompt)
        if not check:
            return accounts.ObtainedCredential(secret=dict(secret), identity=None, checked=False)
        identity = self._call_platform(
            name,
            "checking the credentials",
            lambda client: platform_class(account, client, secret).verify(),
            client_factory,
        )
        checked = identity is not None
        return accounts.ObtainedCredential(
            secret=dict(secret),
            identity=identity or f"{platform_class.display_name} cannot check credentials",
            checked=checked,
        )

    @staticmethod
    def _call_platform(
        name: str,
        doing: str,
        call: Callable[[httpx.AsyncClient], Awaitable[Any]],
        client_factory: Callable[[], httpx.AsyncClient] | None,
    ) -> Any:
        """Run `call(client)` against the platform `name`; its failures become one plain
        InvalidInput. A platform that cannot check credentials gives None."""
        import asyncio

        import httpx

        from adapters.base import AuthExpired, PayloadInvalid, PlatformUnavailable, RateLimited

        def default_client() -> httpx.AsyncClient:
            return httpx.AsyncClient(timeout=httpx.Timeout(20.0))

        async def run() -> Any:
            async with (client_factory or default_client)() as client:
                return await call(client)

        nothing_stored = "nothing was stored"
        try:
            return asyncio.run(run())
        except NotImplementedError:
            return None
        except AuthExpired as error:
            raise InvalidInput(
                f"{name} refused these credentials ({error}); {nothing_stored}"
            ) from None
        except RateLimited as error:
            raise InvalidInput(
                f"{name} asked us to slow down ({error}); {nothing_stored}"
            ) from None
        except PlatformUnavailable as error:
            raise InvalidInput(
                f"could not reach {name} while {doing} ({error}); {nothing_stored}. Check "
                "--base-url and the network, or add --no-check to store the credentials "
                "without checking"
            ) from None
        except (PayloadInvalid, ValueError) as error:
            raise InvalidInput(f"{name} failed while {doing}: {error}; {nothing_stored}") from None

    @staticmethod
    def _ask_credential(fields: Sequence[str], prompt: LoginPrompt) -> dict[str, str]:
        """Ask for each credential field as a secret; an empty answer is refused."""
        secret = {}
        for field_name in fields:
            words = field_name.replace("_", " ")
            value = prompt.ask(words, secret=True)
            if not value:
                raise InvalidInput(f"{words} is required")
            secret[field_name] = value
        return secret

    def log_in_account(
        self,
        reference: str,
        prompt: LoginPrompt,
        *,
        manual: bool = False,
        check: bool = True,
        client_factory: Callable[[], httpx.AsyncClient] | None = None,
        credentials: CredentialStore | None = None,
    ) -> accounts.AccountLogin:
        """Log an account in again: the platform's flow (as `obtain_credential`), the secret
        to this machine's keyring, the account healthy at once and every stream's backoff
        cleared, so the sync polls it at its next heartbeat."""
        self.require(Action.MANAGE_ACCOUNTS)
        account = self.find_account(reference)
        accounts.require_connected(account, "log it in")
        obtained = self.obtain_credential(
            account.platform,
            account.handle,
            prompt,
            base_url=account.base_url,
            settings=dict(account.settings),
            manual=manual,
            check=check,
            client_factory=client_factory,
        )
        if obtained.secret is not None:
            if credentials is None:
                from inbox.core.credentials import CredentialStore

                credentials = CredentialStore()
            credentials.set(account.platform, account.handle, obtained.secret)
        with write_transaction(self.engine) as connection:
            accounts.mark_logged_in(
                connection, account, checked=obtained.checked, actor=self.actor, now=self.clock()
            )
        return accounts.AccountLogin(
            self.find_account(str(account.id)), obtained.identity, obtained.checked
        )

    # -- people ---------------------------------------------------------------------------

    def list_agents(self, *, include_removed: bool = False) -> list[AgentSummary]:
        """Every active person (the removed too, with `include_removed`) and their open threads."""
        with self.engine.connect() as connection:
            return people.list_agents(connection, include_removed=include_removed)

    def add_agent(
        self,
        handle: str,
        name: str,
        role: str = Role.AGENT,
        capacity: int = 20,
        *,
        login: str | None = None,
        password: str | None = None,
    ) -> int:
        """Add a person; returns their id. With `login` (PostgreSQL), their database login
        is created with `password` in the same transaction."""
        self.require(Action.MANAGE_PEOPLE)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            if login is not None:
                identity.require_postgresql(connection)
                identity.check_login_name(login)
            agent_id = people.add_agent(
                connection, handle, name, role, capacity, actor=self.actor, now=now, db_login=login
            )
            if login is not None:
                identity.create_login(connection, login, password or "", role)
            return agent_id

    def remove_agent(self, handle: str) -> PersonChanged:
        """Deactivate a person: open threads back to unassigned, their login (if any) off."""
        self.require(Action.MANAGE_PEOPLE)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            removed = people.remove_agent(connection, handle, actor=self.actor, now=now)
            if removed.db_login is not None:
                identity.disable_login(connection, removed.db_login)
        return removed

    def set_agent_role(self, handle: str, role: str) -> PersonChanged:
        """Give a person another role; their login (if any) moves to that role's group."""
        self.require(Action.MANAGE_PEOPLE)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            changed = people.set_role(connection, handle, role, actor=self.actor, now=now)
            if changed.db_login is not None:
                identity.change_login_role(connection, changed.db_login, changed.role, role)
        return changed

    # -- threads --------------------------------------------------------------------------

    def list_threads(
        self,
        filter: ThreadFilter | None = None,
        *,
        after: ThreadRow | None = None,
        limit: int = 100,
    ) -> list[ThreadRow]:
        """A page of the threads of `filter` (all open ones, newest first, by default).

        `after` is the last row of the previous page.
        """
        with self.engine.connect() as connection:
            return lists.list_threads(
                connection,
                filter or ThreadFilter(),
                actor=self.actor,
                now=self.clock(),
                after=after,
                limit=limit,
            )

    def count_threads(self, filter: ThreadFilter | None = None) -> int:
        """How many threads `filter` lists now (all open ones by default)."""
        with self.engine.connect() as connection:
            return lists.count_threads(
                connection, filter or ThreadFilter(), actor=self.actor, now=self.clock()
            )

    def thread(self, thread_id: int) -> ThreadRow:
        """One thread's list line."""
        with self.engine.connect() as connection:
            return lists.thread_row(connection, thread_id, actor=self.actor)

    def notes(self, thread_id: int) -> list[NoteRow]:
        """A thread's internal notes, oldest first."""
        with self.engine.connect() as connection:
            return notes.notes(connection, thread_id)

    def history(self, thread_id: int, limit: int = 200) -> list[HistoryEntry]:
        """What happened to a thread, oldest first, one plain sentence per event."""
        with self.engine.connect() as connection:
            return history.history(connection, thread_id, limit)

    def author_card(self, thread_id: int) -> AuthorCard:
        """Who wrote a thread and their other threads."""
        with self.engine.connect() as connection:
            return history.author_card(connection, thread_id, actor=self.actor)

    def presence(self, thread_ids: Iterable[int]) -> dict[int, tuple[PresenceRow, ...]]:
        """Who else is viewing or replying to each thread now (threads with nobody are left out)."""
        with self.engine.connect() as connection:
            return notes.presence(connection, thread_ids, actor=self.actor, now=self.clock())

    def tags_in_use(self, limit: int = 200) -> list[str]:
        """The tags on any thread, alphabetically, for pickers."""
        with self.engine.connect() as connection:
            return history.tags_in_use(connection, limit)

    def triage_refusal(self, action: Action = Action.TRIAGE) -> str | None:
        """Why the actor may not take `action` on any thread, or None: supervisors watch.

        Everyone else may (agents only some threads, see `changes.refusal`); a screen asks
        first so it opens no picker whose choice would be refused.
        """
        if not self.can(action):
            return (
                f"{self.actor.handle} is a supervisor; "
                "supervisors read threads and do not change them"
            )
        return None

    def _require_triage(self, action: Action = Action.TRIAGE) -> None:
        if (refusal := self.triage_refusal(action)) is not None:
            raise PermissionDenied(refusal)

    def _undoable(
        self,
        change: str,
        thread_ids: Sequence[int],
        write: Callable[[Connection, datetime], BulkResult],
    ) -> UndoableResult:
        """Run a triage `write` with the threads' state read before and after it, so the
        result says how to undo it; the SLA due times of the threads it changed follow."""
        now = self.clock()
        with write_transaction(self.engine) as connection:
            before = undo.states(connection, thread_ids)
            result = write(connection, now)
            refresh_due_at(connection, self._sla_policy(connection), result.changed, now)
            return undo.undoable(connection, change, result, before, actor=self.actor)

    def assign(self, thread_ids: Sequence[int], handle: str | None) -> UndoableResult:
        """Give threads to a person (None: to nobody); leads and admins only."""
        self._require_triage()
        if not self.can(Action.ASSIGN):
            raise PermissionDenied(
                f"{self.actor.handle} is an agent; only leads and admins assign threads. "
                "Take an unassigned thread yourself with take"
            )
        return self._undoable(
            "assign",
            thread_ids,
            lambda connection, now: changes.assign(
                connection, thread_ids, handle, actor=self.actor, now=now
            ),
        )

    def take(self, thread_ids: Sequence[int]) -> UndoableResult:
        """Assign unassigned threads to myself."""
        self._require_triage()
        if self.actor.agent_id is None:
            raise InvalidInput(
                f"{self.actor.handle} is not a person here; pass --as HANDLE to take threads"
            )
        return self._undoable(
            "take",
            thread_ids,
            lambda connection, now: changes.assign(
                connection,
                thread_ids,
                self.actor.handle,
                actor=self.actor,
                now=now,
                only_unassigned=True,
            ),
        )

    def tag(
        self, thread_ids: Sequence[int], add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> UndoableResult:
        """Put tags on threads and take others off."""
        self._require_triage()
        return self._undoable(
            "tag",
            thread_ids,
            lambda connection, now: changes.tag(
                connection, thread_ids, add, remove, actor=self.actor, now=now
            ),
        )

    def snooze(self, thread_ids: Sequence[int], until: datetime) -> UndoableResult:
        """Put threads aside until `until` (which must be to come)."""
        self._require_triage()
        return self._undoable(
            "snooze",
            thread_ids,
            lambda connection, now: changes.snooze(
                connection, thread_ids, until, actor=self.actor, now=now
            ),
        )

    def set_priority(self, thread_ids: Sequence[int], priority: str) -> UndoableResult:
        """Change how urgent threads are; their SLA due times follow."""
        self._require_triage()
        return self._undoable(
            "priority",
            thread_ids,
            lambda connection, now: changes.set_priority(
                connection, thread_ids, priority, actor=self.actor, now=now
            ),
        )

    def close(self, thread_ids: Sequence[int]) -> UndoableResult:
        """Mark threads done; they are due at no time."""
        self._require_triage()
        return self._undoable(
            "close",
            thread_ids,
            lambda connection, now: changes.close(
                connection, thread_ids, actor=self.actor, now=now
            ),
        )

    def undo(self, change: Undo) -> BulkResult:
        """Put back the threads of a change this person just made, each exactly as it was.

        A thread someone (or a new message) changed since is refused, naming that change.
        """
        self._require_triage()
        now = self.clock()
        with write_transaction(self.engine) as connection:
            result = undo.apply(connection, change, actor=self.actor, now=now)
            refresh_due_at(connection, self._sla_policy(connection), result.changed, now)
        return result

    def reopen(self, thread_ids: Sequence[int]) -> BulkResult:
        """Bring closed or snoozed threads back; their SLA due times are set again."""
        self._require_triage()
        now = self.clock()
        with write_transaction(self.engine) as connection:
            result = changes.reopen(connection, thread_ids, actor=self.actor, now=now)
            refresh_due_at(connection, self._sla_policy(connection), result.changed, now)
        return result

    def mark_read(self, thread_id: int) -> None:
        """Clear a thread's unread mark, when it is mine or nobody's (see `changes.mark_read`).

        A supervisor looking leaves it, as does a lead looking at someone else's thread.
        """
        if not self.can(Action.TRIAGE):
            return
        with write_transaction(self.engine) as connection:
            changes.mark_read(connection, thread_id, actor=self.actor)

    def add_note(self, thread_id: int, body: str) -> NoteRow:
        """Add an internal note to any thread, a colleague's too; @handles mention colleagues.

        Unknown @names are refused, and so are supervisors, who only read.
        """
        self._require_triage(Action.NOTE)
        with write_transaction(self.engine) as connection:
            return notes.add_note(connection, thread_id, body, actor=self.actor, now=self.clock())

    def set_presence(self, thread_id: int, activity: str) -> None:
        """Tell others I am viewing or replying to a thread, for 30 s; call again to stay."""
        if activity != "viewing":
            self._require_triage()
        with write_transaction(self.engine) as connection:
            notes.set_presence(connection, thread_id, activity, actor=self.actor, now=self.clock())

    def clear_presence(self, thread_id: int) -> None:
        """Tell others I have left a thread."""
        with write_transaction(self.engine) as connection:
            notes.clear_presence(connection, thread_id, actor=self.actor, now=self.clock())

    def draft(self, thread_id: int) -> str | None:
        """The reply I was writing on a thread and have not sent, if any."""
        with self.engine.connect() as connection:
            return kept_drafts.kept_draft(connection, thread_id, actor=self.actor)

    def save_draft(self, thread_id: int, text: str) -> None:
        """Keep the reply I am writing on a thread until I send it; blank text deletes it."""
        if text.strip():
            self.require(Action.REPLY)
        with write_transaction(self.engine) as connection:
            kept_drafts.keep_draft(connection, thread_id, text, actor=self.actor, now=self.clock())

    def thread_items(self, thread_id: int, limit: int = 500) -> list[ItemRow]:
        """The latest `limit` messages of a thread, oldest first."""
        with self.engine.connect() as connection:
            return messages.thread_items(connection, thread_id, limit)

    def search(self, text: str, limit: int = 50) -> list[ItemRow]:
        """Messages whose text matches every word of `text`, newest first."""
        with self.engine.connect() as connection:
            return messages.search(connection, text, limit)

    # -- prepared answers -----------------------------------------------------------------

    def canned_responses(self) -> list[StoredAnswer]:
        """Every prepared answer, in shortcode order."""
        with self.engine.connect() as connection:
            return answers.canned_responses(connection)

    def canned_response(self, reference: str | int) -> StoredAnswer:
        """One prepared answer by id or shortcode."""
        with self.engine.connect() as connection:
            return answers.canned_response(connection, reference)

    def match_canned(self, query: str, limit: int = 10) -> list[AnswerMatch]:
        """The prepared answers an agent most likely means by a typed query, best first."""
        with self.engine.connect() as connection:
            return self._answer_finder.match(connection, query, limit)

    def suggest_canned(self, thread_id: int, limit: int = 5) -> list[AnswerMatch]:
        """The prepared answers that best fit a thread's latest inbound message."""
        with self.engine.connect() as connection:
            return self._answer_finder.suggest(connection, thread_id, limit)

    def import_canned(self, directory: Path | str) -> AnswerImport:
        """Add or update the prepared answers of a directory of Markdown files, by shortcode."""
        self.require(Action.EDIT_PREPARED_ANSWERS)
        found, problems = answers.load_directory(directory)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            result = answers.import_canned(connection, found, problems, now=now)
            events.record(
                connection,
                events.CannedImported(
                    added=result.added, updated=result.updated, problems=len(problems)
                ),
                at=now,
                actor=self.actor.handle,
            )
        return result

    def export_canned(self, directory: Path | str) -> list[Path]:
        """Write every prepared answer to `<shortcode>.md` in `directory`."""
        return answers.export_canned(self.canned_responses(), directory)

    def save_canned(self, response: PreparedAnswer) -> StoredAnswer:
        """Add a prepared answer, or replace the one that has its shortcode."""
        self.require(Action.EDIT_PREPARED_ANSWERS)
        now = self.clock()
        with write_transaction(self.engine) as connection:
            stored = answers.save_canned(connection, response, now=now)
            events.record(
                connection,
                events.CannedSaved(shortcode=response.shortcode),
                at=now,
                actor=self.actor.handle,
            )
        return stored

    # -- outbox ---------------------------------------------------------------------------

    def _author(self) -> Author:
        with self.engine.connect() as connection:
            name = people.agent_name(connection, self.actor.agent_id)
        return Author(
            handle=self.actor.handle,
            agent_id=self.actor.agent_id,
            name=name,
            may_approve=self.can(Action.APPROVE),
        )

    def _require_answerable(self, target: Target) -> None:
        """Agents answer their own and unassigned threads; leads and admins any."""
        self.require(Action.REPLY)
        if self.actor.thread_refusal(target.assignee_id, None) is None:
            return
        with self.engine.connect() as connection:
            holder = people.agent_handle(connection, target.assignee_id)
        raise PermissionDenied(
            f"thread {target.thread_id} is assigned to {holder}; agents answer their own and "
            "unassigned threads (ask a lead to reassign it)"
        )

    def _draft_for_thread(
        self,
        connection: Connection,
        thread_id: int,
        kind: OutboundKind,
        text: str | None,
        canned_response_id: int | None,
        seen_version: int | None,
        author: Author,
        *,
        again: bool = False,
    ) -> Draft:
        target = thread_target(connection, thread_id)
        self._require_answerable(target)
        return draft(
            connection,
            target,
            kind=kind,
            author=author,
            now=self.clock(),
            text=text,
            canned_response_id=canned_response_id,
            seen_version=seen_version,
            again=again,
        )

    def preview_reply(
        self,
        thread_id: int,
        text: str | None = None,
        canned_response_id: int | None = None,
        *,
        seen_version: int | None = None,
        direct_message: bool = False,
        again: bool = False,
    ) -> Draft:
        """What a reply would look like on its channel, and every problem that stops it.

        Each problem has a code to decide on (`ProblemCode.THREAD_CHANGED` when the thread
        moved past `seen_version`, `ProblemCode.ALREADY_REPLYING` when the person's own
        reply is still on its way and `again` does not say they mean a second) and a
        sentence to show.
        """
        kind = OutboundKind.DM if direct_message else OutboundKind.REPLY
        author = self._author()
        with self.engine.connect() as connection:
            return self._draft_for_thread(
                connection,
                thread_id,
                kind,
                text,
                canned_response_id,
                seen_version,
                author,
                again=again,
            )

    def queue_reply(
        self,
        thread_id: int,
        text: str | None = None,
        canned_response_id: int | None = None,
        *,
        seen_version: int | None = None,
        direct_message: bool = False,
        again: bool = False,
    ) -> OutboundRow:
        """Queue an answer to a thread (or, with `direct_message`, a DM to its author).

        One reply to a thread is on its way at a time: while a colleague's is, this one is
        refused (`ProblemCode.ANOTHER_REPLY_ON_ITS_WAY`, naming them), even when both send
        at the same instant; while the person's own is, it is refused
        (`ProblemCode.ALREADY_REPLYING`) unless `again` confirms a second. A refusal is
        `SendRefused`, which carries every problem's code.
        """
        author = self._author()
        kind = OutboundKind.DM if direct_message else OutboundKind.REPLY
        with write_transaction(self.engine) as connection:
            prepared = self._draft_for_thread(
                connection,
                thread_id,
                kind,
                text,
                canned_response_id,
                seen_version,
                author,
                again=again,
            )
            outbound_id = queue(connection, prepared, author=author, now=self.clock(), again=again)
            kept_drafts.forget_draft(connection, thread_id, actor=self.actor)
        return self.outbound(outbound_id)

    def queue_bulk_reply(
        self,
        thread_ids: Sequence[int],
        text: str | None = None,
        canned_response_id: int | None = None,
        *,
        title: str | None = None,
    ) -> CampaignSummary:
        """Answer many threads with one message, rendered per channel, as one campaign.

        All or nothing: if any thread cannot take the message, nothing is queued and every
        problem is named.
        """
        unique_ids = list(dict.fromkeys(thread_ids))
        if not unique_ids:
            raise InvalidInput("a bulk reply needs at least one thread")
        author, now = self._author(), self.clock()
        with write_transaction(self.engine) as connection:
            drafts = [
                self._draft_for_thread(
                    connection,
                    thread_id,
                    OutboundKind.REPLY,
                    text,
                    canned_response_id,
                    None,
                    author,
                )
                for thread_id in unique_ids
            ]
            return queue_campaign(
                connection, drafts, CampaignKind.BULK_REPLY, title=title, author=author, now=now
            )

    def queue_broadcast(
        self,
        account_ids: Sequence[int],
        text: str | None = None,
        canned_response_id: int | None = None,
        *,
        title: str | None = None,
    ) -> CampaignSummary:
        """Post one statement on many accounts, rendered per channel, as one campaign."""
        self.require(Action.REPLY)
        unique_ids = list(dict.fromkeys(account_ids))
        if not unique_ids:
            raise InvalidInput("a broadcast needs at least one account")
        author, now = self._author(), self.clock()
        with write_transaction(self.engine) as connection:
            drafts = [
                draft(
                    connection,
                    account_target(connection, account_id),
                    kind=OutboundKind.POST,
                    author=author,
                    now=now,
                    text=text,
                    canned_response_id=canned_response_id,
                )
                for account_id in unique_ids
            ]
            return queue_campaign(
                connection, drafts, CampaignKind.BROADCAST, title=title, author=author, now=now
            )

    def outbound(self, outbound_id: int) -> OutboundRow:
        """One outgoing message, with its status and any reviewer's note."""
        with self.engine.connect() as connection:
            rows = outbound_rows(connection, outbound_id=outbound_id)
        if not rows:
            raise NotFound(f"no outgoing message {outbound_id}")
        return rows[0]

    def outbound_for_thread(self, thread_id: int) -> list[OutboundRow]:
        """Every outgoing message of a thread, oldest first."""
        with self.engine.connect() as connection:
            return outbound_rows(connection, thread_id=thread_id)

    def outbox(
        self, statuses: Sequence[str] | None = None, *, mine: bool = False, limit: int = 500
    ) -> list[OutboundRow]:
        """Outgoing messages, optionally only in `statuses` or only the actor's, oldest first."""
        with self.engine.connect() as connection:
            return outbound_rows(
                connection,
                statuses=statuses or (),
                written_by=self.actor if mine else None,
                limit=limit,
            )

    def approvals(self) -> list[OutboundRow]:
        """Outgoing messages waiting for a lead, oldest first."""
        return self.outbox([OutboundStatus.AWAITING_APPROVAL])

    def approve(
        self, outbound_id: int, *, text: str | None = None, note: str | None = None
    ) -> OutboundRow:
        """Let a waiting message go out, optionally with edited text (checked for its channel)."""
        self.require(Action.APPROVE)
        with write_transaction(self.engine) as connection:
            approve(
                connection,
                outbound_id,
                reviewer=self._author(),
                now=self.clock(),
                text=text,
                note=note,
            )
        return self.outbound(outbound_id)

    def reject(self, outbound_id: int, note: str) -> OutboundRow:
        """Stop a waiting message for good; `note` tells its author why."""
        self.require(Action.APPROVE)
        with write_transaction(self.engine) as connection:
            reject(connection, outbound_id, reviewer=self._author(), now=self.clock(), note=note)
        return self.outbound(outbound_id)

    def _require_own_or_lead(self, outbound_id: int) -> None:
        self.require(Action.REPLY)
        if self.can(Action.APPROVE):
            return
        with self.engine.connect() as connection:
            written_by = author_id(connection, outbound_id)
        if written_by != self.actor.agent_id:
            raise PermissionDenied(
                f"outgoing message {outbound_id} is someone else's; "
                "only its author or a lead may change it"
            )

    def retry_outbound(self, outbound_id: int) -> OutboundRow:
        """Queue a failed message again, or an unknown one checked not to have been posted."""
        self._require_own_or_lead(outbound_id)
        with write_transaction(self.engine) as connection:
            retry(connection, outbound_id, actor=self.actor.handle, now=self.clock())
        return self.outbound(outbound_id)

    def cancel_outbound(self, outbound_id: int) -> OutboundRow:
        """Withdraw a message that has not started sending."""
        self._require_own_or_lead(outbound_id)
        with write_transaction(self.engine) as connection:
            cancel(connection, outbound_id, actor=self.actor.handle, now=self.clock())
        return self.outbound(outbound_id)

    def campaigns(self) -> list[CampaignSummary]:
        """Every campaign with how far it got, newest first."""
        with self.engine.connect() as connection:
            return campaign_summaries(connection)

    def campaign(self, campaign_id: int) -> tuple[CampaignSummary, list[OutboundRow]]:
        """One campaign and the status of each of its targets."""
        with self.engine.connect() as connection:
            found = campaign_summaries(connection, campaign_id)
            if not found:
                raise NotFound(f"no campaign {campaign_id} (`inbox campaign list` shows them)")
            return found[0], outbound_rows(connection, campaign_id=campaign_id)

    # -- notifications --------------------------------------------------------------------

    def notifications(
        self, *, unread_only: bool = True, after_id: int = 0, limit: int = 200
    ) -> list[NotificationRow]:
        """What the person was told (assigned, @mentioned, their reply approved, rejected or
        failed, an approval waiting), newest first: the unread ones unless asked for all."""
        if self.actor.agent_id is None:
            return []
        with self.engine.connect() as connection:
            return notifications.notifications(
                connection,
                self.actor.agent_id,
                unread_only=unread_only,
                after_id=after_id,
                limit=limit,
            )

    def waiting_counts(self) -> WaitingCounts:
        """The person's unread notifications and, for those who approve, the approvals waiting."""
        with self.engine.connect() as connection:
            return notifications.waiting_counts(
                connection, self.actor.agent_id, approves=self.can(Action.APPROVE)
            )

    def mark_notifications_read(
        self,
        notification_ids: Sequence[int] | None = None,
        *,
        kinds: Sequence[NotificationKind] | None = None,
    ) -> int:
        """Mark the person's own notifications read: these, these kinds, or (neither) all of
        them; returns how many were unread."""
        if self.actor.agent_id is None:
            return 0
        with write_transaction(self.engine) as connection:
            return notifications.mark_read(
                connection,
                self.actor.agent_id,
                now=self.clock(),
                notification_ids=notification_ids,
                kinds=kinds,
            )

    # -- events ---------------------------------------------------------------------------

    def latest_event_id(self) -> int:
        """The id of the newest event (0 when there are none)."""
        with self.engine.connect() as connection:
            return events.latest_id(connection)

    def events_after(self, last_id: int, limit: int = 500) -> Sequence[events.EventRecord]:
        """Events newer than `last_id`, oldest first."""
        with self.engine.connect() as connection:
            return events.after(connection, last_id, limit)

    def follow_events(
        self, follower: events.EventFollower, limit: int = 500
    ) -> list[events.EventRecord]:
        """The events `follower` has not read yet, including any that committed out of order."""
        with self.engine.connect() as connection:
            return follower.read(connection, limit)

    def event_waker(self, on_notified: Callable[[], None] | None = None) -> EventWaker | None:
        """A started waker that tells when others commit events (PostgreSQL); None on SQLite.

        Wait on it between `follow_events` calls instead of sleeping; keep polling at the
        same interval as the fallback, and `close` it when done.
        """
        from inbox.core.notify import EventWaker, notifies_events

        if not notifies_events(self.engine):
            return None
        return EventWaker.for_engine(self.engine, on_notified=on_notified).start()

    # -- stats ----------------------------------------------------------------------------

    def stats(self, period: Period, **options: Any) -> Stats:
        """Response-time stats of `period` as this person may see them.

        See `inbox.stats.compute.compute` for the options.
        """
        from inbox.stats import compute as stats

        return stats.compute(self.engine, self.actor, self.clock, period, **options)

    def due_soon(self, within_minutes: int = 15) -> list[DueThread]:
        """Open threads overdue or due within `within_minutes`, most urgent first.

        As `inbox.sla.DueThread` rows.
        """
        from datetime import timedelta

        from inbox import sla

        return sla.due_soon(self.engine, self.clock(), timedelta(minutes=within_minutes))

    # -- export ---------------------------------------------------------------------------

    def export_rows(self, what: str, batch: int = 5_000) -> Iterator[dict[str, Any]]:
        """Every row of `what` (threads, items or events) in id order, read in batches."""
        self.require(Action.EXPORT)
        return export.export_rows(self.engine, what, batch)

    # -- team settings --------------------------------------------------------------------

    @property
    def sla_policy(self) -> SlaPolicy:
        """The response-time targets due times are computed by: the team's, as the database
        holds them now (`team_settings.TeamSlaPolicy` says how a change reaches here)."""
        with self.engine.connect() as connection:
            return self._sla_policy(connection)

    def _sla_policy(self, connection: Connection) -> SlaPolicy:
        return self._fixed_sla_policy or self._team_sla.policy(connection)

    def sla_settings(self) -> team_settings.TeamSla:
        """The team's SLA policy and business calendar, with the version an edit names."""
        with self.engine.connect() as connection:
            return team_settings.read_sla(connection)

    def set_sla_settings(self, settings: SlaSettings, version: int) -> team_settings.TeamSla:
        """Save the team's SLA policy, edited from `version`; leads and admins only.

        A `Conflict` when someone saved it since `version`. The threads waiting for an
        answer are due by the new policy at once.
        """
        self.require(Action.MANAGE_TEAM_SETTINGS)
        with write_transaction(self.engine) as connection:
            return team_settings.write_sla(
                connection, settings, version=version, actor=self.actor.handle, now=self.clock()
            )

    def team_setting_history(self, key: str | None = None) -> list[team_settings.SettingChange]:
        """Every saved version of the team's settings (or of `key`), oldest first."""
        with self.engine.connect() as connection:
            return team_settings.history(connection, key)

    # -- auto-assignment ------------------------------------------------------------------

    def assignment_rules(self) -> TeamAssignment:
        """The team's auto-assignment rules, with the version an edit names."""
        from inbox.triage import auto_assign

        with self.engine.connect() as connection:
            return auto_assign.read_rules(connection)

    def set_assignment_rules(self, rules: AssignmentRules, version: int) -> TeamAssignment:
        """Save the team's auto-assignment rules, edited from `version`; leads and admins.

        A `Conflict` when someone saved them since `version`. The next pass (every few
        seconds, in the worker or the inbox that polls) follows them.
        """
        from inbox.triage import auto_assign

        self.require(Action.MANAGE_ASSIGNMENT)
        with write_transaction(self.engine) as connection:
            return auto_assign.write_rules(
                connection, rules, version=version, actor=self.actor.handle, now=self.clock()
            )

    def team_load(self) -> list[PersonLoad]:
        """Each person who answers: their load against their capacity, and whether they are
        online, away or offline; leads, supervisors and admins."""
        from inbox.triage import auto_assign

        self.require(Action.SEE_TEAM_STATS)
        with self.engine.connect() as connection:
            return auto_assign.team_load(connection, self.clock())

    def my_load(self) -> PersonLoad | None:
        """The actor's own load and presence (None: not a person who answers)."""
        from inbox.triage import auto_assign

        with self.engine.connect() as connection:
            people = auto_assign.team_load(connection, self.clock())
        return next((person for person in people if person.id == self.actor.agent_id), None)

    def heartbeat(self) -> None:
        """Tell that the actor's inbox is open (every `auto_assign.HEARTBEAT`): online, so
        threads may be handed to them. Nothing for someone who is not a person here."""
        from inbox.triage import auto_assign

        if self.actor.agent_id is None:
            return
        with write_transaction(self.engine) as connection:
            auto_assign.record_heartbeat(connection, self.actor.agent_id, self.clock())

    def set_away(self, away: bool) -> bool:
        """Say I am away (no threads are handed to me; after the rules' time my unanswered
        ones go back) or back; whether that changed anything."""
        from inbox.triage import auto_assign

        with write_transaction(self.engine) as connection:
            return auto_assign.set_away(connection, self.actor, away, self.clock())

    def run_assignment_pass(self) -> AssignmentPass:
        """Run one auto-assignment pass now, as the worker does every few seconds."""
        from inbox.triage import auto_assign

        self.require(Action.SYNC)
        return auto_assign.run_pass(self.engine, self.clock())

    # -- spam, blocked authors, hidden comments, acknowledgements --------------------------

    def _require_moderation(self) -> None:
        self._require_triage()
        self.require(Action.MODERATE)

    def mark_spam(self, thread_ids: Sequence[int]) -> BulkResult:
        """Close threads as spam: out of the open views and of the SLA and response-time stats."""
        from inbox.triage import spam

        self._require_moderation()
        now = self.clock()
        with write_transaction(self.engine) as connection:
            result = spam.mark_spam(connection, thread_ids, actor=self.actor, now=now)
            refresh_due_at(connection, self._sla_policy(connection), result.changed, now)
        return result

    def unmark_spam(self, thread_ids: Sequence[int]) -> BulkResult:
        """Say threads are not spam: they open again and count in the stats; due times return."""
        from inbox.triage import spam

        self._require_moderation()
        now = self.clock()
        with write_transaction(self.engine) as connection:
            result = spam.unmark_spam(connection, thread_ids, actor=self.actor, now=now)
            refresh_due_at(connection, self._sla_policy(connection), result.changed, now)
        return result

    def block_authors(self, thread_ids: Sequence[int]) -> BulkResult:
        """Block the author of each thread and mark the thread spam: the author's new
        messages close as spam from now on."""
        from inbox.triage import spam

        self._require_moderation()
        now = self.clock()
        with write_transaction(self.engine) as connection:
            result = spam.block_authors(connection, thread_ids, actor=self.actor, now=now)
            refresh_due_at(connection, self._sla_policy(connection), result.changed, now)
        return result

    def unblock_authors(self, thread_ids: Sequence[int]) -> BulkResult:
        """Unblock the author of each thread; their threads stay as they are."""
        from inbox.triage import spam

        self._require_moderation()
        with write_transaction(self.engine) as connection:
            return spam.unblock_authors(connection, thread_ids, actor=self.actor, now=self.clock())

    def hide_message(self, item_id: int, *, hidden: bool = True) -> OutboundRow:
        """Hide a customer's comment on its platform (or, `hidden` false, show it again),
        through the outbox: a process holding the account's secret does it."""
        from inbox.outbox.moderation import queue_hide

        self._require_moderation()
        author, now = self._author(), self.clock()
        with write_transaction(self.engine) as connection:
            outbound_id = queue_hide(
                connection, item_id, hidden=hidden, author=author, actor=self.actor, now=now
            )
        return self.outbound(outbound_id)

    def acknowledgement_rules(self) -> AcknowledgementRules:
        """The team's rules for acknowledging new threads, with the version an edit names."""
        from inbox.triage.acknowledgements import read_rules

        with self.engine.connect() as connection:
            return read_rules(connection)

    def set_acknowledgement_rules(self, rules: AcknowledgementRules) -> AcknowledgementRules:
        """Save the acknowledgement rules, edited from `rules.version`; leads and admins only.

        A `Conflict` when someone saved them since; InvalidInput when a rule names a
        prepared answer there is none of.
        """
        from inbox.triage.acknowledgements import write_rules

        self.require(Action.MANAGE_TEAM_SETTINGS)
        with write_transaction(self.engine) as connection:
            stored = answers.canned_responses(connection)
            shortcodes = [answer.answer.shortcode for answer in stored]
            return write_rules(
                connection, rules, answers=shortcodes, actor=self.actor.handle, now=self.clock()
            )

    # -- workers --------------------------------------------------------------------------

    def workers(self) -> list[WorkerRecord]:
        """Every `inbox worker` that has reported, the alive first (`WorkerRecord.alive`).

        Alive means a heartbeat within the last three and no clean stop, judged by the
        wall clock (heartbeats are), not the service's clock (the demo's is simulated).
        """
        from inbox.store.workers import worker_records

        with self.engine.connect() as connection:
            return worker_records(connection, utc_now())

    def accounts_served_here(self, credentials: CredentialStore | None) -> list[int]:
        """The enabled accounts a process with `credentials` may poll and send for: those
        whose secret that keyring holds, and those that need none."""
        from inbox.store.serving import ServedAccounts

        with self.engine.connect() as connection:
            served = ServedAccounts(credentials).account_ids(connection, enabled_only=True)
        return sorted(served)

    # -- subscribers ----------------------------------------------------------------------

    def import_subscribers(self, csv_text: str) -> SubscriberImport:
        """Add the addresses of a CSV file (`email[,name]`, a header row) to the list of
        subscribers to incident updates; leads and admins. Idempotent: addresses already on
        the list, or that unsubscribed earlier, are skipped; bad lines are reported."""
        from inbox.store.subscribers import import_subscribers

        self.require(Action.MANAGE_SUBSCRIBERS)
        with write_transaction(self.engine) as connection:
            return import_subscribers(
                connection, csv_text, actor=self.actor.handle, now=self.clock()
            )

    def subscribers(self, *, include_unsubscribed: bool = False) -> list[SubscriberRow]:
        """The subscribers by address (their tokens never leave the database); leads and admins."""
        from inbox.store.subscribers import list_subscribers

        self.require(Action.MANAGE_SUBSCRIBERS)
        with self.engine.connect() as connection:
            return list_subscribers(connection, include_unsubscribed=include_unsubscribed)

    def subscriber_count(self) -> int:
        """How many people get incident updates by email now."""
        from inbox.store.subscribers import active_count

        with self.engine.connect() as connection:
            return active_count(connection)

    def email_audience(self) -> EmailAudience:
        """Who a statement would reach by email, and through which account."""
        from inbox.crisis.email_updates import email_audience

        with self.engine.connect() as connection:
            return email_audience(connection)

    def remove_subscriber(self, address: str) -> int:
        """Take an address off the list and withdraw the mails still waiting for it; how many
        were withdrawn. Leads and admins."""
        from inbox.store.subscribers import remove_subscriber

        self.require(Action.MANAGE_SUBSCRIBERS)
        with write_transaction(self.engine) as connection:
            return remove_subscriber(connection, address, actor=self.actor.handle, now=self.clock())

    def unsubscribe(self, token: str) -> str:
        """Unsubscribe the holder of `token` (from their mail) and withdraw the mails still
        waiting for them; their address. Anyone who answers mail may do it: the token is
        the subscriber's own say-so."""
        from inbox.store.subscribers import unsubscribe

        self.require(Action.REPLY)
        with write_transaction(self.engine) as connection:
            return unsubscribe(connection, token, actor=self.actor.handle, now=self.clock())
