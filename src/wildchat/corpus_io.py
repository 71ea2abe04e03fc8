"""Reading and writing corpus folders, for the builder and the importers alike.

A corpus folder is what Hugging Face ``datasets`` loads as is::

    DIR/data/train-00000.parquet ...   shards in CORPUS_SCHEMA
    DIR/README.md                      dataset card: YAML front matter (features, configs) + prose
    DIR/manifest.json                  inputs, parameters, versions, counts per step, drop reasons

Writes never leave a half-written folder behind: shards are written under a temporary name and
renamed into place, and ``staged_corpus_dir`` builds a whole new folder beside the target and
swaps it in only when everything succeeded.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from wildchat.records import CORPUS_SCHEMA

DATA_DIR = "data"
CARD_FILE = "README.md"
MANIFEST_FILE = "manifest.json"

DBIP_CREDIT = (
    "IP geolocation by DB-IP (https://db-ip.com), DB-IP City Lite, licensed under "
    "Creative Commons Attribution 4.0 International (CC BY 4.0)."
)


def shard_path(corpus_dir: Path, index: int) -> Path:
    return corpus_dir / DATA_DIR / f"train-{index:05d}.parquet"


def shard_files(corpus_dir: Path) -> list[Path]:
    """The folder's finished Parquet shards, in order."""
    return sorted((corpus_dir / DATA_DIR).glob("train-*.parquet"))


def write_shard(corpus_dir: Path, index: int, table: pa.Table) -> Path:
    """Write one shard atomically (temporary file, fsync, rename) in CORPUS_SCHEMA."""
    if not table.schema.equals(CORPUS_SCHEMA):
        table = table.cast(CORPUS_SCHEMA)
    path = shard_path(corpus_dir, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


def read_corpus(corpus_dir: Path, columns: Sequence[str] | None = None) -> pa.Table:
    """Load a corpus folder's shards as one table (for tests and small corpora)."""
    files = shard_files(corpus_dir)
    if not files:
        return CORPUS_SCHEMA.empty_table() if columns is None else CORPUS_SCHEMA.empty_table().select(columns)
    return pa.concat_tables(pq.read_table(f, columns=list(columns) if columns else None) for f in files)


def read_manifest(corpus_dir: Path) -> dict[str, Any]:
    with open(corpus_dir / MANIFEST_FILE, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def write_manifest(corpus_dir: Path, manifest: Mapping[str, Any]) -> Path:
    path = corpus_dir / MANIFEST_FILE
    _write_text_atomic(path, json.dumps(manifest, indent=2, sort_keys=False, default=str) + "\n")
    return path


def package_versions(*names: str) -> dict[str, str]:
    """Installed versions of the named distributions (and Python), for manifests."""
    versions = {"python": platform.python_version()}
    for name in ("wildchat", "pyarrow", *names):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@contextlib.contextmanager
def staged_corpus_dir(out_dir: Path) -> Iterator[Path]:
    """Yield a fresh folder beside ``out_dir``; on success it replaces ``out_dir``, on error it vanishes.

    Readers of ``out_dir`` therefore see either the old corpus or the complete new one.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.staging-", dir=out_dir.parent))
    # mkdtemp makes the folder private (0700); a corpus folder is meant to be shared like any other.
    umask = os.umask(0)
    os.umask(umask)
    stage.chmod(0o777 & ~umask)
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, old)
    os.replace(stage, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------------------------------
# Dataset card
# --------------------------------------------------------------------------------------------------


@dataclass
class DatasetCard:
    """What goes into a corpus folder's README.md."""

    pretty_name: str
    summary: str
    num_rows: int
    license: str = "other"  # placeholder until the operator chooses one
    statistics: Mapping[str, Any] = field(default_factory=dict)
    classifiers: Mapping[str, str] = field(default_factory=dict)  # name -> "ran" / why not
    sources: Sequence[str] = field(default_factory=list)
    notes: Sequence[str] = field(default_factory=list)
    credit_dbip: bool = True
    #: The licence as a source states it (imported corpora); None means ours, still to be chosen.
    license_note: str | None = None


def write_card(corpus_dir: Path, card: DatasetCard) -> Path:
    path = corpus_dir / CARD_FILE
    _write_text_atomic(path, render_card(card))
    return path


def render_card(card: DatasetCard) -> str:
    size = _size_category(card.num_rows)
    lines = [
        "---",
        f"license: {card.license}",
        f"pretty_name: {json.dumps(card.pretty_name)}",
        "size_categories:",
        f"- {size}",
        "task_categories:",
        "- text-generation",
        "configs:",
        "- config_name: default",
        "  data_files:",
        "  - split: train",
        f"    path: {DATA_DIR}/train-*.parquet",
        "dataset_info:",
        "  features:",
        *("  " + line for line in features_yaml(CORPUS_SCHEMA)),
        "---",
        "",
        f"# {card.pretty_name}",
        "",
        card.summary,
        "",
        "## Statistics",
        "",
        "| statistic | value |",
        "|---|---|",
        *(f"| {k} | {_fmt(v)} |" for k, v in card.statistics.items()),
        "",
    ]
    if card.classifiers:
        lines += ["## Classifiers", "", "| classifier | status |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in card.classifiers.items()]
        lines.append("")
    if card.sources:
        lines += ["## Sources", "", *(f"- {s}" for s in card.sources), ""]
    if card.notes:
        lines += ["## Notes", "", *(f"- {n}" for n in card.notes), ""]
    if card.license_note is not None:
        lines += ["## Licence", "", f"Licence: `{card.license}`. {card.license_note}", ""]
    else:
        lines += [
            "## Licence",
            "",
            f"Licence: `{card.license}` (placeholder: the operator sets the corpus licence before publishing).",
            "",
        ]
    if card.credit_dbip:
        lines += ["## Attribution", "", DBIP_CREDIT, ""]
    return "\n".join(lines)


def features_yaml(schema: pa.Schema) -> list[str]:
    """Hugging Face ``dataset_info.features`` YAML lines for an Arrow schema."""
    out: list[str] = []
    for f in schema:
        out += _feature_yaml(f.name, f.type, indent=0)
    return out


def _feature_yaml(name: str, typ: pa.DataType, indent: int) -> list[str]:
    pad = " " * indent
    head = f"{pad}- name: {_yaml_key(name)}"
    if pa.types.is_struct(typ):
        lines = [head, f"{pad}  struct:"]
        for i in range(typ.num_fields):
            child = typ.field(i)
            lines += _feature_yaml(child.name, child.type, indent + 2)
        return lines
    if pa.types.is_list(typ) or pa.types.is_large_list(typ):
        value = typ.value_type
        if pa.types.is_struct(value):
            lines = [head, f"{pad}  list:"]
            for i in range(value.num_fields):
                child = value.field(i)
                lines += _feature_yaml(child.name, child.type, indent + 2)
            return lines
        return [head, f"{pad}  sequence: {_dtype(value)}"]
    return [head, f"{pad}  dtype: {_dtype(typ)}"]


def _dtype(typ: pa.DataType) -> str:
    if pa.types.is_timestamp(typ):
        return f"timestamp[{typ.unit}, tz={typ.tz}]" if typ.tz else f"timestamp[{typ.unit}]"
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return "string"
    return str(typ)  # bool, int64, float64 print as datasets names them


def _yaml_key(name: str) -> str:
    return json.dumps(name) if any(c in name for c in ":#{}[],&*?|<>=!%@`'\"") else name


def _size_category(n: int) -> str:
    bounds = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
    for bound, label in bounds:
        if n < bound:
            return label
    return "1M<n<10M" if n < 10_000_000 else "10M<n<100M"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat()
