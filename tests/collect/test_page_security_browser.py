"""The chat page's defences, in headless Chromium against the running service: locked-down headers,
nothing fetched from elsewhere, untrusted model output rendered inert, keyboard-only use, phone width.
"""

from __future__ import annotations

import re

import httpx
import pytest

pytest.importorskip("playwright.sync_api")

from playwright.sync_api import Browser, expect

from collect.support.browser import (
    ARTIFACTS,
    Service,
    Visit,
    agree,
    message_box,
    open_visit,
    replies,
    say,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The upstream echoes it back, so the reply is Markdown with a heading, a list, code and a link.
MARKDOWN = (
    "this:\n\n## A short answer\n\nHere is **bold** text, a list and code:\n\n"
    "- first item\n- second item with `inline code`\n\n"
    '```python\ndef greet(name):\n    return f"<b>{name}</b>"\n```\n\n'
    "See [the docs](https://example.org/docs)."
)

#: Markdown that tries to smuggle active content through the renderer's own syntax.
HOSTILE_MARKDOWN = [
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt:alert(1))",
    "[a](  javascript:alert(1))",
    "[a](java\tscript:alert(1))",
    "[a](&#106;avascript:alert(1))",
    "[a](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[a](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](https://tracker.example/pixel.gif)",
    "[a](/relative/path)",
    "<a href='javascript:alert(1)'>a</a>",
    "<svg onload=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
    "**<img src=x onerror=alert(1)>**",
    "> <iframe src=javascript:alert(1)>",
    "- <details open ontoggle=alert(1)>",
    "| <b onmouseover=alert(1)>x</b> | y |\n|---|---|\n| <script>1</script> | z |",
    "javascript:alert(1)",
    "https://ok.example/a?b=<script>",
]


def test_page_is_served_locally_with_locked_down_headers(visit: Visit, page_service: Service) -> None:
    page = visit.page
    response = page.goto(page_service.url)
    assert response is not None and response.status == 200
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    agree(page, page_service)
    say(page, "hello")
    wait_idle(page)
    # The assets carry the same headers; nothing outside the table is served.
    for name in ("app.js", "markdown.js", "app.css"):
        asset = httpx.get(f"{page_service.url}/static/{name}")
        assert asset.status_code == 200 and asset.headers["x-content-type-options"] == "nosniff"
        # Revalidation: an unchanged file costs a 304 without a body, still with the headers.
        again = httpx.get(
            f"{page_service.url}/static/{name}", headers={"If-None-Match": asset.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
        assert again.headers["content-security-policy"] == csp
    assert httpx.get(f"{page_service.url}/static/..%2Fpage.py").status_code == 404
    assert httpx.get(f"{page_service.url}/static/index.html").status_code == 404  # only via /
    assert visit.foreign_requests == []


def test_html_and_script_in_replies_render_inert(visit: Visit, page_service: Service) -> None:
    page = visit.page
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective));"
    )
    agree(page, page_service)
    payload = (
        "<img src=x onerror=alert(1)> <script>alert(2)</script> "
        '[click me](javascript:alert(3)) <a href="javascript:alert(4)">link</a> '
        '<iframe src="javascript:alert(5)"></iframe> **bold**'
    )
    say(page, payload)
    reply = replies(page).last
    expect(reply).to_contain_text("<img src=x onerror=alert(1)>")
    expect(reply).to_contain_text("<script>alert(2)</script>")
    expect(reply).to_contain_text("[click me](javascript:alert(3))")
    wait_idle(page)
    expect(reply.locator("strong")).to_have_text("bold")  # Markdown still renders around the payload
    messages = page.locator("#messages")
    for selector in ("img", "script", "iframe", "a[href^='javascript' i]", "[onerror]"):
        assert messages.locator(selector).count() == 0, selector

    say(page, MARKDOWN)
    wait_idle(page)
    reply = replies(page).last
    expect(reply.locator("h4")).to_have_text("A short answer")
    expect(reply.locator("li")).to_have_count(2)
    expect(reply.locator("pre code.language-python")).to_have_text(
        'def greet(name):\n    return f"<b>{name}</b>"'
    )
    expect(reply.locator("a")).to_have_attribute("href", "https://example.org/docs")
    expect(reply.locator("a")).to_have_attribute("rel", re.compile("noopener"))
    assert reply.locator("b").count() == 0

    assert visit.dialogs == []
    assert page.evaluate("window.__cspViolations") == []


