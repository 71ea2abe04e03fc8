"""Fixtures for the tests under tests/collect, defined in support modules and registered here."""

from __future__ import annotations

import importlib.util

# The chat page's browser tests (the running service, headless Chromium, a fresh visitor), only
# where Playwright is installed so that the other collect tests never depend on it.
if importlib.util.find_spec("playwright") is not None:
    from collect.support.browser import chromium, page_service, page_upstream, visit  # noqa: F401
