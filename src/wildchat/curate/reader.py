"""Reading export files (Parquet or JSONL in ``records.CALL_SCHEMA``) in batches, checking every record.

A malformed record is counted and reported with its file, its position (Parquet: 0-based row; JSONL:
1-based line) and the field at fault, and is left out; in strict mode the first one stops the build
with that message. A file that is not an export at all (unreadable, a required column missing) is
always an error. Parquet batches are checked with vectorised Arrow kernels, so checking costs little.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from wildchat.records import CALL_SCHEMA, CallStatus

#: Parquet metadata key naming the store an export came from (to read its tombstones).
STORE_METADATA_KEY = b"wildchat.store"
REQUIRED = ("call_id", "consent_id", "received_at", "completed_at", "model", "messages", "stream", "status")
ROLES = frozenset({"system", "user", "assistant", "tool", "developer", "function"})
BATCH_ROWS = 8192
MAX_EXAMPLES = 100


class InputError(Exception):
    """The input cannot be read (or, in strict mode, holds a malformed record). The message says where."""


@dataclass(slots=True)
class Problem:
    file: str
    position: str  # "row 17" (Parquet) or "line 18" (JSONL)
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.position}: field {self.field!r}: {self.problem}"


@dataclass(slots=True)
class ReadReport:
    """What reading found: rows read, rows kept, and the malformed ones (the first few in full)."""

    rows_read: int = 0
    rows_kept: int = 0
    malformed: int = 0
    examples: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem, strict: bool) -> None:
        if strict:
            raise InputError(f"malformed record: {problem}")
        self.malformed += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(problem)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "malformed": self.malformed,
            "malformed_examples": [str(p) for p in self.examples],
        }


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def count_rows(path: Path) -> int:
    """Rows (Parquet) or lines (JSONL) in an export, cheaply."""
    if is_parquet(path):
        return int(_open_parquet(path).metadata.num_rows)
    n = 0
    with open(path, "rb") as fh:
        for _ in fh:
            n += 1
    return n


def store_url_of(path: Path) -> str | None:
    """The store an export file names in its metadata (Parquet only), or None."""
    if not is_parquet(path):
        return None
    meta = _open_parquet(path).schema_arrow.metadata or {}
    value = meta.get(STORE_METADATA_KEY)
    return value.decode() if value else None


def iter_call_tables(path: Path, report: ReadReport, strict: bool = False) -> Iterator[pa.Table]:
    """The export's valid records as CALL_SCHEMA tables of up to BATCH_ROWS rows."""
    if is_parquet(path):
        yield from _iter_parquet(path, report, strict)
    else:
        yield from _iter_jsonl(path, report, strict)


# -------------------------------------------------------------------------------------------- Parquet


def _open_parquet(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from exc


def _iter_parquet(path: Path, report: ReadReport, strict: bool) -> Iterator[pa.Table]:
    pf = _open_parquet(path)
    names = set(pf.schema_arrow.names)
    missing = [f.name for f in CALL_SCHEMA if f.name not in names]
    if missing:
        raise InputError(f"{path}: not a call export: missing column(s) {', '.join(missing)}")
    offset = 0
    for batch in _batches(path, pf):
        table = pa.Table.from_batches([batch])
        try:
            table = table.cast(CALL_SCHEMA)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise InputError(
                f"{path}: rows {offset}-{offset + len(table) - 1}: wrong column type ({exc})"
            ) from exc
        report.rows_read += len(table)
        bad = _check_table(table)
        for row, (name, problem) in sorted(bad.items()):
            report.add(Problem(str(path), f"row {offset + row}", name, problem), strict)
        if bad:
            keep = [i for i in range(len(table)) if i not in bad]
            table = table.take(pa.array(keep, type=pa.int64()))
        report.rows_kept += len(table)
        offset += batch.num_rows
        if len(table):
            yield table


def _batches(path: Path, pf: pq.ParquetFile) -> Iterator[pa.RecordBatch]:
    """The file's record batches; a corrupt page is an error naming the file and the rows reached."""
    batches = pf.iter_batches(batch_size=BATCH_ROWS, columns=CALL_SCHEMA.names)
    rows = 0
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, pa.ArrowException) as exc:
            raise InputError(f"{path}: unreadable after row {rows} ({exc})") from exc
        rows += batch.num_rows
        yield batch


