"""What a message carries besides its text, as a person sees it and opens it.

Driven by Pilot on a real SQLite workspace: the thread screen, the inbox's list line and
preview pane, the `o` key and its picker, and platform words that try to be markup or
terminal escapes.
"""

from __future__ import annotations

import dataclasses
import re
import webbrowser
from datetime import timedelta

import pytest

from adapters.base import Attachment, AttachmentKind
from inbox.store.ingest import Store
from tests.tui.conftest import settled, wait_for
from tests.tui.test_thread_screen import FakeBrowser, notified, open_thread
from tests.tui.workspace import message
from tui.dialogs.link_picker import LinkPicker
from tui.widgets.key_bar import KeyBar

SCREENSHOT_URL = "https://media.example/shot.png"
STATUS_URL = "https://status.nimbus.example"
QUOTED_URL = "https://mastodon.example/@nimbus/110"

EVERY_KIND = (
    Attachment(AttachmentKind.WARNING, description="billing rant"),
    Attachment(
        AttachmentKind.IMAGE,
        url=SCREENSHOT_URL,
        description='A red banner saying "Sync failed (error 502)"',
        title="shot.png",
        size=240_000,
    ),
    Attachment(AttachmentKind.IMAGE, url="https://media.example/2.png"),
    Attachment(
        AttachmentKind.LINK, url=STATUS_URL, title="Nimbus status", description="All systems go."
    ),
    Attachment(
        AttachmentKind.QUOTE,
        url=QUOTED_URL,
        author="@nimbus",
        description="Dark mode is here.\nUpdate the app.",
    ),
    Attachment(AttachmentKind.POLL, title="Which plan?", options=("Monthly", "Yearly")),
    Attachment(AttachmentKind.FORWARDED, title="Your receipt", author="billing@nimbus.example"),
)


@pytest.fixture
def carrying(make_app, sqlite_engine, clock):
    """An app whose newest thread's message carries `attachments` (and `text`)."""

    def make(
        attachments: tuple[Attachment, ...],
        text: str = "It fails every time",
        poll_seconds: float = 0.05,
    ):
        app, workspace = make_app(threads=3, poll_seconds=poll_seconds)
        item = dataclasses.replace(
            message("att-1", "att", clock() - timedelta(seconds=5), text),
            attachments=attachments,
        )
        Store(sqlite_engine, clock).ingest(workspace.accounts[0], "mentions", [item], None)
        return app

    return make


def drawn(widget) -> str:
    """The lines `widget` draws on the terminal, as text."""
    return "\n".join(
        widget.render_line(y).text.rstrip() for y in range(widget.content_region.height)
    )


async def test_the_warning_comes_before_the_text_and_each_attachment_after_it(carrying):
    app = carrying(EVERY_KIND)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        shown = screen.conversation.plain_text
        expected = [
            "⚠ Content warning: billing rant",
            "It fails every time",
            '▸ image: A red banner saying "Sync failed (error 502)" · shot.png, 240 KB',
            f"  {SCREENSHOT_URL}",
            "▸ image: no description",
            "▸ link: Nimbus status",
            "  All systems go.",
            f"  {STATUS_URL}",
            "▸ quote from @nimbus",
            "  │ Dark mode is here.",
            "  │ Update the app.",
            "▸ poll: Which plan?",
            "  ○ Monthly",
            "  ○ Yearly",
            "▸ forwarded mail: Your receipt from billing@nimbus.example",
        ]
        lines = shown.splitlines()
        positions = [lines.index(line) for line in expected]
        assert positions == sorted(positions)
        on_screen = drawn(screen.query_one("#conversation-body"))
        assert "⚠ Content warning: billing rant" in on_screen
        assert "  ○ Yearly" in on_screen


async def test_a_post_that_is_only_a_photo_reads_as_the_photo_everywhere(carrying):
    photo = Attachment(
        AttachmentKind.IMAGE, url=SCREENSHOT_URL, description="A cat asleep on a keyboard"
    )
    app = carrying((photo,), text="")
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        inbox = app.screen
        assert "[image: A cat asleep on a keyboard]" in inbox.thread_list.render_line(1).text
        assert "▸ image: A cat asleep on a keyboard" in inbox.preview.plain_text
        assert "(no text)" not in inbox.preview.plain_text
        screen = await open_thread(pilot, 0)
        assert "▸ image: A cat asleep on a keyboard" in screen.conversation.plain_text
        assert "(no text)" not in screen.conversation.plain_text


