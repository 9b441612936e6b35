"""The Instagram adapter: HTTP only; payloads.py reads the JSON and mapping.py makes items.

It speaks the Instagram API with Facebook Login (graph.facebook.com, a Page token) through
`adapters._graph`. Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `ig_user_id` | the Instagram professional account's id; webhooks name it so | the login's |
| `page_id` | the Facebook Page linked to the account; DMs go through it | the login's |
| `recent_media` | how many of the newest posts each poll reads comments on | 10 |
| `api_base` | the Graph address, for tests and proxies | `https://graph.facebook.com/v25.0` |

Without `ig_user_id` and `page_id` (in the settings or the stored credential) the Page
token is asked which Page it is (`GET /me`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Final

import httpx

from adapters._graph import (
    GRAPH_BASE_URL,
    GraphClient,
    GraphRefused,
    GraphUsage,
    PageGrant,
    choose_page,
    graph_path,
    list_pages,
)
from adapters._http import utc_now
from adapters._payload import (
    ITEM_FAULTS,
    Malformed,
    epoch_time,
    reading_page,
    same_text,
    shown,
)
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    Direction,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    LoginPrompt,
    OutboundRequest,
    PayloadInvalid,
    SentRef,
)
from adapters.instagram import mapping
from adapters.instagram.payloads import (
    Comment,
    Conversation,
    DirectMessage,
    Media,
    WebhookMention,
    created_id,
    mentioned,
    sent_message_id,
)

log = logging.getLogger(__name__)

DEFAULT_RECENT_MEDIA: Final = 10
COMMENTS_PAGE: Final = 50
CONVERSATIONS_PAGE: Final = 25
MESSAGES_PER_CONVERSATION: Final = 20
"""Newest messages read with each conversation; a busier conversation between two polls
is covered by the `messaging` webhook, not by polling."""
COMMENT_PAGES_PER_MEDIA: Final = 10
"""Most comment pages of one post a poll reads before it moves on to the next post."""
FIND_SENT_PAGES: Final = 5
CLOCK_SKEW: Final = timedelta(hours=1)
"""How far ahead of this machine's clock a message may be dated and still move a cursor."""

_COMMENT_FIELDS: Final = "id,text,timestamp,username,from{id,username},parent_id,hidden,user"
_COMMENTS_FIELDS: Final = f"{_COMMENT_FIELDS},replies{{{_COMMENT_FIELDS}}}"
_MEDIA_FIELDS: Final = (
    "id,caption,timestamp,username,media_type,media_url,thumbnail_url,permalink,comments_count"
)
_MENTIONED_COMMENT_FIELDS: Final = "id,text,timestamp,username,media{id}"
_MESSAGE_FIELDS: Final = (
    "id,created_time,from,to,message,"
    "attachments{image_data,video_data,file_url,name,mime_type},shares{link,name},story"
)
_CONVERSATION_FIELDS: Final = (
    f"id,updated_time,participants,messages.limit({MESSAGES_PER_CONVERSATION}){{{_MESSAGE_FIELDS}}}"
)
LOGIN_PERMISSIONS: Final = (
    "instagram_basic, instagram_manage_comments, instagram_manage_messages, "
    "pages_show_list, pages_read_engagement, pages_manage_metadata"
)


@dataclass(frozen=True, slots=True)
class _Watermark:
    """The newest moment stored, and the ids stored at exactly that moment.

    Graph times are whole seconds, so two messages can share one; keeping the ids at the
    floor lets the next poll take the other one without taking the first again.
    """

    floor: datetime | None = None
    at_floor: frozenset[str] = frozenset()

    def is_new(self, moment: datetime, identifier: str) -> bool:
        if self.floor is None or moment > self.floor:
            return True
        return moment == self.floor and identifier not in self.at_floor

    def raised(self, items: Iterable[FetchedItem], ceiling: datetime) -> _Watermark:
        """The watermark after storing `items` as well.

        An item dated after `ceiling` (a clock far ahead) does not raise it: it would hide
        every later message. Such an item is read again each poll and stored once.
        """
        floor, at_floor = self.floor, set(self.at_floor)
        for item in items:
            if item.created_at > ceiling:
                continue
            if floor is None or item.created_at > floor:
                floor, at_floor = item.created_at, {item.external_id}
            elif item.created_at == floor:
                at_floor.add(item.external_id)
        return _Watermark(floor, frozenset(at_floor))

    def dump(self) -> dict[str, Any]:
        if self.floor is None:
            return {}
        return {"floor": self.floor.isoformat(), "at_floor": sorted(self.at_floor)}

    @classmethod
    def load(cls, fields: Mapping[str, Any]) -> _Watermark:
        floor = fields.get("floor")
        return cls(
            datetime.fromisoformat(floor) if isinstance(floor, str) else None,
            frozenset(str(identifier) for identifier in fields.get("at_floor") or ()),
        )


