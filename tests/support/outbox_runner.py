"""Runs the `inbox` command with the test-only recording adapter registered.

Usage: ``python -m tests.support.outbox_runner --db URL outbox run ...``. The adapter is
added to the registry here, in the child process, so the product registry never ships it.
"""

from __future__ import annotations

import sys

from adapters import registry

RECORDING_PLATFORM = "test-recording"
RECORDING_ADAPTER_PATH = "tests.support.recording_adapter:RecordingAdapter"


def register_recording_adapter() -> None:
    """Make `test-recording` a known platform in this process."""
    registry._ADAPTER_PATHS[RECORDING_PLATFORM] = RECORDING_ADAPTER_PATH


if __name__ == "__main__":
    register_recording_adapter()
    from inbox.cli.main import main

    sys.exit(main(sys.argv[1:]))
