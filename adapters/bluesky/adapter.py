"""The Bluesky adapter: notifications and chats in, replies and chat messages out.

Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `page_size` | notifications per listNotifications call (1-100) | 50 |
| `dms` | false: no `dms` stream (an app password without chat access, a PDS without chat) | true |

The account's `base_url` is the PDS or entryway to log in at (default https://bsky.social);
after login, calls go to the PDS named in the session's DID document when it has one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

import httpx

from adapters._payload import ITEM_FAULTS, reading_page, shown
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    OutboundRequest,
    PayloadInvalid,
    SentRef,
)
from adapters.bluesky import mapping
from adapters.bluesky.payloads import (
    ChatMessage,
    Convo,
    ConvoPage,
    CreatedRecord,
    MessagePage,
    Notification,
    NotificationPage,
    Session,
    StoredRecord,
)
from adapters.bluesky.xrpc import CHAT_PROXY, XrpcError, XrpcSession

log = logging.getLogger(__name__)

DEFAULT_SERVICE_URL: Final = "https://bsky.social"
DEFAULT_PAGE_SIZE: Final = 50
CHAT_PAGE_SIZE: Final = 100
DM_TEXT_LIMIT: Final = 1000
POST_COLLECTION: Final = "app.bsky.feed.post"
MAX_REMEMBERED_CONVOS: Final = 1000


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Mark:
    """The newest notification seen: where the next pass stops."""

    indexed_at: datetime
    uri: str

    def covers(self, notification: Notification) -> bool:
        """Whether `notification` was already seen in an earlier pass."""
        return notification.uri == self.uri or notification.indexed_at < self.indexed_at

    def as_json(self) -> dict[str, str]:
        return {"indexedAt": self.indexed_at.isoformat(), "uri": self.uri}

    @classmethod
    def from_json(cls, data: object) -> _Mark | None:
        if not isinstance(data, Mapping):
            return None
        return cls(datetime.fromisoformat(str(data["indexedAt"])), str(data["uri"]))


@dataclass(frozen=True, slots=True)
class _NotificationCursor:
    """Where the notifications stream stands.

    `seen` is the newest notification of the last finished pass. While a pass pages back
    through older notifications, `page` is the server's cursor and `top` the newest
    notification of this pass, which becomes `seen` when the pass reaches `seen` or the end.
    """

    seen: _Mark | None = None
    top: _Mark | None = None
    page: str | None = None

    def encode(self) -> str:
        data: dict[str, Any] = {"seen": self.seen.as_json() if self.seen else None}
        if self.page is not None:
            data["top"] = self.top.as_json() if self.top else None
            data["page"] = self.page
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def decode(cls, cursor: str | None) -> _NotificationCursor:
        if cursor is None:
            return cls()
        try:
            data = json.loads(cursor)
            page = data.get("page")
            return cls(
                seen=_Mark.from_json(data.get("seen")),
                top=_Mark.from_json(data.get("top")),
                page=page if isinstance(page, str) else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning(
                "the stored Bluesky notifications cursor is unreadable; reading from the newest"
            )
            return cls()


class BlueskyAdapter(Adapter):
    """Bluesky over XRPC: mentions, replies and quotes, chats, replies with strong refs.

    One login per adapter instance: the session lives here and is refreshed, never
    recreated per poll. https://docs.bsky.app/docs/api/
    """

    platform = "bluesky"
    display_name = "Bluesky"
    streams: ClassVar[tuple[str, ...]] = ("notifications", "dms")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION, Kind.DM})
    can_reply = True
    can_dm = True
    can_post_statement = True
    finds_sent = frozenset({Kind.COMMENT, Kind.MENTION})
    """Posts carry a record key made from the outbound key; chat messages carry none."""
    text_limit = 300
    length_rule = LengthRule.GRAPHEMES
    poll_interval_seconds = 60.0
    credential_fields = ("app_password",)
    settings_fields = (
        AccountSetting(
            "page_size",
            "notifications per listNotifications call, 1-100",
            default=DEFAULT_PAGE_SIZE,
            kind=int,
        ),
        AccountSetting(
            "dms",
            "read and send chats (false: an app password without chat access)",
            default=True,
            kind=bool,
        ),
    )

    def __init__(
        self,
        account: AccountRef,
        client: httpx.AsyncClient | None,
        credential: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        on_credential_refreshed: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        super().__init__(
            account, client, credential, on_credential_refreshed=on_credential_refreshed
        )
        if client is None:
            raise ValueError("the Bluesky adapter needs an httpx.AsyncClient")
        password = (credential or {}).get("app_password")
        if not password:
            raise ValueError(f"no Bluesky app password is stored for {account.handle}")
        self._clock = clock or _utc_now
        self.xrpc = XrpcSession(
            client,
            account.base_url or DEFAULT_SERVICE_URL,
            account.handle.removeprefix("@"),
            password,
            clock=self._clock,
            refresh_jwt=(credential or {}).get("refresh_jwt"),
            on_session=self._keep_session if on_credential_refreshed else None,
        )
        """The account's session; kept for the adapter's lifetime and, through
        `on_credential_refreshed`, its refresh token for the next process."""
        if account.settings.get("dms") is False:
            self.streams = ("notifications",)
        page_size = int(account.settings.get("page_size", DEFAULT_PAGE_SIZE))
        self._page_size = min(max(page_size, 1), 100)

    def _keep_session(self, session: Session) -> None:
        if self.on_credential_refreshed is not None:
            self.on_credential_refreshed(
                {**(self.credential or {}), "refresh_jwt": session.refresh_jwt}
            )

    async def verify(self) -> str:
        """Log in and say who the account is; raises `AuthExpired` when the password is refused."""
        session = await self.xrpc.current()
        return f"@{session.handle} ({session.did})"

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read mentions, replies and quotes (`notifications`) or chat messages (`dms`)."""
        if stream == "notifications":
            return await self._fetch_notifications(cursor)
        if stream == "dms":
            return await self._fetch_chats(cursor)
        raise ValueError(f"Bluesky has no stream {stream!r}")

    async def _fetch_notifications(self, cursor: str | None) -> FetchResult:
        state = _NotificationCursor.decode(cursor)
        params: dict[str, Any] = {"limit": self._page_size, "reasons": list(mapping.INBOX_REASONS)}
        if state.page is not None:
            params["cursor"] = state.page
        page = NotificationPage.parse(
            await self.xrpc.query("app.bsky.notification.listNotifications", params)
        )
        brand_did = (await self.xrpc.current()).did
        with reading_page("Bluesky listNotifications"):
            items: list[FetchedItem] = []
            top, reached_seen = state.top, False
            for entry in page.notifications:
                try:
                    notification = Notification.parse(entry)
                except (PayloadInvalid, *ITEM_FAULTS) as error:
                    self._log_skip("notification", _entry_id(entry, "uri"), error)
                    continue
                if top is None:
                    top = _Mark(notification.indexed_at, notification.uri)
                if state.seen is not None and state.seen.covers(notification):
                    reached_seen = True
                    break
                try:
                    item = mapping.notification_item(notification, brand_did)
                except (PayloadInvalid, *ITEM_FAULTS) as error:
                    self._log_skip("notification", notification.uri, error)
                    continue
                if item is not None:
                    items.append(item)
            if reached_seen or page.cursor is None or not page.notifications:
                done = _NotificationCursor(seen=top or state.seen)
                return FetchResult(items=tuple(items), next_cursor=done.encode())
            more = _NotificationCursor(seen=state.seen, top=top, page=page.cursor)
            return FetchResult(items=tuple(items), next_cursor=more.encode(), has_more=True)

    async def _fetch_chats(self, cursor: str | None) -> FetchResult:
        """Messages of every conversation whose revision moved since `cursor`.

        The cursor maps conversation ids to the revision last read; a conversation whose
        revision is unchanged costs no call. Messages come newest first, so reading stops
        at the first one at or below the stored revision.
        """
        known = _decode_convo_revisions(cursor)
        brand_did = (await self.xrpc.current()).did
        convos = ConvoPage.parse(
            await self.xrpc.query(
                "chat.bsky.convo.listConvos", {"limit": CHAT_PAGE_SIZE}, proxy=CHAT_PROXY
            )
        ).convos
        items: list[FetchedItem] = []
        revisions = dict(known)
        for raw_convo in convos:
            try:
                convo = Convo.parse(raw_convo)
            except (PayloadInvalid, *ITEM_FAULTS) as error:
                self._log_skip("conversation", _entry_id(raw_convo, "id"), error)
                continue
            seen_rev = known.get(convo.id)
            if seen_rev == convo.rev:
                continue
            page = MessagePage.parse(
                await self.xrpc.query(
                    "chat.bsky.convo.getMessages",
                    {"convoId": convo.id, "limit": CHAT_PAGE_SIZE},
                    proxy=CHAT_PROXY,
                )
            )
            with reading_page("Bluesky getMessages"):
                members = {member.did: member for member in convo.members}
                for entry in page.messages:
                    try:
                        message = ChatMessage.parse(entry)
                        if message is None:
                            continue
                        if seen_rev is not None and message.rev <= seen_rev:
                            break
                        items.append(mapping.chat_item(message, convo.id, members, brand_did))
                    except (PayloadInvalid, *ITEM_FAULTS) as error:
                        self._log_skip(
                            f"chat message in {shown(convo.id)}", _entry_id(entry, "id"), error
                        )
            revisions.pop(convo.id, None)
            revisions[convo.id] = convo.rev
        kept = dict(list(revisions.items())[-MAX_REMEMBERED_CONVOS:])
        return FetchResult(
            items=tuple(items), next_cursor=json.dumps({"convos": kept}, separators=(",", ":"))
        )

    def _log_skip(self, what: str, identifier: object, problem: Exception) -> None:
        log.warning(
            "skipped a malformed Bluesky %s from account %s (%s), external id %s: %s",
            what,
            self.account.id,
            self.account.handle,
            shown(identifier),
            problem if isinstance(problem, PayloadInvalid) else type(problem).__name__,
        )

    async def send(self, request: OutboundRequest) -> SentRef:
        """Post a reply (strong refs to root and parent, facets) or send a chat message."""
        if request.kind == Kind.DM:
            return await self._send_chat(request)
        return await self._send_post(request)

    async def _send_post(self, request: OutboundRequest) -> SentRef:
        if not request.text.strip():
            raise PayloadInvalid("Bluesky refuses an empty post")
        length = mapping.grapheme_count(request.text)
        if length > self.text_limit:  # type: ignore[operator]
            raise PayloadInvalid(
                f"the reply is {length} graphemes; Bluesky allows {self.text_limit}"
            )
        session = await self.xrpc.current()
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": request.text,
            "createdAt": _timestamp(self._clock()),
        }
        parent_uri = request.in_reply_to or (
            request.thread_key
            if request.thread_key and request.thread_key.startswith("at://")
            else None
        )
        if parent_uri is not None:
            parent = await self._post_record(parent_uri)
            root = parent.value.reply.root if parent.value.reply is not None else parent.ref
            record["reply"] = {"root": root.as_json(), "parent": parent.ref.as_json()}
        found_facets = mapping.facets(request.text, await self._resolve_handles(request.text))
        if found_facets:
            record["facets"] = found_facets
        rkey = mapping.record_key_for(request.idempotency_key)
        try:
            created = CreatedRecord.parse(
                await self.xrpc.procedure(
                    "com.atproto.repo.createRecord",
                    {
                        "repo": session.did,
                        "collection": POST_COLLECTION,
                        "rkey": rkey,
                        "record": record,
                    },
                )
            )
        except XrpcError:
            already_sent = await self._find_post(request.idempotency_key)
            if already_sent is not None:
                return already_sent
            raise
        return SentRef(
            external_id=created.uri,
            url=mapping.post_url(created.uri, session.handle),
            sent_at=self._clock(),
        )

    async def _send_chat(self, request: OutboundRequest) -> SentRef:
        if not request.text.strip():
            raise PayloadInvalid("Bluesky refuses an empty chat message")
        length = mapping.grapheme_count(request.text)
        if length > DM_TEXT_LIMIT:
            raise PayloadInvalid(
                f"the message is {length} graphemes; Bluesky chats allow {DM_TEXT_LIMIT}"
            )
        convo_id = mapping.convo_id_of(request.thread_key) if request.thread_key else None
        if convo_id is None:
            if request.recipient is None:
                raise PayloadInvalid("a Bluesky chat message needs a conversation or a recipient")
            answer = await self.xrpc.query(
                "chat.bsky.convo.getConvoForMembers",
                {"members": [request.recipient.external_id]},
                proxy=CHAT_PROXY,
            )
            convo_id = Convo.parse(answer.get("convo") if isinstance(answer, Mapping) else None).id
        message: dict[str, Any] = {"text": request.text}
        found_facets = mapping.facets(request.text, await self._resolve_handles(request.text))
        if found_facets:
            message["facets"] = found_facets
        sent = ChatMessage.parse(
            await self.xrpc.procedure(
                "chat.bsky.convo.sendMessage",
                {"convoId": convo_id, "message": message},
                proxy=CHAT_PROXY,
            )
        )
        if sent is None:
            raise PayloadInvalid(
                "Bluesky answered sendMessage with something that is not a message"
            )
        return SentRef(external_id=f"chat:{convo_id}:{sent.id}", sent_at=sent.sent_at)

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The reply an interrupted `send` posted under this key's record key, if it exists.

        Chat messages carry no client-chosen key, so an unknown chat send waits for a person.
        """
        return await self._find_post(request.idempotency_key)

    async def _find_post(self, idempotency_key: str) -> SentRef | None:
        session = await self.xrpc.current()
        rkey = mapping.record_key_for(idempotency_key)
        try:
            stored = await self.xrpc.query(
                "com.atproto.repo.getRecord",
                {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey},
            )
        except XrpcError as error:
            if error.code == "RecordNotFound" or error.status == 404:
                return None
            raise
        uri = StoredRecord.parse(stored).uri
        return SentRef(external_id=uri, url=mapping.post_url(uri, session.handle))

    async def _post_record(self, uri: str) -> StoredRecord:
        """The post at `uri`, with its cid and its own reply refs."""
        parts = uri.removeprefix("at://").split("/")
        if not uri.startswith("at://") or len(parts) != 3 or parts[1] != POST_COLLECTION:
            raise PayloadInvalid(f"{uri!r} is not the uri of a Bluesky post")
        return StoredRecord.parse(
            await self.xrpc.query(
                "com.atproto.repo.getRecord",
                {"repo": parts[0], "collection": parts[1], "rkey": parts[2]},
            )
        )

    async def _resolve_handles(self, text: str) -> dict[str, str]:
        """The DIDs of the handles @mentioned in `text`.

        Handles that do not resolve are left out.
        """
        resolved = {}
        for handle in mapping.mentioned_handles(text):
            try:
                answer = await self.xrpc.query(
                    "com.atproto.identity.resolveHandle", {"handle": handle}
                )
            except XrpcError:
                continue
            did = answer.get("did") if isinstance(answer, Mapping) else None
            if isinstance(did, str) and did.startswith("did:"):
                resolved[handle] = did
        return resolved


def _timestamp(moment: datetime) -> str:
    """An AT Protocol datetime: UTC, milliseconds, a trailing Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _entry_id(entry: object, key: str) -> object:
    return entry.get(key) if isinstance(entry, Mapping) else None


def _decode_convo_revisions(cursor: str | None) -> dict[str, str]:
    if cursor is None:
        return {}
    try:
        convos = json.loads(cursor)["convos"]
        return {str(convo_id): str(rev) for convo_id, rev in convos.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning(
            "the stored Bluesky chat cursor is unreadable; reading every conversation again"
        )
        return {}