@dataclass(frozen=True, slots=True)
class _Walk:
    """Where a stream stands: what is stored (`stored`), and a walk in progress.

    A comments walk reads the newest posts' comments, one page at a time: `queue` holds
    the posts (id, permalink) still to read and `after` the page inside the first one. A
    DM walk reads conversations newest first, `after` being the next page. `seen` gathers
    what the walk found, and becomes `stored` when the walk ends. Graph cursors live only
    as long as one walk: Meta says not to keep them.
    """

    stored: _Watermark = _Watermark()
    seen: _Watermark = _Watermark()
    queue: tuple[tuple[str, str | None], ...] = ()
    after: str | None = None
    pages: int = 0
    started: bool = False

    @classmethod
    def read(cls, cursor: str | None) -> _Walk:
        if not cursor:
            return cls()
        try:
            fields = json.loads(cursor)
            return cls(
                stored=_Watermark.load(fields.get("stored") or {}),
                seen=_Watermark.load(fields.get("seen") or {}),
                queue=tuple((str(media), link) for media, link in fields.get("queue") or ()),
                after=fields.get("after"),
                pages=int(fields.get("pages") or 0),
                started=bool(fields.get("started")),
            )
        except (ValueError, TypeError, AttributeError):
            raise ValueError(f"not an Instagram cursor: {cursor!r}") from None

    def write(self) -> str:
        fields: dict[str, Any] = {"stored": self.stored.dump()}
        if self.started:
            fields.update(
                seen=self.seen.dump(),
                queue=[list(entry) for entry in self.queue],
                after=self.after,
                pages=self.pages,
                started=True,
            )
        return json.dumps(fields, sort_keys=True)

    def ended(self) -> _Walk:
        """The state once the walk is over: everything it saw is stored."""
        stored, seen = self.stored, self.seen
        if seen.floor is None or (stored.floor is not None and seen.floor < stored.floor):
            return _Walk(stored=stored)
        if seen.floor == stored.floor:
            return _Walk(stored=_Watermark(stored.floor, stored.at_floor | seen.at_floor))
        return _Walk(stored=seen)


