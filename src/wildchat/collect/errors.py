"""OpenAI-shaped errors: ``{"error": {"message", "type", "param", "code"}}`` with the right status.

Handlers raise ``ApiError``; the app turns it into a response. Messages never echo secrets: they
are written here or in the handlers, never built from request headers.
"""

from __future__ import annotations

from collections.abc import Mapping

import orjson

JSON_HEADERS = [(b"content-type", b"application/json")]


class ApiError(Exception):
    """An error the client should see, as OpenAI would word its shape."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> bytes:
        return error_body(self.message, self.type, self.code, self.param)


def error_body(message: str, type_: str, code: str | None = None, param: str | None = None) -> bytes:
    return orjson.dumps({"error": {"message": message, "type": type_, "param": param, "code": code}})


def bad_request(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, "invalid_request_error", "invalid_request", param)


def internal_error() -> ApiError:
    return ApiError(500, "The gateway failed to handle this request.", "server_error", "internal_error")
