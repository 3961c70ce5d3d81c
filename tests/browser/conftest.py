"""Real headless Debian Chromium driven by Playwright (ecosystem notes §6).

Chromium must be installed (`apt-get install chromium`; `.ci/run` does it): without it the
browser tests FAIL rather than skip, so a CI image missing it cannot pass silently.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEBIAN_CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium") or DEBIAN_CHROMIUM
    if not os.access(path, os.X_OK):
        pytest.fail(f"Debian chromium not found at {path}: apt-get install -y chromium")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()


class PageProblems:
    """Console errors, uncaught page errors, failed requests and HTTP errors seen by a page."""

    def __init__(self, page: Page) -> None:
        self.items: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.items.append(f"pageerror: {error}"))
        page.on("requestfailed", lambda req: self.items.append(f"request failed: {req.url}"))
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.items.append(f"console: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.items.append(f"HTTP {response.status}: {response.url}")


@pytest.fixture
def page_factory(browser: Browser) -> Iterator[Any]:
    """`page_factory(javascript=True)` -> (page, problems); contexts are closed after the test."""
    contexts = []

    def make(*, javascript: bool = True) -> tuple[Page, PageProblems]:
        context = browser.new_context(java_script_enabled=javascript)
        contexts.append(context)
        page = context.new_page()
        return page, PageProblems(page)

    yield make
    for context in contexts:
        context.close()