class InstagramAdapter(Adapter):
    """One Instagram professional account, through the Page it is linked to.

    `comments` reads the comments (with their replies) on the account's `recent_media`
    newest posts, newest first, a page per fetch, down to what is stored; the account's
    own replies come back as OUT items. `dms` reads the Page's Instagram conversations
    (`GET /{page-id}/conversations?platform=instagram`) newest first with their newest
    messages. Meta recommends webhooks for both, and sends @mentions only that way: the
    `comments`, `mentions` and `messaging` deliveries land through `webhook_items`, with
    the same external ids and thread keys as polling gives.

    Answers: a reply to a top-level comment (`POST /{ig-comment-id}/replies`; a reply to a
    reply goes to its top-level comment, as Instagram threads are one level deep), a reply
    to an @mention (`POST /{ig-user-id}/mentions`), and a direct message through the Send
    API, allowed within 24 hours of the person's last message. Instagram cannot publish a
    text-only post, so the account takes no incident statement (`can_post_statement`).
    Comments can be hidden (`POST /{ig-comment-id}?hide=true`).

    Graph has no idempotency keys, so `find_sent` reads the replies of the top-level
    comment for one by the account with the same text. Usage headers
    (`X-Business-Use-Case-Usage`) set `poll_delay`.
    """

    platform = "instagram"
    display_name = "Instagram"
    streams = ("comments", "dms")
    kinds = frozenset({Kind.COMMENT, Kind.MENTION, Kind.DM})
    finds_sent = frozenset({Kind.COMMENT})
    can_dm = True
    can_post_statement = False
    can_hide = True
    text_limit = 1000
    """Direct messages take 1,000 bytes (comments take 2,200 characters); the lower rules,
    so one prepared answer fits every Instagram thread."""
    length_rule = LengthRule.CHARACTERS
    reply_window_hours = 24
    poll_interval_seconds = 60.0
    webhook_object = "instagram"
    credential_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    settings_fields = (
        AccountSetting(
            "ig_user_id",
            "the Instagram professional account's id (webhooks name the account by it)",
            default="from the login",
        ),
        AccountSetting(
            "page_id", "the Facebook Page linked to the account", default="from the login"
        ),
        AccountSetting(
            "recent_media",
            "how many of the newest posts each poll reads comments on",
            default=DEFAULT_RECENT_MEDIA,
            kind=int,
        ),
        AccountSetting(
            "api_base", "the Graph address, for proxies and tests", default=GRAPH_BASE_URL
        ),
    )

    def __init__(
        self,
        account: AccountRef,
        client: httpx.AsyncClient | None,
        credential: Mapping[str, str] | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
        on_credential_refreshed: Callable[[Mapping[str, str]], None] | None = None,
    ) -> None:
        super().__init__(
            account, client, credential, on_credential_refreshed=on_credential_refreshed
        )
        self._clock = clock
        self._usage = GraphUsage(clock)
        self._api = str(account.settings.get("api_base") or GRAPH_BASE_URL).rstrip("/")
        stored = credential or {}
        self._ig_user_id = _setting(account, stored, "ig_user_id")
        self._page_id = _setting(account, stored, "page_id")
        self._username = account.handle.strip().lstrip("@") or None

    # -- reading --------------------------------------------------------------------------

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the next page of comments or direct messages after `cursor`."""
        walk = _Walk.read(cursor)
        if stream == "comments":
            return await self._fetch_comments(walk)
        if stream == "dms":
            return await self._fetch_dms(walk)
        raise ValueError(f"Instagram has no stream {stream!r}")

    async def _fetch_comments(self, walk: _Walk) -> FetchResult:
        own_id = await self._own_id()
        if not walk.started:
            walk = replace(walk, started=True, queue=await self._recent_media(own_id))
        if not walk.queue:
            return FetchResult(items=(), next_cursor=walk.ended().write())
        media_id, permalink = walk.queue[0]
        params: dict[str, Any] = {"fields": _COMMENTS_FIELDS, "limit": COMMENTS_PAGE}
        if walk.after:
            params["after"] = walk.after
        try:
            page = await self._graph().get(graph_path(media_id, "comments"), params)
        except GraphRefused as refusal:
            # A post deleted since the walk began, or a cursor Graph no longer knows:
            # that post is passed over, so one refusal cannot hold the stream still.
            log.warning("passed over Instagram media %s: %s", shown(media_id), refusal)
            page = {"data": []}
        items, reached_stored = [], False
        with reading_page(f"Instagram comments of {media_id}"):
            for raw in _data(page):
                for comment in self._comment_and_replies(raw, media_id):
                    if not walk.stored.is_new(comment.created_at, comment.id):
                        reached_stored = True
                    else:
                        items.append(
                            mapping.comment_item(
                                comment,
                                own_id=own_id,
                                own_username=self._username,
                                url=permalink,
                            )
                        )
            after = _next_after(page)
        walk = replace(walk, seen=walk.seen.raised(items, self._ceiling()))
        if after and not reached_stored and walk.pages + 1 < COMMENT_PAGES_PER_MEDIA:
            walk = replace(walk, after=after, pages=walk.pages + 1)
        else:
            walk = replace(walk, queue=walk.queue[1:], after=None, pages=0)
        if not walk.queue:
            return FetchResult(items=tuple(items), next_cursor=walk.ended().write())
        return FetchResult(items=tuple(items), next_cursor=walk.write(), has_more=True)

    async def _recent_media(self, own_id: str) -> tuple[tuple[str, str | None], ...]:
        """The newest posts of the account that have comments, as (id, permalink)."""
        count = self.account.settings.get("recent_media", DEFAULT_RECENT_MEDIA)
        limit = count if isinstance(count, int) and 0 < count <= 100 else DEFAULT_RECENT_MEDIA
        page = await self._graph().get(
            graph_path(own_id, "media"), {"fields": _MEDIA_FIELDS, "limit": limit}
        )
        queue = []
        with reading_page("Instagram media"):
            for raw in _data(page):
                try:
                    media = Media.parse(raw)
                except ITEM_FAULTS as problem:
                    self._log_skip("media", raw, problem)
                    continue
                if media.comments_count > 0:
                    queue.append((media.id, media.permalink))
        return tuple(queue)

    def _comment_and_replies(self, raw: Any, media_id: str) -> list[Comment]:
        """A top-level comment and its embedded replies, each read or skipped on its own."""
        try:
            comment = Comment.parse(raw, media_id=media_id)
        except ITEM_FAULTS as problem:
            self._log_skip("comment", raw, problem)
            return []
        found = [comment]
        for reply in comment.replies:
            try:
                parsed = Comment.parse(reply, media_id=media_id)
            except ITEM_FAULTS as problem:
                self._log_skip("reply", reply, problem)
                continue
            found.append(parsed if parsed.parent_id else replace(parsed, parent_id=comment.id))
        return found

    async def _fetch_dms(self, walk: _Walk) -> FetchResult:
        own_id = await self._own_id()
        params: dict[str, Any] = {
            "platform": "instagram",
            "fields": _CONVERSATION_FIELDS,
            "limit": CONVERSATIONS_PAGE,
        }
        path = graph_path(await self._own_page_id(), "conversations")
        try:
            page = await self._graph().get(
                path, {**params, "after": walk.after} if walk.after else params
            )
        except GraphRefused:
            if not walk.after:
                raise
            # The cursor expired mid-walk: start again from the newest conversation.
            page = await self._graph().get(path, params)
        items, reached_stored = [], False
        with reading_page("Instagram conversations"):
            for raw in _data(page):
                try:
                    conversation = Conversation.parse(raw)
                except ITEM_FAULTS as problem:
                    self._log_skip("conversation", raw, problem)
                    continue
                if walk.stored.floor is not None and conversation.updated_at < walk.stored.floor:
                    reached_stored = True
                    continue
                items.extend(self._conversation_items(conversation, own_id, walk.stored))
            after = _next_after(page)
        walk = replace(walk, started=True, seen=walk.seen.raised(items, self._ceiling()))
        if after and not reached_stored:
            return FetchResult(
                items=tuple(items),
                next_cursor=replace(walk, after=after).write(),
                has_more=True,
            )
        return FetchResult(items=tuple(items), next_cursor=walk.ended().write())

    def _conversation_items(
        self, conversation: Conversation, own_id: str, stored: _Watermark
    ) -> list[FetchedItem]:
        others = [person for person in conversation.participant_ids if person != own_id]
        items = []
        for raw in conversation.messages:
            try:
                message = DirectMessage.parse(raw)
                customer = _customer(message, own_id) or (others[0] if others else None)
                if customer is None:
                    raise Malformed("the conversation names no other person")
                if stored.is_new(message.created_at, message.id):
                    items.append(mapping.dm_item(message, own_id=own_id, customer_id=customer))
            except ITEM_FAULTS as problem:
                self._log_skip("message", raw, problem)
        return items

    # -- webhooks -------------------------------------------------------------------------

    @classmethod
    def webhook_key(cls, account: AccountRef) -> str | None:
        """The Instagram account id deliveries name this account by (`ig_user_id`)."""
        identifier = account.settings.get("ig_user_id")
        return str(identifier) if identifier else None

    async def webhook_items(self, entry: Mapping[str, Any]) -> tuple[FetchedItem, ...]:
        """The comments, @mentions and direct messages one `instagram` entry carries.

        A `comments` change maps as it is (the account's own comments as OUT); a
        `mentions` change holds ids only, so the mentioning comment or caption is asked of
        Graph; `messaging` events become direct messages (echoes of the account's own as
        OUT; read receipts, reactions and deletions are passed over). A change or event
        that does not read is skipped with a log line.
        """
        if not isinstance(entry, Mapping):
            raise PayloadInvalid("an Instagram webhook entry is not an object")
        changes, events = entry.get("changes", []), entry.get("messaging", [])
        if not isinstance(changes, list) or not isinstance(events, list):
            raise PayloadInvalid("an Instagram webhook entry has no list of changes or events")
        own_id = self._ig_user_id or _entry_id(entry)
        if own_id is None:
            raise PayloadInvalid("an Instagram webhook entry names no account")
        sent_at = _entry_time(entry.get("time")) or self._clock()
        items: list[FetchedItem] = []
        for change in changes:
            try:
                items.extend(await self._change_items(change, own_id, sent_at))
            except ITEM_FAULTS as problem:
                self._log_skip("webhook change", change, problem)
        for event in events:
            try:
                message = DirectMessage.parse_event(event)
                customer = None if message is None else _customer(message, own_id)
                if message is not None and customer is not None:
                    items.append(mapping.dm_item(message, own_id=own_id, customer_id=customer))
            except ITEM_FAULTS as problem:
                self._log_skip("messaging event", event, problem)
        return tuple(items)

    async def _change_items(
        self, change: Any, own_id: str, sent_at: datetime
    ) -> tuple[FetchedItem, ...]:
        field = change.get("field") if isinstance(change, Mapping) else None
        if field in ("comments", "live_comments"):
            comment = Comment.parse_webhook(change.get("value"), sent_at)
            return (mapping.comment_item(comment, own_id=own_id, own_username=self._username),)
        if field == "mentions":
            mention = WebhookMention.parse(change.get("value"))
            try:
                return (await self._mention_item(mention),)
            except GraphRefused as refusal:
                # Deleted since, or on a post whose comments were turned off: Graph will
                # never answer for it, so it is passed over and the rest of the entry lands.
                log.warning("passed over an Instagram mention of %s: %s", mention, refusal)
        return ()

    async def _mention_item(self, mention: WebhookMention) -> FetchedItem:
        """Ask Graph for the comment or caption a `mentions` delivery names by id."""
        own_id = await self._own_id()
        if mention.comment_id is not None:
            field = "mentioned_comment"
            fields = f"{field}.comment_id({mention.comment_id}){{{_MENTIONED_COMMENT_FIELDS}}}"
        else:
            field = "mentioned_media"
            fields = f"{field}.media_id({mention.media_id}){{{_MEDIA_FIELDS}}}"
        answer = await self._graph().get(graph_path(own_id), {"fields": fields})
        try:
            if mention.comment_id is not None:
                comment = Comment.parse(mentioned(answer, field), media_id=mention.media_id)
                return mapping.mentioning_comment_item(comment, mention.media_id)
            return mapping.mentioning_media_item(Media.parse(mentioned(answer, field)))
        except Malformed as problem:
            raise PayloadInvalid(f"Graph answered an unreadable {field}: {problem}") from None

    # -- writing --------------------------------------------------------------------------

    async def send(self, request: OutboundRequest) -> SentRef:
        """Reply to a comment or an @mention, or send a direct message."""
        graph = self._graph()
        if request.kind == Kind.DM:
            answer = await graph.post(
                graph_path(await self._own_page_id(), "messages"),
                json_body={
                    "recipient": {"id": _dm_recipient(request)},
                    "message": {"text": request.text},
                },
            )
            return SentRef(external_id=self._read(sent_message_id, answer), sent_at=self._clock())
        if request.kind == Kind.MENTION:
            media_id, comment_id = _mention_target(request)
            form = {"media_id": media_id, "message": request.text}
            if comment_id is not None:
                form["comment_id"] = comment_id
            answer = await graph.post(graph_path(await self._own_id(), "mentions"), form)
        else:
            answer = await graph.post(
                graph_path(_top_level_comment(request), "replies"), {"message": request.text}
            )
        return SentRef(external_id=self._read(created_id, answer), sent_at=self._clock())

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The reply an interrupted `send` of `request` posted, read from the top-level
        comment's replies: one by the account since `since`, with the same text.

        Graph times are whole seconds, so `since` is taken to its second.
        """
        if request.kind != Kind.COMMENT:
            return None
        own_id = await self._own_id()
        top = _top_level_comment(request)
        since = since.replace(microsecond=0)
        async for raw in self._graph().items(
            graph_path(top, "replies"),
            {"fields": _COMMENT_FIELDS, "limit": COMMENTS_PAGE},
            max_pages=FIND_SENT_PAGES,
        ):
            try:
                reply = Comment.parse(raw)
            except ITEM_FAULTS as problem:
                self._log_skip("reply", raw, problem)
                continue
            item = mapping.comment_item(reply, own_id=own_id, own_username=self._username)
            if (
                item.direction == Direction.OUT
                and reply.created_at >= since
                and same_text(request.text, reply.text)
            ):
                return SentRef(external_id=reply.id, sent_at=reply.created_at)
        return None

    async def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) a comment on the account's posts."""
        answer = await self._graph().post(
            graph_path(external_id), {"hide": "true" if hidden else "false"}
        )
        if answer.get("success") is not True:
            raise PayloadInvalid(f"Graph did not confirm hiding comment {shown(external_id)}")

    # -- the account ----------------------------------------------------------------------

    async def verify(self) -> str:
        """Ask Graph which Instagram account the token reaches (`GET /{ig-user-id}`)."""
        answer = await self._graph().get(
            graph_path(await self._own_id()), {"fields": "id,username"}
        )
        username = answer.get("username")
        return f"@{username}" if isinstance(username, str) and username else "?"

    def poll_delay(self) -> float | None:
        """The pace Meta's usage headers allow, from `adapters._graph.GraphUsage`."""
        return self._usage.poll_delay(self.poll_interval_seconds)

    @classmethod
    async def log_in(
        cls, account: AccountRef, client: httpx.AsyncClient, prompt: LoginPrompt
    ) -> Mapping[str, str] | None:
        """Turn a person's Facebook user token into the token of the Page linked to the account.

        The user token (from the app's Facebook Login, or the Graph API Explorer) lists the
        Pages the person manages with each one's token (`GET /me/accounts`); the Page
        whose `instagram_business_account` is this account (the `ig_user_id` setting, else
        the person's pick) gives the Page token kept in the keyring. With the app's id and
        secret the user token is first made long-lived, so the Page token does not expire.
        """
        api_base = str(account.settings.get("api_base") or GRAPH_BASE_URL).rstrip("/")
        prompt.show(f"A Facebook user token with {LOGIN_PERMISSIONS} is needed,")
        prompt.show("from your Meta app's Facebook Login or the Graph API Explorer.")
        user_token = prompt.ask("User access token", secret=True).strip()
        app_id = prompt.ask("Meta app id (empty if the token is already long-lived)").strip()
        if app_id:
            app_secret = prompt.ask("Meta app secret", secret=True).strip()
            user_token = await _long_lived(client, api_base, user_token, app_id, app_secret)
        pages = await list_pages(GraphClient(client, user_token, base_url=api_base))
        page = _page_of(prompt, pages, account.settings.get("ig_user_id"))
        ig_user_id = str(page.instagram_account_id)
        if not account.settings.get("ig_user_id"):
            prompt.show(
                f"The Instagram account's id is {ig_user_id}; webhooks find the account by "
                f"it: set it with `inbox accounts settings <account> ig_user_id={ig_user_id}`."
            )
        return {"access_token": page.access_token, "page_id": page.id, "ig_user_id": ig_user_id}

    async def _own_id(self) -> str:
        if self._ig_user_id is None:
            self._page_id, self._ig_user_id = await self._discover()
        return self._ig_user_id

    async def _own_page_id(self) -> str:
        if self._page_id is None:
            self._page_id, self._ig_user_id = await self._discover()
        return self._page_id

    async def _discover(self) -> tuple[str, str]:
        """Ask the Page token which Page it is and which Instagram account it links."""
        answer = await self._graph().get("/me", {"fields": "id,instagram_business_account"})
        linked = answer.get("instagram_business_account")
        page_id = _entry_id(answer)
        ig_user_id = _entry_id(linked)
        if page_id is None or ig_user_id is None:
            raise PayloadInvalid(
                "the token names no Page with a linked Instagram professional account; "
                "set ig_user_id and page_id, or log in again"
            )
        return self._page_id or page_id, self._ig_user_id or ig_user_id

    def _ceiling(self) -> datetime:
        return self._clock() + CLOCK_SKEW

    def _graph(self) -> GraphClient:
        if self.client is None:
            raise ValueError("the Instagram adapter needs an httpx.AsyncClient")
        token = (self.credential or {}).get("access_token", "")
        return GraphClient(
            self.client, token, base_url=self._api, usage=self._usage, clock=self._clock
        )

    def _read(self, parse: Callable[[Any], str], answer: Any) -> str:
        try:
            return parse(answer)
        except Malformed as problem:
            raise PayloadInvalid(f"Graph answered an unreadable creation: {problem}") from None

    def _log_skip(self, what: str, raw: Any, problem: Exception) -> None:
        log.warning(
            "skipped a malformed Instagram %s from account %s (%s), external id %s: %s",
            what,
            self.account.id,
            self.account.handle,
            shown(_entry_id(raw)),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )


