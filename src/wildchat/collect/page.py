"""The public chat page: ``GET /`` and its few static files, served by the gateway itself.

The page needs nothing from elsewhere (no CDN, no web fonts), so it works on a machine without
internet, and its Content-Security-Policy can allow the service's own origin only. The files are
read once, at import, from the package: a fixed table of names, so no request path ever reaches the
file system. Every response carries the security headers; the page talks to the API with the
consent key in ``Authorization`` (never a cookie), so there is no ambient credential to forge.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

#: Only the service's own origin, no inline script or style, no plugins, not framable.
CONTENT_SECURITY_POLICY: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}

#: The files the page is made of, with their media types. Nothing outside this table is served.
STATIC_FILES: Final = {
    "app.js": "text/javascript; charset=utf-8",
    "markdown.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def _load(name: str, media_type: str) -> Asset:
    body = resources.files("wildchat.collect").joinpath("static", name).read_bytes()
    return Asset(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


_INDEX: Final = _load("index.html", "text/html; charset=utf-8")
_ASSETS: Final = {name: _load(name, media_type) for name, media_type in STATIC_FILES.items()}


def _respond(request: Request, asset: Asset) -> Response:
    # "no-cache" means revalidate: a restarted service with a new page is picked up at once,
    # while an unchanged file costs a 304 and no body.
    headers = {**SECURITY_HEADERS, "ETag": asset.etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


async def index(request: Request) -> Response:
    return _respond(request, _INDEX)


async def static_file(request: Request) -> Response:
    asset = _ASSETS.get(request.path_params["name"])
    if asset is None:
        return Response("not found\n", status_code=404, media_type="text/plain", headers=SECURITY_HEADERS)
    return _respond(request, asset)


def page_routes() -> list[BaseRoute]:
    """The routes the gateway mounts for the page: ``/`` and ``/static/<file>``."""
    return [
        Route("/", index, methods=["GET"], name="page"),
        Route("/static/{name}", static_file, methods=["GET"], name="page_static"),
    ]
