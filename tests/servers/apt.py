"""Installing a test server's Debian packages with apt-get, or saying why that cannot happen."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence


def apt_install(packages: Sequence[str], what: str, timeout_s: float) -> str | None:
    """Install `packages` (which provide `what`, e.g. "Dovecot"); None when that worked,
    else a sentence saying why not. A package apt cannot locate gets one `apt-get update`
    and a second try."""
    wanted = " ".join(packages)
    if shutil.which("apt-get") is None:
        return f"{what} is not installed and this machine has no apt-get to install it with."
    if os.geteuid() != 0:
        return (
            f"{what} is not installed and installing needs root: "
            f"run `sudo apt-get install {wanted}`."
        )
    command = [
        "apt-get",
        "install",
        "--yes",
        "-qq",
        "--no-install-recommends",
        "-o",
        "DPkg::Lock::Timeout=120",
        *packages,
    ]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}

    def install() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
        )

    result = install()
    if result.returncode != 0 and "Unable to locate package" in result.stdout + result.stderr:
        subprocess.run(
            ["apt-get", "update", "-qq"],
            env=env,
            capture_output=True,
            timeout=timeout_s,
            check=False,
        )
        result = install()
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return f"`apt-get install {wanted}` failed (exit {result.returncode}): {last[0]}"
    return None