async def _long_lived(
    client: httpx.AsyncClient, api_base: str, user_token: str, app_id: str, app_secret: str
) -> str:
    """The long-lived user token Graph exchanges a short-lived one for (about 60 days).

    https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
    Sent as a form, so neither token nor secret is in an address.
    """
    answer = await GraphClient(client, user_token, base_url=api_base).post(
        "/oauth/access_token",
        {
            "grant_type": "fb_exchange_token",
            "client_id": app_id,
            "client_secret": app_secret,
            "fb_exchange_token": user_token,
        },
    )
    token = answer.get("access_token")
    if not isinstance(token, str) or not token:
        raise PayloadInvalid("Graph exchanged the user token for no long-lived token")
    return token


def _page_of(prompt: LoginPrompt, pages: Sequence[PageGrant], ig_user_id: Any) -> PageGrant:
    """The Page linked to the Instagram account `ig_user_id`, else the person's pick of those
    linked to one. ValueError says why none fits."""
    linked = [page for page in pages if page.instagram_account_id]
    if not linked:
        raise ValueError(
            "none of the Pages this token manages has an Instagram professional account "
            "linked (link it in the Page's settings, and grant instagram_basic)"
        )
    if ig_user_id:
        for page in linked:
            if page.instagram_account_id == str(ig_user_id):
                prompt.show(f"Using the Page {page.name} ({page.id}).")
                return page
        raise ValueError(f"no Page this token manages links the Instagram account {ig_user_id}")
    return choose_page(prompt, linked)


