"""The Facebook Page adapter: HTTP only; payloads.py reads the JSON and mapping.py makes items.

Settings, from `account.settings`:

| key | meaning | default |
| --- | --- | --- |
| `page_id` | the Page's id, by which webhooks name the account | chosen at login, or `GET /me` |
| `human_agent_tag` | Messenger replies carry the `HUMAN_AGENT` tag (answers up to 7 days) | false |
| `api_base` | the Graph address, for proxies and tests | `adapters._graph.GRAPH_BASE_URL` |

The credential is a Page access token (`access_token`) and the Page's id (`page_id`),
which `log_in` takes from a person's user token (`GET /me/accounts`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Final

import httpx

from adapters._graph import (
    GRAPH_BASE_URL,
    GraphClient,
    GraphUsage,
    choose_page,
    graph_path,
    list_pages,
)
from adapters._http import utc_now
from adapters._payload import ITEM_FAULTS, Malformed, reading_page, same_text, shown
from adapters.base import (
    AccountRef,
    AccountSetting,
    Adapter,
    FetchedItem,
    FetchResult,
    Kind,
    LengthRule,
    LoginPrompt,
    OutboundRequest,
    PayloadInvalid,
    PlatformUnavailable,
    SentRef,
)
from adapters.facebook import mapping
from adapters.facebook.payloads import (
    COMMENT_FIELDS,
    MESSAGE_FIELDS,
    Comment,
    Conversation,
    Message,
    Post,
)

log = logging.getLogger(__name__)

FEED_PAGE: Final = 25
FEED_PAGES: Final = 2
"""Pages of the Page's feed each poll reads: comments on older posts arrive by webhook."""
COMMENTS_PAGE: Final = 100
COMMENT_PAGES: Final = 5
CONVERSATIONS_PAGE: Final = 25
CONVERSATION_PAGES: Final = 4
MESSAGES_PAGE: Final = 25
MESSAGE_PAGES: Final = 4
FIND_SENT_PAGES: Final = 3
HUMAN_AGENT_WINDOW_HOURS: Final = 7 * 24
"""How long after the person's last message the `HUMAN_AGENT` tag lets a person answer
(https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags)."""


@dataclass(frozen=True, slots=True)
class _Watermark:
    """What a stream has read up to: the newest time seen, and the ids seen at that second.

    Graph times have one-second resolution, so two messages in the newest second are told
    apart by id. Written as `"<unix seconds> <id> <id>..."`.
    """

    seconds: int
    ids: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, cursor: str | None) -> _Watermark | None:
        if not cursor:
            return None
        seconds, *ids = cursor.split(" ")
        try:
            return cls(int(seconds), frozenset(ids))
        except ValueError:
            raise PayloadInvalid(f"not a Facebook cursor: {shown(cursor)}") from None

    @classmethod
    def after(cls, items: list[FetchedItem], previous: _Watermark | None) -> _Watermark | None:
        """The watermark past `items` (and `previous`)."""
        if not items:
            return previous
        newest = max(int(item.created_at.timestamp()) for item in items)
        if previous is not None and previous.seconds > newest:
            return previous
        ids = {item.external_id for item in items if int(item.created_at.timestamp()) == newest}
        if previous is not None and previous.seconds == newest:
            ids |= previous.ids
        return cls(newest, frozenset(ids))

    def admits(self, moment: datetime, identifier: str) -> bool:
        """Whether something at `moment` with `identifier` is new."""
        seconds = int(moment.timestamp())
        return seconds > self.seconds or (seconds == self.seconds and identifier not in self.ids)

    def is_before(self, moment: datetime) -> bool:
        """Whether `moment` is in an earlier second than the watermark: nothing older is new."""
        return int(moment.timestamp()) < self.seconds

    def __str__(self) -> str:
        return " ".join([str(self.seconds), *sorted(self.ids)])


