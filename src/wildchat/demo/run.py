"""`wildchat demo`: the whole system on embedded defaults, with real prompts, in minutes.

1. start ``wildchat serve`` (SQLite, embedded SmolLM2 upstream, 127.0.0.1 as a trusted proxy);
2. replay real WildChat prompts through it as a crowd of consenting visitors (see ``crowd``);
3. ``wildchat build`` the logs into a corpus;
4. ``wildchat import`` the shared public samples and ``wildchat report`` them side by side;
5. print a summary and the paths; leave the service running only with ``--serve``.

Every stage runs as its own ``wildchat`` command in a child process, exactly as a user would run it:
the demo only composes the commands and reads the files they write.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow.compute as pc
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from wildchat import corpus_io
from wildchat.demo import crowd

console = Console()

#: Shared public samples imported next to the demo corpus: (folder, file, importer format, name).
PUBLIC_SAMPLES = (
    ("wildchat-4.8m", "wildchat_clean_head.jsonl", "wildchat", "WildChat-4.8M (sample)"),
    ("sharegpt", "sharegpt_v3_sample.json", "sharegpt", "ShareGPT (sample)"),
    ("oasst1", "en_100_tree.jsonl", "oasst", "OpenAssistant (sample)"),
    ("alpaca", "alpaca_en_demo.json", "alpaca", "Alpaca (sample)"),
)


@dataclass
class DemoOptions:
    out: Path
    shared: Path
    calls: int = 240
    concurrency: int = 4
    max_tokens: int = 32
    port: int = 0
    serve: bool = False
    seed: int = 7
    upstream_url: str | None = None  # default: the embedded model
    model: str | None = None
    report: bool = True


def run_demo(options: DemoOptions) -> int:
    started = time.monotonic()
    out = options.out.resolve()
    sample = options.shared / "wildchat-4.8m" / "wildchat_clean_head.jsonl"
    if not sample.is_file():
        console.print(f"[red]error:[/] the shared WildChat sample is missing: {sample}")
        return 2
    data_dir, corpus, public, report = out / "wildchat-data", out / "corpus", out / "public", out / "report"
    for path in (data_dir, corpus, public, report):
        shutil.rmtree(path, ignore_errors=True)  # each demo run starts from nothing
    out.mkdir(parents=True, exist_ok=True)

    port = options.port or _free_port()
    base = f"http://127.0.0.1:{port}"
    console.rule("[bold]1. serve")
    server = _start_service(data_dir, port, options, out / "serve.log")
    try:
        _wait_ready(server, base, out / "serve.log")
        model = options.model or httpx.get(f"{base}/v1/models").json()["data"][0]["id"]
        console.print(f"service ready at {base}/ (model {model}); log: {out / 'serve.log'}")

        console.rule("[bold]2. a crowd of consenting visitors")
        plans = crowd.plan_crowd(crowd.load_prompts(sample), options.calls, options.seed)
        planned = sum(len(p.turns) + (p.regenerate_at is not None) for p in plans)
        with _progress() as progress:
            task = progress.add_task("calls", total=planned)
            result = crowd.run_crowd(
                f"{base}/v1",
                plans,
                model=model,
                max_tokens=options.max_tokens,
                concurrency=options.concurrency,
                on_call=lambda: progress.advance(task),
            )
        console.print(
            f"{result.calls:,} calls from {result.visitors:,} visitors ({result.multi_turn} multi-turn, "
            f"{result.regenerations} regenerations, {result.failed_calls} failed); "
            f"one visitor withdrew: {result.withdrawn_records} records deleted"
        )
        for error in result.errors[:5]:
            console.print(f"[yellow]visitor error:[/] {error}")

        console.rule("[bold]3. build the corpus")
        _wildchat("build", "--logs", str(data_dir), "--out", str(corpus))

        reports = [corpus]
        if options.report:
            console.rule("[bold]4. import public samples and report")
            for folder, filename, fmt, _name in PUBLIC_SAMPLES:
                source = options.shared / folder / filename
                if source.is_file():
                    target = public / folder
                    _wildchat("import", "--format", fmt, str(source), "--out", str(target))
                    reports.append(target)
                else:
                    console.print(f"[yellow]skipping {folder}: {source} not found[/]")
            names = [
                "This demo",
                *(name for folder, _f, _fmt, name in PUBLIC_SAMPLES if (public / folder).is_dir()),
            ]
            _wildchat(
                "report",
                *map(str, reports),
                "--out",
                str(report),
                *(arg for name in names for arg in ("--name", name)),
            )

        console.rule("[bold]summary")
        _print_summary(corpus, base, data_dir, report if options.report else None, time.monotonic() - started)
        if options.serve:
            console.print(f"\nThe service keeps running at [bold]{base}/[/] — press Ctrl-C to stop it.")
            with contextlib.suppress(KeyboardInterrupt):
                server.wait()
        return 0
    finally:
        _stop(server)


def _start_service(data_dir: Path, port: int, options: DemoOptions, log: Path) -> subprocess.Popen[bytes]:
    command = [
        _wildchat_executable(),
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--trusted-proxies",
        "127.0.0.1/32",
        "--max-tokens-cap",
        str(options.max_tokens),
    ]
    if options.upstream_url:
        command += ["--upstream-url", options.upstream_url]
        if options.model:
            command += ["--models", options.model]
    log_file = open(log, "wb")  # noqa: SIM115 - handed to the child, closed with it
    return subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_ready(server: subprocess.Popen[bytes], base: str, log: Path, timeout_s: float = 300) -> None:
    """Poll /healthz until the service (and its embedded model) is ready."""
    deadline = time.monotonic() + timeout_s
    with console.status("starting the service and its embedded model"):
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"the service exited during start-up; see {log}:\n{log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    raise SystemExit(f"the service was not ready after {timeout_s:.0f} s; see {log}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _wildchat(*args: str) -> None:
    completed = subprocess.run([_wildchat_executable(), *args], check=False)
    if completed.returncode != 0:
        raise SystemExit(f"`wildchat {args[0]}` failed with exit code {completed.returncode}")


def _wildchat_executable() -> str:
    beside = Path(sys.executable).with_name("wildchat")
    return str(beside) if beside.exists() else "wildchat"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _print_summary(corpus: Path, base: str, data_dir: Path, report: Path | None, elapsed_s: float) -> None:
    table = corpus_io.read_corpus(
        corpus, columns=["conversation", "hashed_ip", "language", "country", "toxic", "redacted"]
    )
    summary = Table(show_header=False)
    summary.add_row("conversations", f"{table.num_rows:,}")
    summary.add_row("users (distinct hashed IPs)", f"{pc.count_distinct(table['hashed_ip']).as_py():,}")
    summary.add_row("languages", f"{pc.count_distinct(table['language']).as_py():,}")
    summary.add_row("countries", f"{pc.count_distinct(table['country']).as_py():,}")
    summary.add_row("toxic conversations", f"{pc.sum(table['toxic']).as_py() or 0:,}")
    summary.add_row("redacted conversations", f"{pc.sum(table['redacted']).as_py() or 0:,}")
    summary.add_row("chat page", f"{base}/")
    summary.add_row("call logs", str(data_dir / "logs.sqlite3"))
    summary.add_row("corpus", str(corpus))
    if report is not None:
        summary.add_row("report", str(report / "index.html"))
    summary.add_row("wall time", f"{elapsed_s:,.0f} s")
    console.print(summary)
