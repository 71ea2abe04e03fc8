"""Corpus build throughput: ``wildchat build`` end to end and per step, peak RSS, and dedup vs datatrove.

One run on seeded synthetic logs (``curate/synthetic.py``; default 100k conversations):

1. ours, end to end: ``build_corpus`` with every step on (lingua high accuracy, the toxicity suite,
   Presidio + secret detectors, MinHash dedup keys + corpus-wide resolution), the local engine with
   2 worker processes, run as ``wildchat build`` in a child process. Prints conversations/s (wall
   clock), each step's share (worker-seconds, and the conversations/s that step alone would sustain on
   2 workers), and the peak RSS of the build's whole process tree (sampled from /proc every 0.2 s).
2. dedup alone, on the same conversations' user turns: ours (``dedup.signatures`` in 2 processes +
   ``DedupIndex``) vs datatrove's four-stage MinHash dedup (signature, buckets, cluster, filter) with
   2 workers, via ``benchmarks/dedup_throughput.py``'s runners: documents/s and the ratio.

Targets on this 2-core machine: >= 500 conversations/s end to end, dedup >= 10x datatrove's, peak RSS
<= 4 GB.

    .venv/bin/python benchmarks/build_throughput.py [--conversations 100000] [--e2e-conversations N]
                                                     [--skip-e2e] [--skip-datatrove]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

WORKERS = 2


class TreeRss:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.peak = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _tree_rss(self.root))
            self._stop.wait(self._interval)


def _tree_rss(root: int) -> int:
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_build(logs: Path, out: Path) -> dict[str, Any]:
    """``wildchat build`` as a child process (as a user runs it), its whole process tree sampled."""
    import json
    import subprocess

    cli = Path(sys.executable).with_name("wildchat")
    command = [str(cli), "build", "--logs", str(logs), "--out", str(out), "--workers", str(WORKERS)]
    start = time.perf_counter()
    child = subprocess.Popen([*command, "--no-progress"], stdout=subprocess.DEVNULL)
    with TreeRss(child.pid) as rss:
        if child.wait() != 0:
            raise SystemExit(f"wildchat build failed with exit code {child.returncode}")
    wall = time.perf_counter() - start
    manifest = json.loads((out / "manifest.json").read_text())
    return {
        "wall": wall,
        "conversations": manifest["counts"]["write"]["conversations"],
        "manifest": manifest,
        "rss": rss.peak,
    }


def user_docs_from_logs(logs: Path) -> list[tuple[str, str]]:
    """(id, user text) per conversation, in time order, by linking the logs (no enrichers)."""
    import pyarrow.parquet as pq

    from wildchat.curate.assemble import assemble
    from wildchat.curate.link import link_calls
    from wildchat.records import ChatCall

    calls = [ChatCall.from_row(r) for r in pq.read_table(logs).to_pylist()]
    chains, _ = link_calls(calls)
    convs = sorted((assemble(c) for c in chains), key=lambda c: (c.timestamp, c.conversation_id))
    return [
        (c.conversation_id, "\n".join(t.content for t in c.conversation if t.role == "user")) for c in convs
    ]


@contextlib.contextmanager
def _quiet_stderr(log: Path) -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "wb") as fh:
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--e2e-conversations", type=int, default=None, help="default: --conversations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--skip-datatrove", action="store_true")
    args = parser.parse_args()

    from wildchat.curate.synthetic import SyntheticConfig, write_synthetic_logs

    sys.path.insert(0, str(Path(__file__).parent))
    import dedup_throughput as dt

    with tempfile.TemporaryDirectory(prefix="build-bench-") as tmp:
        work = Path(tmp)
        print(f"synthetic logs: {args.conversations:,} conversations, seed {args.seed}")
        logs = work / "calls.parquet"
        t = time.perf_counter()
        calls = write_synthetic_logs(SyntheticConfig(conversations=args.conversations, seed=args.seed), logs)
        print(f"  {calls:,} calls written in {time.perf_counter() - t:.1f} s")

        if not args.skip_e2e:
            e2e_logs = logs
            n_e2e = args.e2e_conversations or args.conversations
            if n_e2e != args.conversations:
                e2e_logs = work / "e2e-calls.parquet"
                write_synthetic_logs(SyntheticConfig(conversations=n_e2e, seed=args.seed), e2e_logs)
            print(
                f"\n== ours, end to end ({n_e2e:,} simulated conversations, {WORKERS} workers, every step on)"
            )
            build = run_build(e2e_logs, work / "corpus")
            n = build["conversations"]
            print(f"  corpus rows            {n:,} (branches are separate rows)")
            print(f"  wall                   {build['wall']:.1f} s")
            print(
                f"  conversations/s        {n / build['wall']:.1f}   (target >= 500: ratio {n / build['wall'] / 500:.2f})"
            )
            print(f"  peak RSS (tree)        {build['rss'] / 2**30:.2f} GB (target <= 4 GB)")
            print("  per step (worker-seconds; conversations/s that step alone sustains on 2 workers):")
            counts = build["manifest"]["counts"]
            for name, c in counts.items():
                seconds = c.get("seconds") if isinstance(c, dict) else None
                if seconds:
                    rate = n / (seconds / WORKERS) if seconds else float("inf")
                    print(f"    {name:<12} {seconds:9.1f} s   {rate:10.1f} conv/s")
            accounted = sum(c.get("seconds", 0) for c in counts.values() if isinstance(c, dict)) / WORKERS
            print(f"    (steps account for {accounted:.1f} s of wall per worker; the rest is model loading,")
            print("     partitioning, duplicate resolution and the final shard pass)")

        print(f"\n== dedup alone: user turns of {args.conversations:,} simulated conversations")
        docs = user_docs_from_logs(logs)
        print(f"  documents              {len(docs):,}")
        shards = dt.write_shards([text for _, text in docs], work / "docs")
        ours_times, ours_kept, ours_counts = dt.run_ours(shards, work / "ours")
        ours_rate = len(docs) / ours_times["total"]
        print(
            f"  ours        {ours_times['total']:8.1f} s  {ours_rate:10.0f} docs/s  kept {ours_kept:,}  {ours_counts}"
        )
        if not args.skip_datatrove:
            with _quiet_stderr(work / "datatrove.log"):  # datatrove logs every task to stderr
                dt_times, dt_kept = dt.run_datatrove(work / "docs", work / "datatrove")
            dt_rate = len(docs) / dt_times["total"]
            print(f"  datatrove   {dt_times['total']:8.1f} s  {dt_rate:10.0f} docs/s  kept {dt_kept:,}")
            print(f"  ratio ours/datatrove: {ours_rate / dt_rate:.1f}x (target >= 10x)")


if __name__ == "__main__":
    main()
