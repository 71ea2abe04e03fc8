"""What the chat page's browser tests share: the running service, headless Chromium, a visitor.

The service is a real ``wildchat serve`` (SQLite store in a temporary data directory) in front of
the real fake upstream process (``fake_upstream.py``); the browser is Debian's Chromium driven by
Playwright (never ``playwright install``: it cannot download here). Test modules import the
fixtures they use from here.
"""

from __future__ import annotations

import json
import signal
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from collect.support.processes import Gateway, start_fake_upstream, start_gateway, stop

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
LOCALE = "de-CH"
#: fake_upstream.py picks its behaviour by model name: "fake-stall" streams half a reply, then goes
#: silent for --slow-s; "fake-error" answers 500; any other name echoes "You said: <message>".
MODELS = "fake,fake-alt,fake-stall,fake-error"
#: Every visitor here comes from 127.0.0.1: per-IP limits would trip the tests.
NO_LIMITS = ("--rate-limit-key", "0", "--rate-limit-ip", "0", "--rate-limit-consent", "0")

# The machine is shared and small: give the browser time; the waits still end as soon as they can.
expect.set_options(timeout=20_000)


@dataclass
class Service:
    """A running ``wildchat serve`` and its SQLite file, which the tests read directly."""

    gateway: Gateway
    url: str = field(init=False)
    db_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.url = self.gateway.base
        self.db_path = self.gateway.data_dir / "logs.sqlite3"

    def calls(self, first_user_message: str | None = None) -> list[dict[str, Any]]:
        """Logged calls in order; optionally only those whose first message is the one given."""
        with sqlite3.connect(self.db_path) as db:
            db.row_factory = sqlite3.Row
            rows = [dict(r) for r in db.execute("SELECT * FROM calls ORDER BY received_at, call_id")]
        for row in rows:
            row["messages"] = [
                {"role": m["role"], "content": m["content"]} for m in json.loads(row["messages"])
            ]
            row["headers"] = dict(json.loads(row["headers"]))
            row["params"] = json.loads(row["params"])
        if first_user_message is None:
            return rows
        return [r for r in rows if r["messages"] and r["messages"][0]["content"] == first_user_message]

    def count_calls(self, consent_id: str) -> int:
        with sqlite3.connect(self.db_path) as db:
            row = db.execute("SELECT count(*) FROM calls WHERE consent_id = ?", (consent_id,)).fetchone()
        return int(row[0])

    def withdrawn_at(self, consent_id: str) -> str | None:
        with sqlite3.connect(self.db_path) as db:
            row = db.execute(
                "SELECT withdrawn_at FROM consents WHERE consent_id = ?", (consent_id,)
            ).fetchone()
        return None if row is None else row[0]


def start_service(data_dir: Path, upstream_url: str, *extra: str) -> Service:
    gateway = start_gateway(data_dir, None, "--upstream-url", upstream_url, "--models", MODELS, *extra)
    return Service(gateway)


@pytest.fixture(scope="session")
def page_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # A long stall: the stop test clicks Stop while the stream is still open.
    fake = start_fake_upstream(tmp_path_factory.mktemp("page-upstream"), slow_s=60.0)
    try:
        yield fake.url
    finally:
        # SIGKILL: a stalled "fake-stall" handler sleeps through a graceful shutdown, and this
        # stateless test double has nothing to flush.
        stop(fake.process, signal.SIGKILL)


@pytest.fixture(scope="session")
def page_service(tmp_path_factory: pytest.TempPathFactory, page_upstream: str) -> Iterator[Service]:
    service = start_service(tmp_path_factory.mktemp("page-service") / "data", page_upstream, *NO_LIMITS)
    try:
        yield service
    finally:
        service.gateway.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium; scripts/bootstrap.sh does it)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """One visitor's tab, with every dialog it raised and every request it made off the origin."""

    page: Page
    dialogs: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)


def open_visit(browser: Browser, service: Service, **context_options: Any) -> Iterator[Visit]:
    options = {"locale": LOCALE, "viewport": {"width": 1100, "height": 800}, **context_options}
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(20_000)
    seen = Visit(page)

    def on_dialog(dialog: Any) -> None:
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_request(request: Any) -> None:
        if not request.url.startswith(service.url + "/"):
            seen.foreign_requests.append(request.url)

    page.on("dialog", on_dialog)
    page.on("request", on_request)
    try:
        yield seen
    finally:
        context.close()


@pytest.fixture()
def visit(chromium: Browser, page_service: Service) -> Iterator[Visit]:
    """A fresh visitor: a new browser context, so an empty localStorage."""
    yield from open_visit(chromium, page_service)


# --------------------------------------------------------------------------------------- actions
def agree(page: Page, service: Service) -> str:
    """Go through both consent steps; return the consent key the page keeps."""
    page.goto(service.url)
    page.get_by_role("button", name="I agree to these terms").click()
    page.get_by_label("I understand that my conversations may be published.").check()
    page.get_by_role("button", name="Start chatting").click()
    expect(message_box(page)).to_be_visible()
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('wildchat.consent.v1'))")
    return str(stored["key"])


def message_box(page: Page) -> Locator:
    return page.get_by_label("Message", exact=True)


def say(page: Page, text: str) -> None:
    box = message_box(page)
    box.fill(text)
    box.press("Enter")


def replies(page: Page) -> Locator:
    return page.locator(".msg-assistant .msg-body")


def wait_idle(page: Page) -> None:
    """The reply has finished streaming: the Send button is back."""
    expect(page.get_by_role("button", name="Send", exact=True)).to_be_visible()


def choose_model(page: Page, model: str) -> None:
    page.get_by_label("Model", exact=True).select_option(model)
