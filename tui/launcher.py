"""The `inbox` console script: the backend's command line, able to open the terminal UI.

It lives in `tui` because the UI may import the backend but never the reverse; Textual
itself is imported only when a command actually opens the UI.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any

from inbox import Context
from inbox import main as cli_main


def open_tui(context: Context, make_service: Callable[[], Any], *, sync: bool = True) -> int:
    """Build the service and run the Textual app on it until the person quits.

    The garbage collector waits until the first page is on screen (`InboxApp` turns it
    back on): the backend's and Textual's imports and the first frame create about a
    million objects that are never freed, and full collections walking them cost a
    quarter of a second of the first paint (docs/performance.md).
    """
    gc.disable()
    try:
        service = make_service()
    except BaseException:
        gc.enable()
        raise
    from tui.app import run_app

    return run_app(service, config=context.config, sync=sync)


def main() -> int:
    """Entry point of the `inbox` command."""
    return cli_main(sys.argv[1:], open_tui=open_tui)


if __name__ == "__main__":
    sys.exit(main())
