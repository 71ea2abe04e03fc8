"""The gateway as an ASGI app: start-up and shutdown, the small endpoints, and routing.

``POST /v1/chat/completions`` goes straight to ``chat.ChatEndpoint`` (the hot path skips the
framework); everything else — health, models, consent, the chat page — goes through Starlette.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from wildchat.collect.asgi_io import Receive, Scope, Send, peer_of, read_body
from wildchat.collect.chat import HOW_TO_CONSENT, ChatEndpoint
from wildchat.collect.client_ip import ClientIpResolver
from wildchat.collect.consent import ConsentBook, bearer_key
from wildchat.collect.errors import ApiError, bad_request, error_body, internal_error
from wildchat.collect.limits import RateLimiter, retry_after_header
from wildchat.collect.recorder import Recorder
from wildchat.collect.startup import Prepared
from wildchat.collect.state import Gateway, Identify
from wildchat.collect.upstream import Upstream

log = logging.getLogger("wildchat.serve")
CHAT_PATH = "/v1/chat/completions"


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), status, headers, media_type="application/json")


def make_identify(hasher: Any, locator: Any) -> Identify:
    """IP -> (hashed_ip, country, state), cached: a visitor sends many requests from one address."""

    @lru_cache(maxsize=65536)
    def identify(ip: str | None) -> tuple[str | None, str | None, str | None]:
        if ip is None:
            return None, None, None
        location = locator.lookup(ip) if locator is not None else None
        return hasher(ip), getattr(location, "country", None), getattr(location, "state", None)

    return identify


class GatewayApp:
    """The ASGI entry point. ``gateway`` is set during start-up (lifespan)."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.gateway: Gateway | None = None
        self.chat: ChatEndpoint | None = None
        self.site = Starlette(
            routes=self._routes(),
            lifespan=self._lifespan,
            exception_handlers={
                ApiError: self._api_error,
                HTTPException: self._http_error,
                Exception: self._crash,
            },
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == CHAT_PATH and self.chat is not None:
            await self.chat(scope, receive, send)
        else:
            await self.site(scope, receive, send)  # type: ignore[arg-type]

    # ---------------------------------------------------------------------------------- lifecycle
    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        p = self.prepared
        s = p.settings
        upstream = Upstream(p.upstream_url, p.upstream_key, s.upstream_timeout_s)
        recorder = Recorder(p.store)
        recorder.start()
        self.gateway = Gateway(
            settings=s,
            terms=p.terms,
            store=p.store,
            consents=ConsentBook(p.store, s.consent_cache_ttl_s),
            recorder=recorder,
            upstream=upstream,
            models=p.models,
            resolver=ClientIpResolver(s.trusted_proxies),
            identify=make_identify(p.hasher, p.locator),
            key_limiter=RateLimiter(s.rate_limit_key),
            ip_limiter=RateLimiter(s.rate_limit_ip),
            consent_limiter=RateLimiter(s.rate_limit_consent),
            header_names=frozenset(h.encode("latin-1") for h in s.headers),
            scrub=(p.upstream_key,) if p.upstream_key else (),
            upstream_alive=p.embedded.alive if p.embedded else (lambda: True),
        )
        self.chat = ChatEndpoint(self.gateway)
        self.gateway.ready = True
        log.info("ready: store %s, models %s", p.store.url, ", ".join(p.models))
        try:
            yield
        finally:
            self.gateway.ready = False
            await recorder.close()  # commits whatever is still pending
            await upstream.close()
            log.info("stopped; %d calls recorded in this run", recorder.committed)

    # ---------------------------------------------------------------------------------- endpoints
    def _routes(self) -> list[BaseRoute]:
        from wildchat.collect.page import page_routes

        return [
            Route("/healthz", self._healthz, methods=["GET"]),
            Route("/v1/models", self._models, methods=["GET"]),
            Route("/v1/consent", self._terms, methods=["GET"]),
            Route("/v1/consent", self._agree, methods=["POST"]),
            Route("/v1/consent", self._withdraw, methods=["DELETE"]),
            *page_routes(),
        ]

    def _gw(self) -> Gateway:
        if self.gateway is None or not self.gateway.ready:
            raise ApiError(503, "The service is starting or stopping.", "server_error", "not_ready")
        return self.gateway

    async def _healthz(self, _request: Request) -> Response:
        gw = self._gw()
        if not gw.upstream_alive():
            raise ApiError(
                503,
                "The embedded model server has stopped; restart the service.",
                "server_error",
                "upstream_down",
            )
        return _json({"status": "ok", "models": gw.models, "terms_version": gw.terms.version})

    async def _models(self, _request: Request) -> Response:
        gw = self._gw()
        created = int(datetime.now(UTC).timestamp())
        data = [{"id": m, "object": "model", "created": created, "owned_by": "wildchat"} for m in gw.models]
        return _json({"object": "list", "data": data})

    async def _terms(self, _request: Request) -> Response:
        gw = self._gw()
        return _json({"terms_version": gw.terms.version, "terms": gw.terms.text})

    async def _agree(self, request: Request) -> Response:
        gw = self._gw()
        length = request.headers.get("content-length")
        body = await read_body(
            request.receive, gw.settings.max_body_bytes, int(length) if length and length.isdigit() else None
        )
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise bad_request('The body must be JSON: {"agree": true, "terms_version": "..."}') from None
        if not isinstance(data, dict) or data.get("agree") is not True:
            raise bad_request('To consent, send {"agree": true, "terms_version": "<version>"}.', "agree")
        version = data.get("terms_version")
        if version != gw.terms.version:
            raise ApiError(
                409,
                f"These terms are version {gw.terms.version!r}; you agreed to {version!r}. "
                "Read the current terms at GET /v1/consent and agree to them.",
                code="terms_version_mismatch",
                param="terms_version",
            )
        ip = gw.resolver.resolve(peer_of(request.scope), request.headers.getlist("x-forwarded-for"))
        hashed_ip = gw.identify(ip)[0]
        wait = gw.consent_limiter.take(hashed_ip) if hashed_ip else 0.0
        if wait:
            raise ApiError(
                429,
                "Too many consents from this address; retry later.",
                "rate_limit_error",
                "rate_limit_exceeded",
                headers={"Retry-After": retry_after_header(wait)},
            )
        key, consent = await gw.consents.issue(gw.terms.version)
        return _json(
            {"key": key, "terms_version": consent.terms_version, "consent_id": consent.consent_id},
            headers={"Cache-Control": "no-store"},
        )

    async def _withdraw(self, request: Request) -> Response:
        gw = self._gw()
        key = bearer_key(request.headers.get("authorization"))
        if key is None:
            raise ApiError(
                401, "Send the consent key to withdraw: Authorization: Bearer <key>.", code="consent_required"
            )
        await gw.recorder.flush()  # calls of this consent already answered are deleted too
        result = await gw.consents.withdraw(key)
        if result is None:
            raise ApiError(
                401,
                "This consent key is not valid (unknown or already withdrawn). " + HOW_TO_CONSENT,
                code="invalid_consent_key",
            )
        consent, deleted = result
        return _json({"withdrawn": True, "consent_id": consent.consent_id, "deleted": deleted})

    # ------------------------------------------------------------------------------------- errors
    async def _api_error(self, _request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return Response(exc.body(), exc.status, exc.headers, media_type="application/json")

    async def _http_error(self, _request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return Response(
            error_body(str(exc.detail), "invalid_request_error", code),
            exc.status_code,
            dict(exc.headers or {}),
            media_type="application/json",
        )

    async def _crash(self, _request: Request, exc: Exception) -> Response:
        log.error("request failed: %s", type(exc).__name__)
        error = internal_error()
        return Response(error.body(), error.status, media_type="application/json")
