"""X payloads to inbox items: pure functions, no HTTP.

A post's text comes as X stores it: links shortened to t.co, `&`, `<` and `>` escaped.
The item's text shows every link's expanded address and the characters the author typed;
a t.co link to the post's own photo or video is left out, as that media becomes an
attachment. Media, polls, link cards and the quoted post become `attachments`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from adapters.base import Attachment, AttachmentKind, Direction, FetchedContact, FetchedItem, Kind
from adapters.x.payloads import DmEvent, Includes, Link, Media, Post, User

SITE = "https://x.com"

_ESCAPE = re.compile(r"&(amp|lt|gt);")
_ESCAPED = {"amp": "&", "lt": "<", "gt": ">"}
_OWN_MEDIA_LINK = re.compile(
    r"https?://(?:www\.)?(?:twitter|x)\.com/\w+/status/(\d+)/(?:photo|video)/\d+"
)
"""How an older post's link to its own media reads, before links carried a `media_key`."""
_MEDIA_KINDS = {
    "photo": AttachmentKind.IMAGE,
    "video": AttachmentKind.VIDEO,
    "animated_gif": AttachmentKind.VIDEO,
}


def contact(user_id: str, users: Mapping[str, User]) -> FetchedContact:
    """The person behind a user id, named from `includes.users` when X sent them."""
    user = users.get(user_id)
    if user is None:
        return FetchedContact(external_id=user_id, handle=user_id)
    return FetchedContact(external_id=user_id, handle=f"@{user.username}", display_name=user.name)


def post_thread_key(conversation_id: str) -> str:
    """The thread key of a public conversation: X's `conversation_id` (its root post)."""
    return f"conversation:{conversation_id}"


def conversation_root(thread_key: str) -> str | None:
    """The root post id in a public conversation's thread key; None for any other key."""
    root = thread_key.removeprefix("conversation:")
    return root if root != thread_key and root else None


def dm_thread_key(dm_conversation_id: str) -> str:
    """The thread key of a direct-message conversation."""
    return f"dm:{dm_conversation_id}"


def post_url(post_id: str) -> str:
    """A link to a post that works without knowing its author's name."""
    return f"{SITE}/i/web/status/{post_id}"


def unescaped(text: str) -> str:
    """`text` with X's HTML escapes undone, in one pass.

    X escapes `&`, `<` and `>` only, so only `&amp;`, `&lt;` and `&gt;` are decoded: a
    user's literal "&amp;" arrives as "&amp;amp;" and stays "&amp;", and nothing else that
    merely looks like an entity is touched.
    """
    return _ESCAPE.sub(lambda match: _ESCAPED[match[1]], text)


def shown_text(text: str, links: Sequence[Link], hidden_media: Collection[str], own_id: str) -> str:
    """The text as its author meant it: links expanded, escapes undone.

    A link is found at its code-point indices, or else by its t.co address (indices that
    do not match the text are not trusted). A link to the post's own media is removed when
    that media (a key in `hidden_media`) is shown as an attachment; any other link shows
    its `expanded_url`, or stays t.co when X gave none.
    """
    pieces, position, removed = [], 0, False
    for start, end, link in _placed(text, links):
        pieces.append(unescaped(text[position:start]))
        if _is_own_media(link, hidden_media, own_id):
            removed = True
        else:
            pieces.append(link.expanded_url or link.url)
        position = end
    pieces.append(unescaped(text[position:]))
    shown = "".join(pieces)
    return shown.strip() if removed else shown


def _placed(text: str, links: Sequence[Link]) -> list[tuple[int, int, Link]]:
    placed, position = [], 0
    for link in sorted(links, key=lambda link: link.start):
        start = link.start if text[link.start : link.end] == link.url else -1
        if start < position:
            start = text.find(link.url, position)
        if start < 0:
            continue
        placed.append((start, start + len(link.url), link))
        position = start + len(link.url)
    return placed