def _setting(account: AccountRef, credential: Mapping[str, str], name: str) -> str | None:
    value = account.settings.get(name) or credential.get(name)
    return str(value) if value else None


def _data(page: Mapping[str, Any]) -> list[Any]:
    data = page.get("data")
    if not isinstance(data, list):
        raise PayloadInvalid("Graph answered a page without a list")
    return data


def _next_after(page: Mapping[str, Any]) -> str | None:
    """The `after` cursor of the page that follows, or None when Graph gives no `next`."""
    paging = page.get("paging")
    if not isinstance(paging, Mapping) or not isinstance(paging.get("next"), str):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    return after if isinstance(after, str) and after else None


def _entry_time(value: Any) -> datetime | None:
    """An entry's `time`: seconds for changes, milliseconds for messaging."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 10**11:
        value = value / 1000
    return epoch_time(value)


def _customer(message: DirectMessage, own_id: str) -> str | None:
    """The other person in a direct message: its recipient if the account sent it."""
    if message.is_echo or message.sender_id == own_id:
        return message.recipient_id
    return message.sender_id


def _entry_id(raw: Any) -> str | None:
    identifier = raw.get("id") if isinstance(raw, Mapping) else None
    if isinstance(identifier, bool) or not isinstance(identifier, str | int):
        return None
    return str(identifier)


def _top_level_comment(request: OutboundRequest) -> str:
    """The top-level comment a reply goes under: its thread's root, else its parent."""
    root = mapping.comment_root(request.thread_key or "")
    if root is None and request.in_reply_to:
        root = request.in_reply_to
    if root is None:
        raise ValueError("an Instagram comment reply needs a comment: thread key")
    return root


def _mention_target(request: OutboundRequest) -> tuple[str, str | None]:
    target = mapping.mention_target(request.thread_key or "")
    if target is None:
        raise ValueError("an Instagram mention reply needs a mention: thread key")
    return target


def _dm_recipient(request: OutboundRequest) -> str:
    customer = mapping.dm_customer(request.thread_key or "")
    if customer is None and request.recipient is not None:
        customer = request.recipient.external_id
    if customer is None:
        raise ValueError("an Instagram direct message needs a dm: thread key or a recipient")
    return customer