async def test_markup_and_escapes_in_attachments_show_literally_and_do_nothing(carrying):
    hostile = (
        Attachment(AttachmentKind.WARNING, description="[bold red]loud[/] \x1b[5mblink"),
        Attachment(
            AttachmentKind.IMAGE,
            url=SCREENSHOT_URL + "\x1b]2;pwned\x07",
            description="[bold]Screenshot[/bold] of the \x1b[31merror\x1b[0m page\u202e",
            title="[@click=app.quit]x[/].png",
        ),
        Attachment(AttachmentKind.QUOTE, author="[b]mallory[/b]", description="[link=x]hi[/]"),
        Attachment(AttachmentKind.POLL, title="Q\x07", options=("[i]yes[/i]", "\x1b[2Jno")),
    )
    app = carrying(hostile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settled(pilot)
        preview = app.screen.preview.plain_text
        screen = await open_thread(pilot, 0)
        body = screen.query_one("#conversation-body")
        for shown in (screen.conversation.plain_text, drawn(body), preview):
            assert "⚠ Content warning: [bold red]loud[/] blink" in shown
            assert "[bold]Screenshot[/bold] of the error page · [@click=app.quit]x[/].png" in shown
            assert "quote from [b]mallory[/b]" in shown
            assert "│ [link=x]hi[/]" in shown
            assert "○ [i]yes[/i]" in shown and "○ no" in shown
            assert not re.search("[\x1b\x07\u202e]|pwned", shown)
        await pilot.click("#conversation-body", offset=(4, 3))
        await pilot.pause()
        assert app.is_running and app.return_code is None


async def test_o_opens_the_only_attachment_link_and_shows_in_the_footer(carrying, monkeypatch):
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    app = carrying((EVERY_KIND[1],))
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await wait_for(pilot, lambda: "o Attachment" in screen.query_one(KeyBar).plain_text)
        await pilot.press("o")
        await notified(pilot, f"Opened in the browser: {SCREENSHOT_URL}")
        assert browser.opened == [SCREENSHOT_URL]


async def test_a_thread_without_attachment_links_keeps_o_off_the_footer(carrying):
    app = carrying((EVERY_KIND[0], EVERY_KIND[5]))  # a warning and a poll: nothing to open
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_thread(pilot, 0)
        await pilot.pause()
        assert "Back" in screen.query_one(KeyBar).plain_text
        assert "Attachment" not in screen.query_one(KeyBar).plain_text


async def test_o_asks_which_when_there_are_several_and_opens_the_one_picked(carrying, monkeypatch):
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    app = carrying(EVERY_KIND)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkPicker))
        labels = [link.label for link in app.screen.links]
        assert labels[0].endswith(
            'image: A red banner saying "Sync failed (error 502)" · shot.png, 240 KB'
        )
        assert [link.url for link in app.screen.links] == [
            SCREENSHOT_URL,
            "https://media.example/2.png",
            STATUS_URL,
            QUOTED_URL,
        ]
        await pilot.press("down", "down", "enter")
        await notified(pilot, f"Opened in the browser: {STATUS_URL}")
        assert browser.opened == [STATUS_URL]
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, LinkPicker))
        await pilot.press("escape")
        await pilot.pause()
        assert browser.opened == [STATUS_URL]


async def test_o_opens_nothing_but_http_links_and_says_so(carrying, monkeypatch):
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda: browser)
    app = carrying((Attachment(AttachmentKind.LINK, url="javascript:alert(1)", title="Win"),))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("o")
        await notified(pilot, "Not opened: the platform's link is a javascript: link")
        assert browser.opened == []


async def test_o_without_a_browser_shows_the_attachments_address(carrying, monkeypatch):
    def no_browser():
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", no_browser)
    app = carrying((EVERY_KIND[3],))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_thread(pilot, 0)
        await pilot.press("o")
        await notified(pilot, f"No browser to open it from here. The attachment is at {STATUS_URL}")


def test_the_thread_screen_with_attachments(snap_compare, carrying):
    app = carrying(EVERY_KIND, poll_seconds=60)

    async def on_the_thread(pilot) -> None:
        await open_thread(pilot, 0)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=on_the_thread)
