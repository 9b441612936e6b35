"""A real headless Chromium for the browser tests, driven by Selenium.

`start_browser()` finds Debian's `chromium` and `chromium-driver` (apt-installing them
when missing and root) and returns a `TerminalPage`: a headless Chromium that reads what
a textual-serve page shows. The terminal on such a page is drawn on a canvas, so the page
also records the bytes its websocket hands the terminal (a script run before the page's
own); `text()` is them with the escape codes taken out, which holds every piece of text the
app has drawn. Only what was started here is stopped (`close()`, by the driver's pid).

    BrowserError
    ├── BrowserUnavailable   no Chromium or driver can be had here: skip (fail under CI)
    └── BrowserFailed        they were there and did not start
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

from tests.servers.apt import apt_install

APT_PACKAGES = ("chromium", "chromium-driver")
APT_TIMEOUT_S = 900
PAGE_TIMEOUT_S = 30
WINDOW = (1280, 800)

RECORD_TERMINAL = """
window.__terminalText = "";
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    const decoder = new TextDecoder();
    this.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.__terminalText += decoder.decode(event.data, { stream: true });
      }
    });
  }
};
"""
"""Run before the page's own scripts: keeps what the websocket hands the terminal."""

ESCAPES = re.compile(r"\x1b\[[0-9;?<=>$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


class BrowserError(Exception):
    """Base of every error raised while providing the browser."""


class BrowserUnavailable(BrowserError):
    """No browser can be had on this machine; the text says why in one sentence."""


class BrowserFailed(BrowserError):
    """Chromium and its driver were installed and did not start."""


def find_programs() -> tuple[str, str] | None:
    """Chromium and chromedriver, or None when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


def install_programs() -> tuple[str, str]:
    """Install Debian's Chromium and its driver with apt-get, or say why that cannot happen."""
    failure = apt_install(APT_PACKAGES, "Chromium", APT_TIMEOUT_S)
    programs = find_programs()
    if failure is not None or programs is None:
        raise BrowserUnavailable(
            failure or f"`apt-get install {' '.join(APT_PACKAGES)}` installed no Chromium"
        )
    return programs


class TerminalPage:
    """A headless Chromium showing one textual-serve page, and the text its terminal got."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def open(self, url: str) -> None:
        """Navigate to `url`. A header a proxy would add comes from a real proxy in front
        (tests/support/header_proxy.py): Chromium adds no extra header to a websocket."""
        self.driver.get(url)

    def raw_text(self) -> str:
        """Everything the websocket handed the terminal since the page (or `forget()`)."""
        return self.driver.execute_script("return window.__terminalText || ''")

    def text(self) -> str:
        """What the terminal was given to draw, without the escape codes."""
        return ESCAPES.sub("", self.raw_text())

    def forget(self) -> None:
        """Start recording afresh, so `text()` holds only what is drawn from now on."""
        self.driver.execute_script("window.__terminalText = ''")

    def wait_for(self, wanted: str, what: str, timeout: float = PAGE_TIMEOUT_S) -> str:
        """Poll until `wanted` is among the text drawn; fail with what was drawn."""
        deadline = time.monotonic() + timeout
        while True:
            drawn = self.text()
            if wanted in drawn:
                return drawn
            if time.monotonic() > deadline:
                tail = drawn[-2000:]
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}:\n{tail}")
            time.sleep(0.05)

    def press(self, key: str) -> None:
        """Type `key` (a character or a selenium `Keys` value) into the terminal."""
        from selenium.webdriver.common.by import By

        self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea").send_keys(key)

    def page_text(self) -> str:
        """The page's own text outside the terminal (a plain page's whole body)."""
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.TAG_NAME, "body").text

    def screenshot(self, path: Path) -> Path:
        """Save what the browser shows as a PNG at `path` (its folder made as needed)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.driver.save_screenshot(str(path)):
            raise AssertionError(f"the browser saved no screenshot to {path}")
        return path

    def close(self) -> None:
        """End the browser and its driver."""
        self.driver.quit()


def start_browser(window: tuple[int, int] = WINDOW) -> TerminalPage:
    """A headless Chromium from the OS packages, driven by Selenium through chromedriver."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise BrowserUnavailable(
            "selenium is not installed: `pip install selenium` (a test dependency)."
        ) from None
    chromium, chromedriver = find_programs() or install_programs()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={window[0]},{window[1]}",
    ):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    except WebDriverException as error:
        raise BrowserFailed(f"Chromium did not start: {error.msg}") from None
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_TERMINAL})
    return TerminalPage(driver)