def test_markdown_renderer_never_emits_active_content(visit: Visit, page_service: Service) -> None:
    page = visit.page
    page.goto(page_service.url)
    rendered = page.evaluate(
        """cases => cases.map(md => {
            const box = document.createElement('div');
            box.append(window.WildchatMarkdown.render(md));
            return {
                html: box.innerHTML,
                tags: [...box.querySelectorAll('*')].map(e => e.tagName.toLowerCase()),
                attrs: [...box.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)),
                hrefs: [...box.querySelectorAll('a')].map(a => a.href),
            };
        })""",
        HOSTILE_MARKDOWN,
    )
    allowed_tags = {
        "p", "br", "strong", "em", "del", "code", "pre", "a", "ul", "ol", "li", "blockquote", "hr",
        "h3", "h4", "h5", "h6", "div", "span", "button", "table", "thead", "tbody", "tr", "th", "td",
    }  # fmt: skip
    allowed_attrs = {"class", "href", "rel", "target", "tabindex", "type", "aria-label", "start"}
    for case, out in zip(HOSTILE_MARKDOWN, rendered, strict=True):
        assert set(out["tags"]) <= allowed_tags, (case, out["html"])
        assert set(out["attrs"]) <= allowed_attrs, (case, out["html"])
        for href in out["hrefs"]:
            assert href.startswith(("https://", "http://", "mailto:")), (case, href)
    # The only links that survive are the two absolute https ones; the tracker image is a link, not a fetch.
    hrefs = [h for out in rendered for h in out["hrefs"]]
    assert hrefs == ["https://tracker.example/pixel.gif", "https://ok.example/a?b="]
    assert visit.dialogs == []


def test_usable_by_keyboard_alone(visit: Visit, page_service: Service) -> None:
    page = visit.page
    page.goto(page_service.url)
    expect(page.get_by_role("button", name="I agree to these terms")).to_be_enabled()

    def tab_to(name: str) -> None:
        for _ in range(30):
            page.keyboard.press("Tab")
            if (
                page.evaluate("document.activeElement.textContent.trim() || document.activeElement.id")
                == name
            ):
                return
        pytest.fail(f"Tab never reached {name!r}")

    tab_to("I agree to these terms")
    page.keyboard.press("Enter")
    # Focus moves to the confirmation checkbox; Space ticks it.
    expect(page.locator("#confirm-publish")).to_be_focused()
    page.keyboard.press("Space")
    tab_to("Start chatting")
    page.keyboard.press("Enter")
    expect(message_box(page)).to_be_focused()
    page.keyboard.type("typed without a mouse")
    page.keyboard.press("Enter")
    expect(replies(page).last).to_have_text("You said: typed without a mouse")
    wait_idle(page)
    tab_to("Privacy")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Close")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#privacy-panel")).to_be_hidden()
    expect(page.get_by_role("button", name="Privacy")).to_be_focused()


def test_readable_at_phone_width(chromium: Browser, page_service: Service) -> None:
    options = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}
    for seen in open_visit(chromium, page_service, **options):
        page = seen.page
        agree(page, page_service)
        say(page, MARKDOWN)
        wait_idle(page)
        # Nothing wider than the screen: the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_role("button", name="Conversations").click()
        expect(page.locator("#sidebar")).to_be_visible()
        page.get_by_role("button", name="Conversations").click()
        expect(page.locator("#sidebar")).to_be_hidden()
        page.screenshot(path=str(ARTIFACTS / "page-phone.png"))
