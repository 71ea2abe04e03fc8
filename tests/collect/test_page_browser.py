"""The public chat page as a visitor uses it, in Debian's headless Chromium, against the running service.

``wildchat serve`` runs in front of the fake upstream process; the tests click through the page and
then read the SQLite store directly to check what was logged. Screenshots of the consent screen and
of a conversation go to ``tests/artifacts/`` (not committed). Safety checks: test_page_security_browser.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect

from collect.support.browser import (
    ARTIFACTS,
    LOCALE,
    NO_LIMITS,
    Service,
    Visit,
    agree,
    choose_model,
    message_box,
    open_visit,
    replies,
    say,
    start_service,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_chat_is_gated_until_both_consent_steps(visit: Visit, page_service: Service) -> None:
    page = visit.page
    response = page.goto(page_service.url)
    assert response is not None and response.status == 200
    terms = httpx.get(f"{page_service.url}/v1/consent").json()
    # The terms reflow (hard wraps joined, "- " lines as a list), every word in its place.
    words = re.sub(r"(?m)^\s*- ", "", terms["terms"]).split()
    expect(page.locator("#terms-text")).to_have_text(re.compile(r"\s*".join(map(re.escape, words))))
    expect(page.locator("#terms-version")).to_contain_text(terms["terms_version"])
    expect(page.locator("#chat-screen")).to_be_hidden()
    expect(message_box(page)).to_be_hidden()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "page-consent.png"), full_page=True)

    # Agreeing once is not enough: the publication confirmation is a second, explicit step.
    page.get_by_role("button", name="I agree to these terms").click()
    expect(message_box(page)).to_be_hidden()
    start = page.get_by_role("button", name="Start chatting")
    expect(start).to_be_disabled()
    page.get_by_label("I understand that my conversations may be published.").check()
    start.click()
    expect(message_box(page)).to_be_visible()
    expect(page.get_by_label("Model", exact=True)).to_have_value("fake")
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('wildchat.consent.v1'))")
    assert stored["terms_version"] == terms["terms_version"] and len(stored["key"]) >= 22


def test_streamed_reply_is_logged_with_browser_headers_and_kept_on_reload(
    visit: Visit, page_service: Service
) -> None:
    page = visit.page
    agree(page, page_service)
    choose_model(page, "fake-alt")
    page.get_by_label("Temperature", exact=True).fill("0.3")
    page.get_by_label("Top-p", exact=True).fill("0.85")

    box = message_box(page)
    box.fill("Bonjour, line one")
    box.press("Shift+Enter")  # a newline, not a send
    box.press_sequentially("line two")
    expect(page.locator(".msg")).to_have_count(0)
    box.press("Enter")
    expect(replies(page).last).to_have_text("You said: Bonjour, line one\nline two", use_inner_text=True)
    wait_idle(page)

    prompt = "Bonjour, line one\nline two"
    [call] = page_service.calls(prompt)
    assert call["messages"] == [{"role": "user", "content": prompt}]
    assert call["model"] == "fake-alt" and call["stream"] == 1 and call["status"] == "ok"
    assert call["response_text"] == "You said: Bonjour, line one\nline two"
    assert call["params"]["temperature"] == pytest.approx(0.3)
    assert call["params"]["top_p"] == pytest.approx(0.85)
    assert call["headers"]["user-agent"] == page.evaluate("navigator.userAgent")
    assert call["headers"]["accept-language"].startswith(LOCALE)

    say(page, "And a second one")
    expect(replies(page)).to_have_count(2)
    expect(replies(page).last).to_have_text("You said: And a second one")
    wait_idle(page)

    page.reload()
    expect(page.locator(".msg")).to_have_count(4)
    expect(replies(page).last).to_have_text("You said: And a second one")
    expect(page.locator(".conversation-open[aria-current=true]")).to_have_text(
        re.compile(r"^Bonjour, line one line two")
    )
    expect(page.get_by_label("Model", exact=True)).to_have_value("fake-alt")

    # A new conversation starts empty; the old one stays in the list and reopens.
    page.get_by_role("button", name="New conversation").click()
    expect(page.locator(".msg")).to_have_count(0)
    page.locator(".conversation-open", has_text="Bonjour").click()
    expect(page.locator(".msg")).to_have_count(4)
    page.screenshot(path=str(ARTIFACTS / "page-conversation.png"), full_page=True)

    # Deleting it removes the browser's copy for good (the store keeps the logged calls).
    page.get_by_role("button", name=re.compile(r"^Delete conversation: Bonjour")).click()
    expect(page.locator(".msg")).to_have_count(0)
    expect(page.locator("#conversation-list")).to_have_text("None yet.")
    page.reload()
    expect(page.locator("#conversation-list")).to_have_text("None yet.")
    assert len(page_service.calls(prompt)) == 2  # both turns of the deleted conversation


def test_regenerate_and_edit_and_resend_log_the_right_histories(visit: Visit, page_service: Service) -> None:
    page = visit.page
    agree(page, page_service)
    say(page, "regen first question")
    expect(replies(page)).to_have_count(1)
    wait_idle(page)
    say(page, "regen second question")
    expect(replies(page)).to_have_count(2)
    wait_idle(page)

    page.get_by_role("button", name="Regenerate the last reply").click()
    wait_idle(page)
    expect(page.locator(".msg")).to_have_count(4)
    first, second = (
        {"role": "user", "content": "regen first question"},
        {"role": "user", "content": "regen second question"},
    )
    reply_one = {"role": "assistant", "content": "You said: regen first question"}
    calls = page_service.calls("regen first question")
    histories = [c["messages"] for c in calls]
    assert histories == [[first], [first, reply_one, second], [first, reply_one, second]]

    # Edit the first message: everything after it goes, and the new history is just the edit.
    page.get_by_role("button", name="Edit message 1").click()
    editor = page.get_by_label("Edit your message")
    editor.fill("regen first question, edited")
    editor.press("Enter")
    expect(page.locator(".msg")).to_have_count(2)
    expect(replies(page).last).to_have_text("You said: regen first question, edited")
    wait_idle(page)
    [edited] = page_service.calls("regen first question, edited")
    assert edited["messages"] == [{"role": "user", "content": "regen first question, edited"}]
    assert len(page_service.calls("regen first question")) == 3  # the earlier calls are still logged


def test_stop_keeps_the_partial_reply(visit: Visit, page_service: Service) -> None:
    page = visit.page
    agree(page, page_service)
    choose_model(page, "fake-stall")
    say(page, "hold please")
    # Half the reply is on screen while the stream is still open: the reply really streams.
    expect(replies(page).last).to_have_text("You said:")
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    stop.click()
    wait_idle(page)
    expect(page.locator(".msg-note")).to_have_text("Stopped.")
    page.reload()
    expect(replies(page).last).to_have_text("You said:")


def test_errors_are_plain_and_a_revoked_key_returns_to_consent(visit: Visit, page_service: Service) -> None:
    page = visit.page
    key = agree(page, page_service)
    choose_model(page, "fake-error")
    say(page, "fail please")
    expect(page.locator("#chat-error")).to_contain_text("not answering right now")
    wait_idle(page)
    # The message stays, with a way to send it again (here to a model that works).
    expect(replies(page)).to_have_count(0)
    choose_model(page, "fake")
    page.get_by_role("button", name="Retry this message").click()
    expect(replies(page).last).to_have_text("You said: fail please")
    expect(page.locator("#chat-error")).to_be_hidden()
    wait_idle(page)
    tries = page_service.calls("fail please")
    assert [(c["model"], c["messages"]) for c in tries] == [
        ("fake-error", [{"role": "user", "content": "fail please"}]),
        ("fake", [{"role": "user", "content": "fail please"}]),
    ]

    # The key is revoked elsewhere (another device, the operator): the next send goes back to consent.
    gone = httpx.delete(f"{page_service.url}/v1/consent", headers={"Authorization": f"Bearer {key}"})
    assert gone.status_code == 200
    say(page, "are you still there")
    expect(page.locator("#consent-screen")).to_be_visible()
    expect(page.locator("#consent-notice")).to_contain_text("no longer valid")
    expect(message_box(page)).to_be_hidden()


def test_withdrawal_deletes_the_records_and_returns_to_consent(visit: Visit, page_service: Service) -> None:
    page = visit.page
    agree(page, page_service)
    say(page, "please forget me")
    expect(replies(page).last).to_have_text("You said: please forget me")
    wait_idle(page)
    [call] = page_service.calls("please forget me")
    consent_id = call["consent_id"]
    assert page_service.count_calls(consent_id) == 1

    page.get_by_role("button", name="Privacy").click()
    terms_version = httpx.get(f"{page_service.url}/v1/consent").json()["terms_version"]
    expect(page.locator("#privacy-terms-version")).to_have_text(terms_version)
    expect(page.locator("#privacy-panel")).to_contain_text("salted hash of your IP address")
    page.get_by_role("button", name="Withdraw and delete my data").click()
    page.get_by_role("button", name="Yes, delete my data").click()

    expect(page.locator("#consent-screen")).to_be_visible()
    expect(page.locator("#consent-notice")).to_contain_text("withdrawn")
    expect(message_box(page)).to_be_hidden()
    assert page_service.count_calls(consent_id) == 0
    assert page_service.withdrawn_at(consent_id) is not None
    left = page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('wildchat.'))")
    assert left == []
    page.reload()
    expect(page.locator("#consent-screen")).to_be_visible()
    expect(page.locator(".msg")).to_have_count(0)


def test_rate_limit_says_when_to_retry(chromium: Browser, page_upstream: str, tmp_path: Path) -> None:
    limited = start_service(tmp_path / "data", page_upstream, *NO_LIMITS, "--rate-limit-key", "1")
    try:
        for seen in open_visit(chromium, limited):
            page = seen.page
            agree(page, limited)
            say(page, "one")
            expect(replies(page).last).to_have_text("You said: one")
            wait_idle(page)
            say(page, "two")
            expect(page.locator("#chat-error")).to_contain_text(
                re.compile(r"try again in \d+ (second|minute)")
            )
    finally:
        limited.gateway.stop()
