"""A real browser for UI tests: the system Chromium driven by Playwright against a live server.

Never `playwright install`: the browser is the machine's own (/usr/bin/chromium, installed by
.ci/run). A pytest plugin (conftest's `pytest_plugins`), so every test file can use `sessions`.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import BASE_DIR

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = BASE_DIR / "bench" / "screenshots"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}
PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("the system Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread; the ORM calls the tests
    # make between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


class Session:
    """One person's browser context, logged in through the real login form."""

    def __init__(self, browser, live_server, username: str, viewport: dict | None = None) -> None:
        self.base = live_server.url
        self.context = browser.new_context(viewport=viewport or WIDE, base_url=self.base)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.expected_statuses: set[int] = set()
        # A CSP violation or a script error shows up as a console error: none is acceptable.
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(str(exc)))
        self.page.on("response", self._response)
        self.page.goto("/accounts/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORDS[username])
        self.page.get_by_role("button", name="Log in").click()
        self.page.wait_for_url(f"{self.base}/")

    def _console(self, message) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.problems.append(message.text)  # failed loads are reported by _response, with the URL

    def _response(self, response) -> None:
        if response.status >= 400 and response.status not in self.expected_statuses:
            self.problems.append(f"{response.status} {response.url}")

    def shot(self, name: str, *, full_page: bool = True) -> None:
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()
        assert not self.problems, self.problems


@pytest.fixture
def sessions(browser, live_server) -> Iterator:
    opened: list[Session] = []

    def open_session(username: str, viewport: dict | None = None) -> Session:
        session = Session(browser, live_server, username, viewport)
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()
