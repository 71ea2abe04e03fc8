"""`wildchat import` then `wildchat report` on every public sample, as real processes, and a look in Chromium.

The report on the five samples side by side is built once (module fixture); the browser test opens
its index.html offline in Debian's headless Chromium and writes a screenshot to tests/artifacts/.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from wildchat.corpus_io import shard_files

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
WILDCHAT = str(Path(sys.executable).with_name("wildchat"))
#: Sample folder -> importer format.
SAMPLES = {
    "wildchat-4.8m": "wildchat",
    "wildchat-metadata": "wildchat-metadata",
    "sharegpt": "sharegpt",
    "oasst1": "oasst",
    "alpaca": "alpaca",
}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([WILDCHAT, *args], capture_output=True, text=True, timeout=900, check=False)


@pytest.fixture(scope="module")
def sample_report(
    shared_public: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, int]]:
    root = tmp_path_factory.mktemp("samples")
    missing = [name for name in SAMPLES if not (shared_public / name).is_dir()]
    if missing:
        pytest.skip(f"public samples missing under {shared_public}: {', '.join(missing)}")
    corpora, rows = [], {}
    for name, fmt in SAMPLES.items():
        out = root / name
        done = _run("import", "--format", fmt, str(shared_public / name), "--out", str(out), "--no-progress")
        assert done.returncode == 0, done.stderr
        rows[name] = sum(pq.ParquetFile(f).metadata.num_rows for f in shard_files(out))
        corpora.append(str(out))
    report = root / "report"
    done = _run(
        "report",
        *corpora,
        "--out",
        str(report),
        "--diversity-prompts",
        "60",
        "--no-progress",
        *[arg for n in SAMPLES for arg in ("--name", n)],
    )
    assert done.returncode == 0, done.stderr
    return report, rows


@pytest.mark.slow
def test_report_covers_every_sample(sample_report: tuple[Path, dict[str, int]]) -> None:
    report, rows = sample_report
    stats: dict[str, Any] = json.loads((report / "stats.json").read_text(encoding="utf-8"))
    assert list(stats["corpora"]) == list(SAMPLES)
    for name, n in rows.items():
        corpus = stats["corpora"][name]
        assert corpus["table1"]["conversations"] == n > 0
        assert corpus["diversity"]["prompts"] > 0 or name == "wildchat-metadata"  # metadata has no text
    # What each sample does and does not carry shows through.
    wc = stats["corpora"]["wildchat-4.8m"]["table1"]
    assert wc["user_tokens_mean"] > 0 and wc["languages_any"] >= 1
    meta = stats["corpora"]["wildchat-metadata"]
    assert meta["table1"]["users"] > 0 and meta["table1"]["user_tokens_mean"] is None
    assert meta["countries"]["top"] and meta["table1"]["languages_any"] >= 1
    # The metadata carries a conversation-level toxic flag and no turns; the others carry no flag at all.
    assert meta["toxicity"]["toxic_flag"]["conversation_share"] is not None
    assert meta["table1"]["toxic_user_turn_share"] is None
    assert stats["corpora"]["sharegpt"]["toxicity"]["toxic_flag"]["conversation_share"] is None
    assert stats["corpora"]["alpaca"]["table1"]["mean_turns"] == pytest.approx(1.0)
    assert stats["corpora"]["sharegpt"]["table1"]["mean_turns"] > 1
    table = (report / "table1.md").read_text(encoding="utf-8")
    assert "| | " + " | ".join(SAMPLES) + " |" in table
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "report-samples-table1.md").write_text(table, encoding="utf-8")


def test_report_rejects_a_folder_without_shards(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = _run("report", str(tmp_path / "empty"), "--out", str(tmp_path / "out"), "--no-progress")
    assert done.returncode == 2
    assert "no Parquet shards" in done.stderr and str(tmp_path / "empty") in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_report_rejects_a_corrupt_shard(hand_corpus: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    (bad / "data").mkdir(parents=True)
    (bad / "data" / "train-00000.parquet").write_bytes(b"PAR1 this is not a parquet file PAR1")
    out = tmp_path / "out"
    done = _run(
        "report", str(hand_corpus), str(bad), "--out", str(out), "--no-progress", "--diversity-prompts", "0"
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {bad}: cannot read the shards")
    assert "Traceback" not in done.stderr
    assert not out.exists()  # the good corpus before it was not half-reported


def test_report_rejects_mismatched_names(hand_corpus: Path, tmp_path: Path) -> None:
    done = _run("report", str(hand_corpus), "--out", str(tmp_path / "out"), "--name", "a", "--name", "b")
    assert done.returncode == 2 and "2 names for 1 corpora" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.browser
@pytest.mark.slow
def test_report_in_headless_chromium(sample_report: tuple[Path, dict[str, int]]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed")
    report, _ = sample_report
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto((report / "index.html").as_uri())
            page.wait_for_load_state("load")
            images = page.locator("figure img")
            assert images.count() >= 10
            # Every inline figure decoded to a real picture.
            widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
            assert all(w > 100 for w in widths)
            assert page.locator("table.t1 thead th").count() == 1 + len(SAMPLES)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report-top.png"))
            page.screenshot(path=str(ARTIFACTS / "report-full.png"), full_page=True)
        finally:
            browser.close()
    # Self-contained: nothing but the file itself (and its data: URIs) was requested.
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
