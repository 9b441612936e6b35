"""Modal pickers for triage: who to assign, which tags, until when, what priority, a note.

Each picker dismisses with a value (or None when cancelled) and knows nothing of threads,
so the thread screen uses them for one thread and the inbox screen for every marked one;
the caller makes the write (see `tui.screen_mixins.TriageWriter`). The one exception is the
note prompt: it is handed the write as a callable and stays open, text kept, when the
service refuses the note (an unknown @name), since a note is too long to type again.
The lists they offer (people, tags in use) are read in workers, so they open at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState, get_current_worker

from inbox import (
    ASSIGNABLE_ROLES,
    Clock,
    InboxService,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Priority,
    describe,
    first_line,
    parse_when,
    presets,
    when_examples,
)
from tui import bindings
from tui.messages import AgentsLoaded, NoteAdded, NoteRefused, TagsLoaded

if TYPE_CHECKING:
    from inbox import AgentSummary, NoteRow

PickedT = TypeVar("PickedT")

UNASSIGN = "-"
"""The option id of "nobody" in the assign picker."""


TAG_HINTS = 8
"""Tags in use the tag prompt lists under the field at most."""

_PARTIAL_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.-]*)$")
"""An @handle being typed at the end of the text before the cursor."""


def fuzzy_rank(query: str, text: str) -> int | None:
    """How well `query` matches `text`: 0 prefix, 1 substring, 2 letters in order, else None."""
    query, text = query.casefold(), text.casefold()
    if text.startswith(query):
        return 0
    if query in text:
        return 1
    position = 0
    for character in query:
        position = text.find(character, position) + 1
        if position == 0:
            return None
    return 2


@dataclass(frozen=True, slots=True)
class AssignChoice:
    """Who the assign picker chose: a handle, or None for nobody (unassign)."""

    handle: str | None


@dataclass(frozen=True, slots=True)
class TagChange:
    """Tags to add and to remove, as typed: `refund vip -spam`."""

    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> TagChange:
        """Words split by spaces or commas; a leading `-` removes the tag, `+` or none adds it."""
        add: list[str] = []
        remove: list[str] = []
        for word in re.split(r"[\s,]+", text.strip()):
            name = word.lstrip("+-")
            if not name:
                continue
            target = remove if word.startswith("-") else add
            if name not in target:
                target.append(name)
        return cls(tuple(add), tuple(remove))

    def __bool__(self) -> bool:
        return bool(self.add or self.remove)


class Picker(ModalScreen[PickedT]):
    """A centred box over the screen: escape closes it, enter or ctrl+s confirms, arrows move."""

    BINDINGS = bindings.PICKERS

    def option_list(self) -> OptionList | None:
        """The list the arrow keys move in, if the picker has one."""
        found = self.query(OptionList)
        return found.first() if found else None

    def confirm(self) -> None:
        """Dismiss with what is chosen, or say what is missing."""
        raise NotImplementedError

    def action_confirm(self) -> None:
        self.confirm()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_cursor_down(self) -> None:
        options = self.option_list()
        if options is not None:
            options.action_cursor_down()

    def action_cursor_up(self) -> None:
        options = self.option_list()
        if options is not None:
            options.action_cursor_up()


class AssignPicker(Picker[AssignChoice | None]):
    """Choose who holds the threads, seeing each person's open load; or nobody."""

    def __init__(self, service: InboxService) -> None:
        super().__init__()
        self.service = service
        self.people: list[AgentSummary] = []
        self.listed: list[str] = []
        """The option ids listed, in order: handles, and UNASSIGN."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker-body") as body:
            body.border_title = "Assign to"
            body.border_subtitle = "type to filter · enter assigns · escape closes"
            yield Input(placeholder="name or handle", compact=True, id="assign-query")
            yield Static("Reading the people…", classes="picker-heading", id="assign-heading")
            yield OptionList(id="assign-people")

    def on_mount(self) -> None:
        self.query_one("#assign-people", OptionList).can_focus = False
        self.load_people()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="people",
        description="picker: read the people",
    )
    def load_people(self) -> None:
        people = self.service.list_agents()
        if not get_current_worker().is_cancelled:
            self.post_message(AgentsLoaded(people))

    @on(AgentsLoaded)
    def people_loaded(self, message: AgentsLoaded) -> None:
        self.people = [person for person in message.agents if person.role in ASSIGNABLE_ROLES]
        self.show_people(self.query_one("#assign-query", Input).value)

    @on(Input.Changed, "#assign-query")
    def query_changed(self, message: Input.Changed) -> None:
        self.show_people(message.value)

    def show_people(self, query: str) -> None:
        query = query.strip().lstrip("@")
        ranked = []
        for person in self.people:
            rank = fuzzy_rank(query, person.handle)
            by_name = fuzzy_rank(query, person.name)
            best = min((r for r in (rank, by_name) if r is not None), default=None)
            if best is not None:
                ranked.append((best, person.open_threads, person.handle, person))
        ranked.sort(key=lambda entry: entry[:3])
        options: list[Option] = []
        if not query or fuzzy_rank(query, "unassign nobody") is not None:
            options.append(Option(Text("nobody (unassign)", style="italic"), id=UNASSIGN))
        width = max((len(person.handle) for person in self.people), default=0)
        for *_, person in ranked:
            load = f"{person.open_threads} open" + (
                f" of {person.capacity}" if person.capacity else ""
            )
            line = Text(no_wrap=True, overflow="ellipsis")
            line.append(first_line(person.handle, 30).ljust(min(width, 30) + 2), "bold")
            line.append(f"{first_line(person.name, 30)} · {person.role} · ")
            line.append(
                load, "bold" if person.capacity and person.open_threads >= person.capacity else ""
            )
            options.append(Option(line, id=person.handle))
        heading = self.query_one("#assign-heading", Static)
        heading.update(
            f"{len(ranked)} of {len(self.people)} people"
            if query
            else "People and their open threads"
        )
        people = self.query_one("#assign-people", OptionList)
        people.clear_options()
        people.add_options(options)
        self.listed = [str(option.id) for option in options]
        if options:
            people.highlighted = (
                1 if query and len(options) > 1 and options[0].id == UNASSIGN else 0
            )

    @on(Input.Submitted, "#assign-query")
    def submitted(self) -> None:
        self.confirm()

    @on(OptionList.OptionSelected, "#assign-people")
    def clicked(self, message: OptionList.OptionSelected) -> None:
        self._pick(str(message.option.id))

    def confirm(self) -> None:
        index = self.query_one("#assign-people", OptionList).highlighted
        if index is None or index >= len(self.listed):
            self.notify("Nobody matches; type part of a name or handle.", markup=False)
            return
        self._pick(self.listed[index])

    def _pick(self, option_id: str) -> None:
        self.dismiss(AssignChoice(None if option_id == UNASSIGN else option_id))


class TagSuggester(Suggester):
    """Completes the last word typed in the tag prompt from the tags in use."""

    def __init__(self, tags: Sequence[str]) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.tags = list(tags)

    async def get_suggestion(self, value: str) -> str | None:
        head, _, last = value.rpartition(" ")
        prefix = last.lstrip("+-")
        if not prefix:
            return None
        sign = last[: len(last) - len(prefix)]
        for tag in self.tags:
            if tag.startswith(prefix.lower()) and tag != prefix:
                return f"{head} {sign}{tag}" if head else f"{sign}{tag}"
        return None


class TagPrompt(Picker[TagChange | None]):
    """Add and remove tags: `refund vip -spam`; the tags in use complete with the right arrow."""

    def __init__(self, service: InboxService, current: Sequence[str] = ()) -> None:
        super().__init__()
        self.service = service
        self.current = tuple(current)
        """The tags already on the thread, when there is one thread to show them for."""
        self.tags_in_use: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker-body") as body:
            body.border_title = "Tags"
            body.border_subtitle = "-tag removes · → completes · enter applies · escape closes"
            yield Input(placeholder="refund vip -spam", compact=True, id="tag-input")
            if self.current:
                yield Static(
                    Text("On it now: " + " ".join(first_line(tag, 64) for tag in self.current)),
                    classes="picker-heading",
                )
            yield Static("", classes="picker-hint", id="tag-hint")

    def on_mount(self) -> None:
        self.load_tags()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="tags",
        description="picker: read the tags in use",
    )
    def load_tags(self) -> None:
        tags = self.service.tags_in_use()
        if not get_current_worker().is_cancelled:
            self.post_message(TagsLoaded(tags))

    @on(TagsLoaded)
    def tags_loaded(self, message: TagsLoaded) -> None:
        self.tags_in_use = list(message.tags)
        self.query_one("#tag-input", Input).suggester = TagSuggester(self.tags_in_use)
        self.show_hint(self.query_one("#tag-input", Input).value)

    @on(Input.Changed, "#tag-input")
    def typed(self, message: Input.Changed) -> None:
        self.show_hint(message.value)

    def show_hint(self, value: str) -> None:
        last = value.rpartition(" ")[2].lstrip("+-").lower()
        matching = [tag for tag in self.tags_in_use if tag.startswith(last)][:TAG_HINTS]
        hint = self.query_one("#tag-hint", Static)
        if not self.tags_in_use:
            hint.update("No tags in use yet: type new ones.")
        elif matching:
            hint.update(Text("In use: " + " ".join(first_line(tag, 64) for tag in matching)))
        else:
            hint.update("A new tag.")

    @on(Input.Submitted, "#tag-input")
    def submitted(self) -> None:
        self.confirm()

    def confirm(self) -> None:
        change = TagChange.parse(self.query_one("#tag-input", Input).value)
        if not change:
            self.query_one("#tag-hint", Static).update("Type a tag to add, or -tag to remove one.")
            return
        self.dismiss(change)


class SnoozePicker(Picker[datetime | None]):
    """Choose when the threads come back: a preset, or a time typed as `2h` or `mon 9:00`."""

    def __init__(self, clock: Clock, tz: tzinfo | None = None) -> None:
        super().__init__()
        self.clock = clock
        self.tz = tz
        """The zone wall-clock times are read in; None: this machine's."""
        self.presets = presets(clock(), tz)

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker-body") as body:
            body.border_title = "Snooze until"
            body.border_subtitle = "enter picks · escape closes"
            width = max(len(preset.label) for preset in self.presets) + 3
            yield OptionList(
                *(
                    Option(
                        f"{preset.label.ljust(width)}{describe(preset.until, self.tz)}",
                        id=str(index),
                    )
                    for index, preset in enumerate(self.presets)
                ),
                id="snooze-presets",
            )
            hint = f"or type: {when_examples(self.clock(), self.tz)}"
            yield Input(placeholder=hint, compact=True, id="snooze-input")
            yield Static("", classes="picker-hint", id="snooze-hint")

    def on_mount(self) -> None:
        presets_list = self.query_one("#snooze-presets", OptionList)
        presets_list.can_focus = False
        presets_list.highlighted = 0
        self.query_one("#snooze-input", Input).focus()

    @on(Input.Changed, "#snooze-input")
    def typed(self, message: Input.Changed) -> None:
        hint = self.query_one("#snooze-hint", Static)
        if not message.value.strip():
            hint.set_class(False, "-problem")
            hint.update("")
            return
        try:
            until = parse_when(message.value, self.clock(), self.tz)
        except InvalidInput as unreadable:
            hint.set_class(True, "-problem")
            hint.update(Text(f"✗ {unreadable}"))
            return
        hint.set_class(False, "-problem")
        hint.update(Text(f"→ {describe(until, self.tz)} · enter snoozes"))

    @on(Input.Submitted, "#snooze-input")
    def submitted(self) -> None:
        self.confirm()

    @on(OptionList.OptionSelected, "#snooze-presets")
    def clicked(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(self.presets[int(message.option.id)].until)

    def confirm(self) -> None:
        text = self.query_one("#snooze-input", Input).value
        if text.strip():
            try:
                self.dismiss(parse_when(text, self.clock(), self.tz))
            except InvalidInput as unreadable:
                hint = self.query_one("#snooze-hint", Static)
                hint.set_class(True, "-problem")
                hint.update(Text(f"✗ {unreadable}"))
            return
        index = self.query_one("#snooze-presets", OptionList).highlighted
        if index is not None:
            self.dismiss(self.presets[index].until)


class PriorityPicker(Picker[str | None]):
    """Choose a priority, from urgent to low; the current one is marked."""

    def __init__(self, current: str | None = None) -> None:
        super().__init__()
        self.current = current
        self.priorities = [Priority.URGENT, Priority.HIGH, Priority.NORMAL, Priority.LOW]

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker-body -narrow") as body:
            body.border_title = "Priority"
            body.border_subtitle = "enter sets · escape closes"
            yield OptionList(
                *(
                    Option(
                        priority.value + ("  (now)" if priority == self.current else ""),
                        id=priority.value,
                    )
                    for priority in self.priorities
                ),
                id="priority-options",
            )

    def on_mount(self) -> None:
        options = self.query_one("#priority-options", OptionList)
        options.highlighted = (
            self.priorities.index(Priority(self.current)) if self.current in self.priorities else 0
        )
        options.focus()

    @on(OptionList.OptionSelected, "#priority-options")
    def picked(self, message: OptionList.OptionSelected) -> None:
        self.dismiss(str(message.option.id))

    def confirm(self) -> None:
        index = self.query_one("#priority-options", OptionList).highlighted
        if index is not None:
            self.dismiss(self.priorities[index].value)


class NoteArea(TextArea):
    """The note's editor: an @handle being typed is completed (right arrow) from `handles`."""

    handles: Sequence[str] = ()

    def update_suggestion(self) -> None:
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        typed = _PARTIAL_MENTION.search(before)
        self.suggestion = ""
        if typed is None or not typed.group(1):
            return
        for handle in self.handles:
            if handle.lower().startswith(typed.group(1).lower()) and len(handle) > len(
                typed.group(1)
            ):
                self.suggestion = handle[len(typed.group(1)) :]
                return


class NotePrompt(Picker["NoteRow | None"]):
    """Write an internal note; `save` adds it, and the prompt closes only once it is added.

    `save` runs in a worker; a refusal (an @name that is no colleague, a role that may
    not write notes) or a failure is shown in the prompt with the text kept. While it runs
    the prompt is busy: another ctrl+s does not add the note twice.
    """

    def __init__(self, service: InboxService, save: Callable[[str], NoteRow]) -> None:
        super().__init__()
        self.service = service
        self.save = save
        self.busy = False
        """The note is being added: confirming again waits for the answer."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="picker-body -wide") as body:
            body.border_title = "Internal note"
            body.border_subtitle = "ctrl+s adds it · escape discards it"
            yield Static(
                "Only colleagues see notes; they are never sent. @handle tells someone.",
                classes="picker-heading",
            )
            yield NoteArea(id="note-text", soft_wrap=True, show_line_numbers=False)
            yield Static("", classes="picker-hint", id="note-hint")

    @property
    def text(self) -> str:
        return self.query_one("#note-text", NoteArea).text

    def on_mount(self) -> None:
        self.query_one("#note-text", NoteArea).focus()
        self.load_handles()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="people",
        description="note: read the people",
    )
    def load_handles(self) -> None:
        people = self.service.list_agents()
        if not get_current_worker().is_cancelled:
            self.post_message(AgentsLoaded(people))

    @on(AgentsLoaded)
    def handles_loaded(self, message: AgentsLoaded) -> None:
        handles = [person.handle for person in message.agents]
        self.query_one("#note-text", NoteArea).handles = handles
        self._hint(
            "Mention: "
            + " ".join(f"@{first_line(handle, 30)}" for handle in handles)
            + " (→ completes)"
        )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="note",
        description="note: add the note",
    )
    def add_note(self, body: str) -> None:
        try:
            note = self.save(body)
        except (PermissionDenied, InvalidInput, NotFound) as refused:
            self.post_message(NoteRefused(str(refused)))
            return
        self.post_message(NoteAdded(note))

    @on(NoteAdded)
    def note_added(self, message: NoteAdded) -> None:
        self.dismiss(message.note)

    @on(NoteRefused)
    def note_refused(self, message: NoteRefused) -> None:
        self.busy = False
        self._hint(f"✗ {message.reason}", problem=True)

    @on(Worker.StateChanged)
    def note_failed(self, message: Worker.StateChanged) -> None:
        """Adding failed (not refused): say so in the prompt, text kept, so ctrl+s can try again."""
        if message.state == WorkerState.ERROR and message.worker.group == "note":
            self.busy = False
            self._hint(f"✗ Could not add the note: {message.worker.error}", problem=True)

    def confirm(self) -> None:
        if self.busy:
            return
        if not self.text.strip():
            self._hint("Write the note first.", problem=True)
            return
        self.busy = True
        self._hint("Adding the note…")
        self.add_note(self.text)

    def _hint(self, text: str, *, problem: bool = False) -> None:
        hint = self.query_one("#note-hint", Static)
        hint.set_class(problem, "-problem")
        hint.update(Text(text))
