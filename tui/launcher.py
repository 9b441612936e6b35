"""The `inbox` console script: the backend's command line, able to open the terminal UI.

It lives in `tui` because the UI may import the backend but never the reverse; Textual
itself is imported only when a command actually opens the UI.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Callable
from typing import Any

from inbox import Context, InvalidInput
from inbox import main as cli_main


def open_tui(context: Context, make_service: Callable[[], Any], *, sync: bool = True) -> int:
    """Build the service and run the Textual app on it until the person quits.

    The garbage collector waits until the first page is on screen (`InboxApp` turns it
    back on): the backend's and Textual's imports and the first frame create about a
    million objects that are never freed, and full collections walking them cost a
    quarter of a second of the first paint (docs/performance.md).

    While it runs, the workspace is marked in use (`workspace_in_use`), so `inbox demo` in
    another terminal does not delete it from under the person; the mark goes with the
    process, however it ends.
    """
    not_a_terminal = _not_a_terminal()
    if not_a_terminal:
        raise InvalidInput(
            f"the terminal UI needs a terminal, and {not_a_terminal} is not one; run it in a "
            "terminal (scripts can use `inbox threads ...` or `inbox demo --no-tui`)"
        )
    from inbox import workspace_in_use

    gc.disable()
    with contextlib.ExitStack() as held:
        try:
            service = make_service()
            held.enter_context(workspace_in_use(service.engine))
        except BaseException:
            gc.enable()
            raise
        from tui.app import run_app

        return run_app(service, config=context.config, sync=sync)


def serve_web(context: Context) -> int:
    """Serve the terminal UI to browsers (`inbox serve`) until interrupted."""
    from tui.web import serve

    return serve(context)


WEB_DRIVER = "textual.drivers.web_driver:WebDriver"
"""The driver textual-serve names in TEXTUAL_DRIVER for the `inbox tui` it starts per browser."""


def _not_a_terminal() -> str | None:
    """Which of the streams Textual needs is not a terminal, if any.

    Textual reads keys from standard input and draws on standard error; on a pipe it never
    sees a key (not even ctrl+q), so it would run forever drawing into the pipe. Under
    Textual's web driver (`inbox serve`) the pipes are the browser's, and that is fine.
    """
    if os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER:
        return None
    for name, stream in (("standard input", sys.__stdin__), ("standard error", sys.__stderr__)):
        if stream is None or not stream.isatty():
            return name
    return None


def main() -> int:
    """Entry point of the `inbox` command."""
    return cli_main(sys.argv[1:], open_tui=open_tui, serve_web=serve_web)


if __name__ == "__main__":
    sys.exit(main())
