"""A message's body as the conversation and the preview pane show it, and its attachments' links.

The body is the content warning first (so it is read before the text), then the text, then
each attachment on its own lines: an image as its alt text ("no description" without one),
file name and size; a link card's title, description and address; a quote indented with
its author; a poll's options; a forwarded mail's subject and sender. Every word comes
through `inbox.attachment_text`, already cleaned for a terminal, and goes on screen as
`rich.text.Text`, never markup: an alt text of `[bold]` shows those characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group
from rich.padding import Padding
from rich.style import Style
from rich.text import Text

from inbox import Attachment, AttachmentKind, ItemRow, attachment_text
from tui.widgets import labels

ATTACHMENT_MARK = "▸ "
"""In front of each attachment, so it does not read as part of the text."""


@dataclass(frozen=True, slots=True)
class MessageBody:
    """A message's body ready to draw, and the same as plain text (for tests and copying)."""

    renderable: Group
    plain: str


@dataclass(frozen=True, slots=True)
class AttachmentLink:
    """An attachment that can be opened: what it is, in one line, and its address as sent."""

    label: str
    url: str


def message_body(
    text: str, attachments: Sequence[Attachment], *, meta: Style, warning: Style
) -> MessageBody:
    """`text` with its attachments, warnings before it; "(no text)" only when there is nothing.

    `meta` colours the attachments' labels and addresses, `warning` a content warning.
    """
    parts: list[Text | Padding] = []
    plain: list[str] = []
    for attachment in attachments:
        if attachment.kind == AttachmentKind.WARNING:
            line = attachment_text(attachment).lines()[0]
            parts.append(Text(line, style=warning))
            plain.append(line)
    shown = labels.message_text(text)
    if shown or not attachments:
        parts.append(Text(shown or "(no text)"))
        plain.append(shown or "(no text)")
    for attachment in attachments:
        if attachment.kind == AttachmentKind.WARNING:
            continue
        described = attachment_text(attachment)
        headline = Text(ATTACHMENT_MARK + described.label, style=meta)
        if described.headline:
            headline.append(": ", meta)
            headline.append(described.headline)
        parts.append(headline)
        under = Text("\n".join(described.details))
        if described.url:
            under.append("\n" if described.details else "")
            under.append(described.url, meta)
        if under:
            parts.append(Padding(under, (0, 0, 0, len(ATTACHMENT_MARK))))
        plain.extend(
            f"  {line}" if index else ATTACHMENT_MARK + line
            for index, line in enumerate(described.lines())
        )
    return MessageBody(Group(*parts), "\n".join(plain))


def attachment_links(items: Sequence[ItemRow]) -> list[AttachmentLink]:
    """Every attachment with an address in `items`, the newest message's first."""
    links = []
    for item in reversed(items):
        who = labels.author_label(item.author) if item.direction == "in" else "reply"
        for attachment in item.attachments:
            if attachment.url and attachment.url.strip():
                first = attachment_text(attachment).lines()[0]
                links.append(
                    AttachmentLink(labels.preview_label(f"{who} · {first}"), attachment.url)
                )
    return links
