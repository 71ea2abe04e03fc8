"""OpenAI's moderation endpoint, in WildChat's shape: batched, retried, and split around bad items.

* Batching: the endpoint takes a list ``input``; ``batch_size`` texts go in one request, and up to
  ``concurrency`` requests are in flight at once (threads: the work is waiting on the network).
* Retries: 429 and 5xx answers and transport errors are retried with exponential backoff and jitter,
  honouring ``Retry-After``; when the retries run out the build stops with ``ModerationUnavailable``
  rather than silently publishing a corpus without moderation (``--resume`` picks it up again).
* Splitting: a request refused for its content (400/413/422, or an answer with the wrong number of
  results) is split in halves, recursively, so one bad item costs only itself: that item gets ``None``
  (counted in ``failed``) and every other text still gets its result.
* Auth errors (401/403) stop at once: every request would fail the same way.

The API key is sent in the Authorization header and never logged or stored.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from wildchat.records import MODERATION_ALIASES, MODERATION_CATEGORIES

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "omni-moderation-latest"


class ModerationUnavailable(RuntimeError):
    """The endpoint kept failing (or refused our key); the message says how, never the key."""


class _BadRequest(Exception):
    """The endpoint refused the request for what it contains: split it."""


def to_wildchat_shape(result: dict[str, Any]) -> dict[str, Any]:
    """One API result as WildChat stores it: all 18 names in ``categories`` and ``category_scores``.

    Whichever spelling the API sent fills both (older answers use slashes, newer SDKs add underscores);
    a category the model does not report is False / 0.0, and categories outside WildChat's schema
    (e.g. omni's ``illicit``) are left out because the Arrow struct has a fixed set of fields.
    """
    categories = result.get("categories") or {}
    scores = result.get("category_scores") or {}

    def pick(source: dict[str, Any], name: str, default: Any) -> Any:
        value = source.get(name)
        if value is None:
            value = source.get(MODERATION_ALIASES.get(name, name))
        return default if value is None else value

    return {
        "categories": {name: bool(pick(categories, name, False)) for name in MODERATION_CATEGORIES},
        "category_scores": {name: float(pick(scores, name, 0.0)) for name in MODERATION_CATEGORIES},
        "flagged": bool(result.get("flagged", False)),
    }


class OpenAIModeration:
    """A client for ``POST {base_url}/moderations`` returning WildChat-shaped results (or None)."""

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        model: str = DEFAULT_MODEL,
        batch_size: int = 32,
        concurrency: int = 4,
        max_retries: int = 6,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        timeout_s: float = 60.0,
    ) -> None:
        if batch_size < 1 or concurrency < 1 or max_retries < 0:
            raise ValueError("batch_size and concurrency must be >= 1, max_retries >= 0")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=timeout_s,
        )
        self._lock = threading.Lock()
        #: Texts moderated, texts that got no result (bad items), requests sent, retries made.
        self.stats = {"texts": 0, "failed": 0, "requests": 0, "retries": 0, "splits": 0}

    def close(self) -> None:
        self._client.close()

    def classify(self, texts: Sequence[str]) -> list[dict[str, Any] | None]:
        """WildChat-shaped results in input order; None for an item the endpoint refused on its own."""
        batches = [list(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        if len(batches) <= 1 or self.concurrency == 1:
            parts = [self._moderate(b) for b in batches]
        else:
            with ThreadPoolExecutor(min(self.concurrency, len(batches))) as pool:
                parts = list(pool.map(self._moderate, batches))
        out = [r for part in parts for r in part]
        self._count("texts", len(out))
        return out

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.stats[key] += n

    def _moderate(self, items: list[str]) -> list[dict[str, Any] | None]:
        try:
            return [to_wildchat_shape(r) for r in self._post(items)]
        except _BadRequest as exc:
            if len(items) == 1:
                self._count("failed")
                log.warning("moderation refused one item (%s); its result is left empty", exc)
                return [None]
            self._count("splits")
            mid = len(items) // 2
            return self._moderate(items[:mid]) + self._moderate(items[mid:])

    def _post(self, items: list[str]) -> list[dict[str, Any]]:
        for attempt in range(self.max_retries + 1):
            self._count("requests")
            wait: float | None = None
            try:
                response = self._client.post("/moderations", json={"model": self.model, "input": items})
            except httpx.TransportError as exc:
                reason = f"{type(exc).__name__}"
            else:
                status = response.status_code
                if status == 200:
                    results = _results(response)
                    if results is None or len(results) != len(items):
                        raise _BadRequest(f"answer has {len(results or [])} results for {len(items)} inputs")
                    return results
                if status in (401, 403, 404):
                    # Wrong key, or wrong URL: every request would fail the same way.
                    raise ModerationUnavailable(
                        f"moderation endpoint {self.base_url} answered HTTP {status}: {_error_message(response)}"
                    )
                if 400 <= status < 500 and status != 429:
                    raise _BadRequest(f"HTTP {status}: {_error_message(response)}")
                reason = f"HTTP {status}"
                wait = _retry_after(response)
            if attempt == self.max_retries:
                raise ModerationUnavailable(
                    f"moderation endpoint {self.base_url} still failing after {self.max_retries} retries ({reason})"
                )
            self._count("retries")
            if wait is None:
                wait = min(self.max_backoff_s, self.backoff_s * 2**attempt) * (0.5 + random.random() / 2)
            log.info("moderation: %s, retry %d in %.2f s", reason, attempt + 1, wait)
            time.sleep(min(wait, self.max_backoff_s))
        raise AssertionError("unreachable")


def _results(response: httpx.Response) -> list[dict[str, Any]] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    results = body.get("results") if isinstance(body, dict) else None
    return results if isinstance(results, list) else None


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
        return str(body["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
