"""The app's watch over what concerns the person: their notifications and, for leads, the
approvals waiting; a toast for each new notification, and the counts for the status line.

`NoticeWatch` is mixed into `InboxApp`. Its worker reads the person's unread notifications
newer than the last it saw, and the counts, at start-up and whenever the event log says
something that may have told them something (an assignment, a note, an outgoing message's
fate). Each new notification is toasted once per session (a flood becomes one toast that
counts them), with the terminal bell when the config asks for it (`[notifications] bell`).
The counts are kept in `waiting`, a reactive the inbox's status line follows. Which
notifications were already shown is this session's business: other terminals of the same
person toast them too, and reading one (For me) is what clears it everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message
from textual.reactive import reactive
from textual.worker import get_current_worker

from inbox import NotificationKind, NotificationRow, WaitingCounts, counted, single_line
from tui.widgets.labels import notice_title

if TYPE_CHECKING:
    from tui.host import HostApp
    from tui.messages import EventsArrived

NOTICE_EVENTS = ("thread.assigned", "note.added", "outbound.", "subscriber_mails.decided")
"""Event types after which notifications and the approvals waiting are read again."""

TOASTS_AT_MOST = 3
"""New notifications toasted one by one; more at once become one toast that counts them."""

TOAST_SECONDS = 8.0
"""How long a notification's toast stays."""


class NoticesLoaded(Message, bubble=False):
    """The person's new unread notifications (newest first) and what waits for them were read."""

    def __init__(self, notices: Sequence[NotificationRow], counts: WaitingCounts) -> None:
        super().__init__()
        self.notices = notices
        self.counts = counts


class NoticeWatch:
    """The person's notifications and approvals waiting, their toasts and bell; for `InboxApp`."""

    waiting: reactive[WaitingCounts] = reactive(WaitingCounts(unread=0, approvals=None))
    """Unread notifications and (leads) approvals waiting, as last read."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._newest_notice_id: int | None = None
        """The newest notification already shown (None until the first reading)."""

    def start_notice_watch(self: HostApp) -> None:
        """Read what waits now, then again whenever the event log may have changed it."""
        self.inbox_changed.subscribe(self, self._notice_events_arrived)
        self.load_waiting()

    def _notice_events_arrived(self: HostApp, message: EventsArrived) -> None:
        if any(kind.startswith(NOTICE_EVENTS) for kind in message.event_types):
            self.load_waiting()

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="notices",
        description="notifications: read what is new for you",
    )
    def load_waiting(self: HostApp) -> None:
        """Read the notifications not shown yet and the counts (also after reading some)."""
        worker = get_current_worker()
        notices = self.service.notifications(after_id=self._newest_notice_id or 0)
        counts = self.service.waiting_counts()
        if not worker.is_cancelled:
            self.post_message(NoticesLoaded(notices, counts))

    @work(
        thread=True,
        exit_on_error=False,
        group="notices-read",
        description="notifications: mark them read",
    )
    def read_notices(
        self: HostApp,
        notification_ids: list[int] | None = None,
        *,
        kinds: list[NotificationKind] | None = None,
        say: bool = False,
    ) -> None:
        """Mark the person's notifications read (these, these kinds, or all), then read the
        counts again. The app does it, so it is done even when the screen that asked closes."""
        marked = self.service.mark_notifications_read(notification_ids, kinds=kinds)
        if say:
            self.call_from_thread(
                self.notify, f"Marked {counted(marked, 'notification')} read.", markup=False
            )
        self.call_from_thread(self.load_waiting)

    def on_notices_loaded(self: HostApp, message: NoticesLoaded) -> None:
        notices = list(message.notices)
        first_reading = self._newest_notice_id is None
        if notices:
            self._newest_notice_id = max(notice.id for notice in notices)
        elif first_reading:
            self._newest_notice_id = 0
        self.waiting = message.counts
        if not notices:
            return
        if first_reading or len(notices) > TOASTS_AT_MOST:
            count = message.counts.unread if first_reading else len(notices)
            self.notify(
                f"{counted(count, 'notification')} for you: F lists them until you read them.",
                title="For me",
                timeout=TOAST_SECONDS,
                markup=False,
            )
        else:
            for notice in reversed(notices):
                self.notify(
                    single_line(notice.text),
                    title=notice_title(notice.kind),
                    severity="warning" if notice.kind in ("failed", "rejected") else "information",
                    timeout=TOAST_SECONDS,
                    markup=False,
                )
        if self.config.notifications.bell:
            self.bell()
