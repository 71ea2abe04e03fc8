"""A local stand-in for OpenAI's moderation endpoint, run as its own process by the tests.

OpenAI's hosted API cannot be reached from here, so this is the one mock the tests use: a real HTTP
server that speaks ``POST /v1/moderations`` (list input, OpenAI-shaped results and errors). What it
answers is driven by markers in the input texts:

* ``POISON``            the whole request is refused with 400 (a bad item: the client must split)
* ``RATELIMIT:<tag>``   the first request containing the tag gets 429 (Retry-After: 0), later ones pass
* ``ALWAYS503``         every request containing it gets 503
* ``UNDERSCORE``        the result uses the underscore category names only
* ``kill``              flagged for violence; ``hate you`` flagged for harassment

``GET /stats`` lists every request (size, status, auth header seen); ``POST /reset`` clears it.
Usage: ``python moderation_server.py`` prints the port it listens on, then serves until killed.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-moderation-key"
SLASH = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]

_lock = threading.Lock()
_requests: list[dict[str, Any]] = []
_seen_tags: set[str] = set()


def _result(text: str) -> dict[str, Any]:
    scores = dict.fromkeys(SLASH, 0.001)
    if "kill" in text.lower():
        scores["violence"] = 0.93
    if "hate you" in text.lower():
        scores["harassment"] = 0.81
    categories = {name: score > 0.5 for name, score in scores.items()}
    if "UNDERSCORE" in text:
        scores = {k.replace("/", "_").replace("-", "_"): v for k, v in scores.items()}
        categories = {k.replace("/", "_").replace("-", "_"): v for k, v in categories.items()}
    return {"flagged": any(categories.values()), "categories": categories, "category_scores": scores}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"message": message, "type": "invalid_request_error"}}, headers)

    def do_GET(self) -> None:
        if self.path == "/stats":
            with _lock:
                self._send(200, {"requests": list(_requests)})
        else:
            self._error(404, "not found")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        payload = json.loads(self.rfile.read(length) or b"{}")
        if self.path == "/reset":
            with _lock:
                _requests.clear()
                _seen_tags.clear()
            self._send(200, {})
            return
        if self.path != "/v1/moderations":
            self._error(404, "not found")
            return
        texts = payload.get("input")
        texts = [texts] if isinstance(texts, str) else texts
        status, headers = self._decide(texts)
        with _lock:
            _requests.append(
                {
                    "size": len(texts),
                    "status": status,
                    "model": payload.get("model"),
                    "authorization": self.headers.get("Authorization"),
                }
            )
        if status == 401:
            self._error(401, "Incorrect API key provided")
        elif status == 400:
            self._error(400, "input could not be processed")
        elif status == 429:
            self._error(429, "Rate limit reached", headers)
        elif status == 503:
            self._error(503, "The server is overloaded")
        else:
            body = {"id": "modr-test", "model": payload.get("model"), "results": [_result(t) for t in texts]}
            self._send(200, body)

    def _decide(self, texts: list[str]) -> tuple[int, dict[str, str]]:
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            return 401, {}
        if any("POISON" in t for t in texts):
            return 400, {}
        if any("ALWAYS503" in t for t in texts):
            return 503, {}
        with _lock:
            for t in texts:
                for word in t.split():
                    if word.startswith("RATELIMIT:") and word not in _seen_tags:
                        _seen_tags.add(word)
                        return 429, {"Retry-After": "0"}
        return 200, {}


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