def _check_table(table: pa.Table) -> dict[int, tuple[str, str]]:
    """Row index -> (field, problem) for the table's malformed rows (first problem per row)."""
    bad: dict[int, tuple[str, str]] = {}

    def flag(mask: pa.Array | pa.ChunkedArray, name: str, problem: str) -> None:
        for i in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
            bad.setdefault(i, (name, problem))

    for name in REQUIRED:
        flag(pc.is_null(table[name]), name, "missing (null)")
    flag(pc.invert(pc.is_in(table["status"], pa.array(sorted(CallStatus.ALL)))), "status", "unknown status")
    messages = table["messages"].combine_chunks()
    flag(pc.equal(pc.list_value_length(messages), 0), "messages", "empty list")
    parents = pc.list_parent_indices(messages)
    elements = pc.list_flatten(messages)
    roles = pc.struct_field(elements, "role")
    wrong_role = pc.invert(pc.fill_null(pc.is_in(roles, pa.array(sorted(ROLES))), False))
    for element in pc.indices_nonzero(wrong_role).to_pylist():
        bad.setdefault(parents[element].as_py(), ("messages.role", "missing or unknown role"))
    for i, params in enumerate(table["params"].to_pylist()):
        if params is not None and i not in bad:
            problem = _params_problem(params)
            if problem:
                bad[i] = ("params", problem)
    return bad


def _params_problem(params: str) -> str | None:
    try:
        value = orjson.loads(params)
    except orjson.JSONDecodeError:
        return "not valid JSON"
    return None if isinstance(value, dict) else "not a JSON object"


# ---------------------------------------------------------------------------------------------- JSONL


def _iter_jsonl(path: Path, report: ReadReport, strict: bool) -> Iterator[pa.Table]:
    rows: list[dict[str, Any]] = []
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below, the generator may be abandoned
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc})") from exc
    with fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            report.rows_read += 1
            row, problem = _parse_line(line)
            if problem is not None:
                report.add(Problem(str(path), f"line {lineno}", *problem), strict)
                continue
            rows.append(row)
            if len(rows) >= BATCH_ROWS:
                report.rows_kept += len(rows)
                yield pa.Table.from_pylist(rows, schema=CALL_SCHEMA)
                rows = []
    if rows:
        report.rows_kept += len(rows)
        yield pa.Table.from_pylist(rows, schema=CALL_SCHEMA)


def _parse_line(line: bytes) -> tuple[dict[str, Any], tuple[str, str] | None]:
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {}, ("(record)", f"not valid JSON ({exc})")
    if not isinstance(obj, dict):
        return {}, ("(record)", "not a JSON object")
    for name in REQUIRED:
        if obj.get(name) is None:
            return {}, (name, "missing (null)")
    for name in ("call_id", "consent_id", "model", "status"):
        if not isinstance(obj[name], str):
            return {}, (name, "not a string")
    if obj["status"] not in CallStatus.ALL:
        return {}, ("status", "unknown status")
    if not isinstance(obj["stream"], bool):
        return {}, ("stream", "not a boolean")
    row: dict[str, Any] = {f.name: obj.get(f.name) for f in CALL_SCHEMA}
    for name in ("received_at", "completed_at"):
        try:
            row[name] = datetime.fromisoformat(obj[name])
        except (TypeError, ValueError):
            return {}, (name, "not an ISO-8601 timestamp")
    messages = obj["messages"]
    if not isinstance(messages, list) or not messages:
        return {}, ("messages", "not a non-empty list")
    clean = []
    for m in messages:
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            return {}, ("messages.role", "missing or unknown role")
        content = m.get("content")
        if content is not None and not isinstance(content, str):
            return {}, ("messages.content", "not a string")
        clean.append({"role": m["role"], "content": content, "name": m.get("name")})
    row["messages"] = clean
    params = obj.get("params")
    if isinstance(params, dict):
        row["params"] = orjson.dumps(params).decode()
    elif params is not None:
        if not isinstance(params, str):
            return {}, ("params", "not a JSON object")
        problem = _params_problem(params)
        if problem:
            return {}, ("params", problem)
    headers = obj.get("headers")
    if isinstance(headers, dict):
        row["headers"] = list(headers.items())
    elif headers is not None and not isinstance(headers, list):
        return {}, ("headers", "not an object")
    for name in ("response_text", "finish_reason", "hashed_ip", "country", "state", "error"):
        if row[name] is not None and not isinstance(row[name], str):
            return {}, (name, "not a string")
    return row, None