def _is_own_media(link: Link, hidden_media: Collection[str], own_id: str) -> bool:
    if link.media_key is not None:
        return link.media_key in hidden_media
    own = _OWN_MEDIA_LINK.fullmatch(link.expanded_url or "")
    return bool(own and own[1] == own_id and hidden_media)


def media_attachment(media: Media) -> Attachment:
    """A photo as an image, a video or GIF as a video (its MP4, else its preview)."""
    kind = _MEDIA_KINDS.get(media.type, AttachmentKind.FILE)
    url = media.url if kind == AttachmentKind.IMAGE else None
    return Attachment(
        kind=kind,
        url=url or media.video_url or media.url or media.preview_image_url,
        description=media.alt_text,
    )


def link_card(link: Link) -> Attachment | None:
    """The card X made of a linked page, when it has a title or a description."""
    if link.title is None and link.description is None:
        return None
    return Attachment(
        kind=AttachmentKind.LINK,
        url=link.unwound_url or link.expanded_url or link.url,
        title=link.title,
        description=link.description,
    )


def quote(quoted_id: str, includes: Includes) -> Attachment:
    """The quoted post: its author, text and address (only the address when X left it out)."""
    quoted = includes.posts.get(quoted_id)
    if quoted is None:
        return Attachment(kind=AttachmentKind.QUOTE, url=post_url(quoted_id))
    author = includes.users.get(quoted.author_id)
    return Attachment(
        kind=AttachmentKind.QUOTE,
        url=f"{SITE}/{author.username}/status/{quoted.id}" if author else post_url(quoted.id),
        description=shown_text(quoted.text, quoted.links, (), quoted.id),
        author=f"@{author.username}" if author else None,
    )


def _media(keys: Sequence[str], includes: Includes) -> list[Media]:
    """The media X sent for `keys`, once each, in their order; keys X left out find none."""
    return [includes.media[key] for key in dict.fromkeys(keys) if key in includes.media]


def post_attachments(post: Post, includes: Includes) -> tuple[Attachment, ...]:
    """Media, polls, link cards and the quoted post, in the order X shows them."""
    media = _media(post.media_keys, includes)
    attachments = [media_attachment(one) for one in media]
    for poll_id in post.poll_ids:
        poll = includes.polls.get(poll_id)
        if poll is not None:
            attachments.append(Attachment(kind=AttachmentKind.POLL, options=poll.options))
    hidden = {one.media_key for one in media}
    for link in post.links:
        card = None if _is_own_media(link, hidden, post.id) else link_card(link)
        if card is not None:
            attachments.append(card)
    if post.quoted_id is not None:
        attachments.append(quote(post.quoted_id, includes))
    return tuple(attachments)


def mention_item(post: Post, *, includes: Includes, own_user_id: str) -> FetchedItem:
    """One mention as an item; a reply to one of the brand's posts is a comment."""
    hidden = {media.media_key for media in _media(post.media_keys, includes)}
    return FetchedItem(
        external_id=post.id,
        thread_key=post_thread_key(post.conversation_id),
        kind=Kind.COMMENT if post.in_reply_to_user_id == own_user_id else Kind.MENTION,
        direction=Direction.OUT if post.author_id == own_user_id else Direction.IN,
        author=contact(post.author_id, includes.users),
        text=shown_text(post.text, post.links, hidden, post.id),
        created_at=post.created_at,
        parent_external_id=post.replied_to_id,
        url=post_url(post.id),
        raw=post.raw,
        attachments=post_attachments(post, includes),
    )


def dm_item(event: DmEvent, *, includes: Includes, own_user_id: str) -> FetchedItem:
    """One direct-message event as an item, with the media it carries."""
    media = _media(event.media_keys, includes)
    return FetchedItem(
        external_id=event.id,
        thread_key=dm_thread_key(event.dm_conversation_id),
        kind=Kind.DM,
        direction=Direction.OUT if event.sender_id == own_user_id else Direction.IN,
        author=contact(event.sender_id, includes.users),
        text=shown_text(event.text, event.links, {m.media_key for m in media}, event.id),
        created_at=event.created_at,
        raw=event.raw,
        attachments=tuple(media_attachment(one) for one in media),
    )
