"""Real processes for the gateway tests: the fake upstream and ``wildchat serve``, on free ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from wildchat.collect.store import LogStore, open_store
from wildchat.records import ChatCall

FAKE_UPSTREAM = Path(__file__).with_name("fake_upstream.py")
FAKE_MODELS = "fake,fake-error,fake-400,fake-slow,fake-cut,fake-stall"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(
    url: str, process: subprocess.Popen[bytes], timeout_s: float = 60.0, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            detail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered:\n{detail}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout_s: float = 30) -> int:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@dataclass
class FakeUpstream:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"


def start_fake_upstream(log_dir: Path, slow_s: float = 5.0, expect_key: str | None = None) -> FakeUpstream:
    port = free_port()
    command = [sys.executable, str(FAKE_UPSTREAM), "--port", str(port), "--slow-s", str(slow_s)]
    if expect_key:
        command += ["--expect-key", expect_key]
    log = log_dir / f"fake-upstream-{port}.log"
    process = subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    _wait_port(port, process)
    return FakeUpstream(port, process)


def _wait_port(port: int, process: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("fake upstream exited")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} never opened")


@dataclass
class Gateway:
    """A running ``wildchat serve``; its stdout and stderr go to ``log``."""

    port: int
    data_dir: Path
    db: str
    process: subprocess.Popen[bytes]
    log: Path
    args: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return self.base + "/v1"

    def consent(self, headers: dict[str, str] | None = None) -> str:
        terms = httpx.get(self.api + "/consent").json()
        response = httpx.post(
            self.api + "/consent",
            json={"agree": True, "terms_version": terms["terms_version"]},
            headers=headers,
        )
        response.raise_for_status()
        return str(response.json()["key"])

    def open_store(self) -> LogStore:
        return open_store(self.db)

    def calls(self) -> list[ChatCall]:
        store = self.open_store()
        try:
            return [call for batch in store.iter_calls() for call in batch]
        finally:
            store.close()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        return stop(self.process, sig)


def start_gateway(
    data_dir: Path,
    upstream_url: str | None,
    *extra: str,
    db: str | None = None,
    env: dict[str, str] | None = None,
    wait_s: float = 60.0,
    port: int | None = None,
) -> Gateway:
    port = port or free_port()
    db = db or f"sqlite:///{data_dir / 'logs.sqlite3'}"
    args = ["--port", str(port), "--data-dir", str(data_dir), "--db", db]
    if upstream_url:
        args += ["--upstream-url", upstream_url, "--models", FAKE_MODELS]
    args += list(extra)
    log = data_dir.parent / f"{data_dir.name}-serve-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("WILDCHAT_")}
    full_env.update(env or {})
    process = subprocess.Popen(
        [sys.executable, "-m", "wildchat", "serve", *args],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        env=full_env,
        cwd=data_dir.parent,
    )
    gateway = Gateway(port, data_dir, db, process, log, args)
    wait_http(gateway.base + "/healthz", process, timeout_s=wait_s, log=log)
    return gateway


def gateway_fixture(gateway: Gateway) -> Iterator[Gateway]:
    try:
        yield gateway
    finally:
        gateway.stop()


def chat_body(content: str = "hello", model: str = "fake", **params: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": content}], **params}