class FacebookAdapter(Adapter):
    """One Facebook Page: comments on its posts and its Messenger conversations.

    `comments` reads the Page's newest posts (`GET /{page-id}/feed`, `FEED_PAGES` pages)
    and, for each whose `updated_time` moved past the cursor, its comments and replies
    newest first (`GET /{post-id}/comments?filter=stream&order=reverse_chronological`)
    until one is older than the cursor. `dms` reads `GET /{page-id}/conversations` (newest
    activity first) and the messages nested in each. The cursor is the newest time seen
    (see `_Watermark`); the first poll reads what those first pages hold. Meta recommends
    webhooks for comments; `webhook_items` maps them to the very same items.

    Answers: a reply to a comment goes under its top-level comment
    (`POST /{comment-id}/comments`); a comment item with no thread is a Page post, the
    incident statement (`POST /{page-id}/feed`); a DM in a Messenger thread uses the Send API
    (`POST /{page-id}/messages`, `messaging_type=RESPONSE`, or the `HUMAN_AGENT` tag when
    the `human_agent_tag` setting is on); a DM that answers a comment (`in_reply_to` a
    comment, no Messenger thread) is a private reply (`recipient: {comment_id}`).
    """

    platform = "facebook"
    display_name = "Facebook"
    streams = ("comments", "dms")
    kinds = frozenset({Kind.COMMENT, Kind.DM})
    finds_sent = frozenset({Kind.COMMENT})
    can_dm = True
    can_post_statement = True
    can_hide = True
    text_limit = 8000
    """A comment's limit; Messenger's (2,000 characters, widely cited) is not in Meta's docs."""
    length_rule = LengthRule.CHARACTERS
    reply_window_hours = 24
    can_reply_privately = True
    poll_interval_seconds = 60.0
    webhook_object = "page"
    credential_fields: ClassVar[tuple[str, ...]] = ("access_token",)
    settings_fields = (
        AccountSetting("page_id", "the Page's numeric id", default="the id chosen at login"),
        AccountSetting(
            "human_agent_tag",
            "send Messenger replies with the HUMAN_AGENT tag, allowed up to 7 days after the "
            "person's last message (the app needs Meta's Human Agent permission)",
            default=False,
            kind=bool,
        ),
        AccountSetting(
            "api_base", "the Graph API address, for proxies and tests", default=GRAPH_BASE_URL
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
        self._page_id: str | None = _configured_page_id(account, credential)

    @classmethod
    def reply_window_for(cls, settings: Mapping[str, Any]) -> int | None:
        """The reply window of an account with `settings`: 7 days with `human_agent_tag`."""
        if settings.get("human_agent_tag") is True:
            return HUMAN_AGENT_WINDOW_HOURS
        return cls.reply_window_hours

    # -- reading ---------------------------------------------------------------------------

    async def fetch(self, stream: str, cursor: str | None) -> FetchResult:
        """Read the comments or Messenger messages that arrived after `cursor`."""
        watermark = _Watermark.parse(cursor)
        if stream == "comments":
            items = await self._new_comments(watermark)
        elif stream == "dms":
            items = await self._new_messages(watermark)
        else:
            raise ValueError(f"Facebook has no stream {stream!r}")
        items.sort(key=lambda item: (item.created_at, item.external_id))
        following = _Watermark.after(items, watermark)
        if following is None:
            following = _Watermark(int(self._clock().timestamp()))
        return FetchResult(items=tuple(items), next_cursor=str(following))

    async def _new_comments(self, watermark: _Watermark | None) -> list[FetchedItem]:
        page_id = await self.page_id()
        graph = self._graph()
        path = graph_path(page_id, "feed")
        params = {"fields": "id,updated_time", "limit": FEED_PAGE}
        posts: list[Post] = []
        with reading_page(f"GET {path}"):
            async for raw in graph.items(path, params, max_pages=FEED_PAGES):
                try:
                    post = Post.parse(raw)
                except ITEM_FAULTS as problem:
                    self._log_skip("post", raw, problem)
                    continue
                if watermark is None or not watermark.is_before(post.updated_at):
                    posts.append(post)
        items: list[FetchedItem] = []
        for post in posts:
            items.extend(await self._comments_of(graph, post.id, page_id, watermark))
        return items

    async def _comments_of(
        self, graph: GraphClient, post_id: str, page_id: str, watermark: _Watermark | None
    ) -> list[FetchedItem]:
        path = graph_path(post_id, "comments")
        params = {
            "fields": COMMENT_FIELDS,
            "filter": "stream",
            "order": "reverse_chronological",
            "limit": COMMENTS_PAGE,
        }
        items = []
        with reading_page(f"GET {path}"):
            async with aclosing(graph.items(path, params, max_pages=COMMENT_PAGES)) as listing:
                async for raw in listing:
                    try:
                        comment = Comment.parse(raw, post_id)
                    except ITEM_FAULTS as problem:
                        self._log_skip("comment", raw, problem)
                        continue
                    if watermark is not None and watermark.is_before(comment.created_at):
                        break
                    if watermark is not None and not watermark.admits(
                        comment.created_at, comment.id
                    ):
                        continue
                    try:
                        items.append(mapping.comment_item(comment, page_id=page_id, raw=raw))
                    except ITEM_FAULTS as problem:
                        self._log_skip("comment", raw, problem)
        return items

    async def _new_messages(self, watermark: _Watermark | None) -> list[FetchedItem]:
        page_id = await self.page_id()
        graph = self._graph()
        path = graph_path(page_id, "conversations")
        params = {
            "platform": "messenger",
            "fields": (
                f"id,updated_time,participants,messages.limit({MESSAGES_PAGE}){{{MESSAGE_FIELDS}}}"
            ),
            "limit": CONVERSATIONS_PAGE,
        }
        pages = CONVERSATION_PAGES if watermark is not None else 1
        items: list[FetchedItem] = []
        with reading_page(f"GET {path}"):
            async with aclosing(graph.items(path, params, max_pages=pages)) as listing:
                async for raw in listing:
                    try:
                        conversation = Conversation.parse(raw)
                    except ITEM_FAULTS as problem:
                        self._log_skip("conversation", raw, problem)
                        continue
                    if watermark is not None and watermark.is_before(conversation.updated_at):
                        break
                    async for message in self._messages_of(graph, conversation, watermark):
                        try:
                            items.append(mapping.message_item(message, page_id=page_id))
                        except ITEM_FAULTS as problem:
                            self._log_skip("message", message.id, problem)
        return items

    async def _messages_of(
        self, graph: GraphClient, conversation: Conversation, watermark: _Watermark | None
    ) -> AsyncIterator[Message]:
        """The conversation's messages after `watermark`, newest first; beyond the nested
        page, from `GET /{conversation-id}/messages` while they are all new."""
        for raw in conversation.messages:
            message = self._message(raw)
            if message is None:
                continue
            if watermark is not None and watermark.is_before(message.created_at):
                return
            if watermark is None or watermark.admits(message.created_at, message.id):
                yield message
        if watermark is None or conversation.more_messages is None:
            return
        path = graph_path(conversation.id, "messages")
        params = {"fields": MESSAGE_FIELDS, "after": conversation.more_messages}
        async with aclosing(graph.items(path, params, max_pages=MESSAGE_PAGES)) as listing:
            async for raw in listing:
                message = self._message(raw)
                if message is None:
                    continue
                if watermark.is_before(message.created_at):
                    return
                if watermark.admits(message.created_at, message.id):
                    yield message

    def _message(self, raw: Any) -> Message | None:
        try:
            return Message.parse(raw)
        except ITEM_FAULTS as problem:
            self._log_skip("message", raw, problem)
            return None

    # -- webhooks --------------------------------------------------------------------------

    @classmethod
    def webhook_key(cls, account: AccountRef) -> str | None:
        """The Page id webhook entries name this account by (the `page_id` setting)."""
        page_id = account.settings.get("page_id")
        return str(page_id) if page_id else None

    async def webhook_items(self, entry: Mapping[str, Any]) -> tuple[FetchedItem, ...]:
        """The comments and messages of one `page` webhook entry (see `mapping.webhook_items`)."""
        page_id = self._page_id or (str(entry.get("id")) if isinstance(entry, Mapping) else "")
        return mapping.webhook_items(entry, page_id)

    # -- writing ---------------------------------------------------------------------------

    async def send(self, request: OutboundRequest) -> SentRef:
        """Reply to a comment, post on the Page, or send a Messenger message."""
        if request.kind == Kind.DM:
            return await self._send_message(request)
        page_id = await self.page_id()
        graph = self._graph()
        top = _comment_target(request)
        if top is None:
            body = await graph.post(graph_path(page_id, "feed"), {"message": request.text})
            post_id = _answered_id(body, "id", "POST /{page-id}/feed")
            return SentRef(external_id=post_id, url=post_url(post_id))
        body = await graph.post(graph_path(top, "comments"), {"message": request.text})
        reply_id = _answered_id(body, "id", "POST /{comment-id}/comments")
        url = mapping.reply_url(reply_id, top, page_id)
        return SentRef(external_id=reply_id, url=url)

    async def _send_message(self, request: OutboundRequest) -> SentRef:
        page_id = await self.page_id()
        person = mapping.dm_person(request.thread_key) if request.thread_key else None
        body: dict[str, Any] = {"message": {"text": request.text}}
        if person is None and request.in_reply_to and request.thread_key is None:
            body["recipient"] = {"comment_id": request.in_reply_to}
        else:
            person = person or (request.recipient.external_id if request.recipient else None)
            if not person:
                raise ValueError("a Messenger message needs a thread or a recipient")
            body["recipient"] = {"id": person}
            if self.account.settings.get("human_agent_tag") is True:
                body.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
            else:
                body["messaging_type"] = "RESPONSE"
        answer = await self._graph().post(graph_path(page_id, "messages"), json_body=body)
        return SentRef(external_id=_answered_id(answer, "message_id", "POST /{page-id}/messages"))

    async def find_sent(self, request: OutboundRequest, since: datetime) -> SentRef | None:
        """The Page's own comment (or post) an interrupted `send` of `request` made, if any.

        Reads the replies under the answered top-level comment (or the Page's own posts for
        a statement) newest first until one is older than `since`.
        """
        if request.kind != Kind.COMMENT:
            return None
        page_id = await self.page_id()
        top = _comment_target(request)
        if top is None:
            path = graph_path(page_id, "published_posts")
            params: dict[str, Any] = {
                "fields": "id,message,created_time",
                "since": int(since.timestamp()),
            }
        else:
            path = graph_path(top, "comments")
            params = {"fields": COMMENT_FIELDS, "order": "reverse_chronological"}
        more = False
        async for page in self._graph().pages(path, params, max_pages=FIND_SENT_PAGES):
            for raw in page.entries:
                sent = self._own(raw, top or page_id)
                if sent is None:
                    continue
                if sent.created_at < since:
                    return None
                own = top is None or (sent.author is not None and sent.author.id == page_id)
                if own and same_text(request.text, sent.message):
                    url = mapping.reply_url(sent.id, top, page_id) if top else post_url(sent.id)
                    return SentRef(external_id=sent.id, url=url, sent_at=sent.created_at)
            more = page.more
        if not more:
            return None
        raise PlatformUnavailable(
            f"more than {FIND_SENT_PAGES} pages under {path} since {since.isoformat()}; "
            "cannot tell whether the message was posted"
        )

    def _own(self, raw: Any, post_id: str) -> Comment | None:
        """One of the Page's comments (or posts: they read alike here) for `find_sent`."""
        try:
            return Comment.parse(raw, post_id)
        except ITEM_FAULTS as problem:
            self._log_skip("own comment", raw, problem)
            return None

    async def hide(self, external_id: str, *, hidden: bool = True) -> None:
        """Hide a comment from everyone but its author and their friends (`is_hidden`)."""
        body = await self._graph().post(
            graph_path(external_id), {"is_hidden": "true" if hidden else "false"}
        )
        if body.get("success") is not True:
            raise PayloadInvalid(f"POST /{{comment-id}} answered {shown(dict(body))}, not success")

    # -- the account -------------------------------------------------------------------------

    async def verify(self) -> str:
        """Ask Graph whose token this is (`GET /me` answers the Page for a Page token)."""
        body = await self._graph().get("/me", {"fields": "id,name"})
        found = str(body.get("id", ""))
        expected = self.account.settings.get("page_id")
        if expected and found != str(expected):
            raise ValueError(f"this token is for {shown(found)}, not the Page {expected}")
        return f"the Page {body.get('name', '?')} ({found})"

    async def page_id(self) -> str:
        """The Page's id: from the settings or the credential, else asked of `GET /me`."""
        if self._page_id is None:
            body = await self._graph().get("/me", {"fields": "id"})
            page_id = body.get("id")
            if isinstance(page_id, bool) or not isinstance(page_id, str | int) or not page_id:
                raise PayloadInvalid("GET /me answered no id")
            self._page_id = str(page_id)
        return self._page_id

    def poll_delay(self) -> float | None:
        """The pace Meta's usage headers allow (`GraphUsage.poll_delay`)."""
        return self._usage.poll_delay(self.poll_interval_seconds)

    @classmethod
    async def log_in(
        cls, account: AccountRef, client: httpx.AsyncClient, prompt: LoginPrompt
    ) -> Mapping[str, str] | None:
        """Take a person's user token, list the Pages it manages, keep the chosen Page's token.

        The user token itself is not kept. A long-lived user token gives a Page token that
        does not expire; a short-lived one, a Page token for about an hour.
        """
        prompt.show(
            "Facebook answers as the Page with a Page token, taken from your user token. Make "
            "a user token (Graph API Explorer, or your app's login) with pages_show_list, "
            "pages_read_engagement, pages_manage_engagement, pages_messaging and "
            "pages_manage_metadata; extend it to a long-lived one so the Page token lasts."
        )
        user_token = prompt.ask("User access token", secret=True).strip()
        if not user_token:
            raise ValueError("a user access token is needed to find your Pages")
        base_url = str(account.settings.get("api_base") or GRAPH_BASE_URL)
        graph = GraphClient(client, user_token, base_url=base_url)
        preset = account.settings.get("page_id")
        page = choose_page(prompt, await list_pages(graph), page_id=str(preset) if preset else None)
        if not preset:
            prompt.show(
                f"Webhooks name this Page by its id: add --set page_id={page.id} "
                f"(or `inbox accounts settings facebook:{account.handle} page_id={page.id}`)."
            )
        return {"access_token": page.access_token, "page_id": page.id}

    def _graph(self) -> GraphClient:
        if self.client is None:
            raise ValueError("the Facebook adapter needs an httpx.AsyncClient")
        base_url = str(self.account.settings.get("api_base") or GRAPH_BASE_URL)
        token = (self.credential or {}).get("access_token", "")
        return GraphClient(
            self.client, token, base_url=base_url, usage=self._usage, clock=self._clock
        )

    def _log_skip(self, what: str, raw: Any, problem: Exception) -> None:
        identifier = raw.get("id") if isinstance(raw, Mapping) else raw
        log.warning(
            "skipped a malformed Facebook %s from account %s (%s), external id %s: %s",
            what,
            self.account.id,
            self.account.handle,
            shown(identifier),
            problem if isinstance(problem, Malformed) else type(problem).__name__,
        )


def _configured_page_id(account: AccountRef, credential: Mapping[str, str] | None) -> str | None:
    page_id = account.settings.get("page_id") or (credential or {}).get("page_id")
    return str(page_id) if page_id else None


def post_url(post_id: str) -> str:
    """The address of one of the Page's posts (`{page-id}_{post-id}` resolves there)."""
    return f"{mapping.SITE}/{post_id}"


def _comment_target(request: OutboundRequest) -> str | None:
    """The top-level comment an answer goes under; None for a new Page post."""
    root = mapping.comment_root(request.thread_key) if request.thread_key else None
    return root or request.in_reply_to


def _answered_id(body: Mapping[str, Any], key: str, where: str) -> str:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise PayloadInvalid(f"{where} answered no {key}")
    return str(value)
