"""Start-up: models come from the upstream when not given; anything wrong stops it with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from collect.support.processes import FakeUpstream, free_port, start_gateway


def test_models_default_to_the_upstreams_list(tmp_path: Path, upstream: FakeUpstream) -> None:
    port = free_port()
    gw = start_gateway(tmp_path / "data", None, "--upstream-url", upstream.url, port=port)
    try:
        assert [m["id"] for m in httpx.get(gw.api + "/models").json()["data"]] == ["fake", "fake-error"]
    finally:
        gw.stop()


def serve_fails(tmp_path: Path, *args: str) -> str:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wildchat",
            "serve",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            "0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_unreachable_upstream_is_a_clear_error(tmp_path: Path) -> None:
    dead = f"http://user:hunter2@127.0.0.1:{free_port()}/v1"
    message = serve_fails(tmp_path, "--upstream-url", dead)
    assert "cannot list the models of http://127.0.0.1:" in message and "--models" in message
    assert "hunter2" not in message


def test_unsupported_store_url_is_a_clear_error(tmp_path: Path, upstream: FakeUpstream) -> None:
    message = serve_fails(tmp_path, "--upstream-url", upstream.url, "--db", "mysql://x:secretpw@host/db")
    assert "unsupported store URL" in message and "secretpw" not in message
