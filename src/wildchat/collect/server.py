"""``wildchat serve``: prepare, then run the gateway under uvicorn until SIGTERM/SIGINT.

uvicorn with uvloop and httptools, no access log: an access log line would print every client's
address. On SIGTERM/SIGINT uvicorn stops accepting, lets requests in flight finish, then the app's
shutdown commits every pending record before the process exits.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

from wildchat.collect.settings import Settings
from wildchat.collect.startup import StartupError, prepare
from wildchat.collect.upstream import display_url

log = logging.getLogger("wildchat.serve")


def _loop_and_http() -> tuple[str, str]:
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools  # noqa: F401

        http = "httptools"
    except ImportError:
        http = "h11"
    return loop, http


def _server_class() -> type:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn re-raises SIGTERM/SIGINT after its graceful shutdown, which kills the process
        before our own clean-up; we treat the signal as handled: shut down, clean up, exit 0."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                yield
                self._captured_signals.clear()

    return Server


def serve(settings: Settings) -> int:
    """Run until stopped; return the process exit code."""
    import uvicorn

    from wildchat.collect.app import GatewayApp

    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        prepared = prepare(settings)
    except StartupError as exc:
        log.error("cannot start: %s", exc)
        return 2
    try:
        upstream = (
            "embedded " + prepared.models[0] if prepared.embedded else display_url(prepared.upstream_url)
        )
        log.info("upstream: %s; terms version %s", upstream, prepared.terms.version)
        loop, http = _loop_and_http()
        config = uvicorn.Config(
            GatewayApp(prepared),
            host=settings.host,
            port=settings.port,
            loop=loop,
            http=http,
            access_log=False,
            log_config=None,
            log_level=settings.log_level,
            lifespan="on",
            timeout_graceful_shutdown=30,
            proxy_headers=False,
            server_header=False,
            backlog=4096,
        )
        server = _server_class()(config)
        server.run()
        return 0 if server.started else 1
    finally:
        prepared.close()
