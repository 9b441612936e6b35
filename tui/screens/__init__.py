"""The screens of the terminal UI."""

from __future__ import annotations

from textual.worker import Worker, WorkerState


class WorkerFailures:
    """Mixed into a screen (before `Screen`): a failed worker becomes one error notification.

    It names what the worker was doing, from its description (`"inbox: load the thread
    list"` reads "Could not load the thread list: ..."), so the person knows what did not
    happen. Workers that run on after an error never take the screen down with them.
    """

    def on_worker_state_changed(self, message: Worker.StateChanged) -> None:
        if message.state == WorkerState.ERROR:
            what = message.worker.description.partition(": ")[2] or "finish"
            self.notify(  # type: ignore[attr-defined]
                f"Could not {what}: {message.worker.error}",
                title="Something went wrong",
                severity="error",
                markup=False,
            )
