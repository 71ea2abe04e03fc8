"""Streaming readers: JSON arrays, JSON Lines, CSV and Parquet files as a stream of ``Record``s.

Every reader holds at most one buffer (about a MiB of text, or one Parquet batch) plus the record being
decoded, so inputs of any size import in bounded memory. JSON arrays are not read whole either: the
elements are decoded one at a time from a sliding window. Each record carries its file and line (or
row) so that errors can say where the problem is.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gzip
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, cast

import orjson

from wildchat.analyze.importers.base import MalformedInput, Record, Where

#: Called with the number of input bytes consumed since the last call.
Advance = Callable[[int], None]

_CHUNK = 1 << 20
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def input_kind(path: Path) -> str:
    """``parquet``, ``csv``, ``json`` (one array) or ``jsonl``: by suffix, else by the first character.

    Text containers may be gzip-compressed (``.gz``, as OpenAssistant's exports are).
    """
    gzipped = path.suffix.lower() == ".gz"
    suffix = Path(path.stem).suffix.lower() if gzipped else path.suffix.lower()
    if suffix == ".parquet":
        if gzipped:
            raise MalformedInput(
                Where(path), None, "gzip-compressed Parquet is not supported (decompress it)"
            )
        return "parquet"
    if suffix in (".csv", ".tsv"):
        return "csv"
    try:
        with _opened(path) as (fh, _raw):
            head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    except (OSError, EOFError) as exc:
        raise MalformedInput(Where(path), None, f"cannot be read: {exc}") from exc
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{") or head == b"":
        return "jsonl"
    raise MalformedInput(Where(path, line=1), None, "is not JSON, JSON Lines, CSV or Parquet")


def read_records(path: Path, advance: Advance | None = None) -> Iterator[Record]:
    """The file's records, in order, whatever its container format."""
    step: Advance = advance or (lambda n: None)
    kind = input_kind(path)
    if kind == "parquet":
        return _parquet_records(path, step)
    readers = {"csv": _csv_records, "json": _json_array_records, "jsonl": _jsonl_records}
    return _read_errors_named(path, readers[kind](path, step))


def _read_errors_named(path: Path, records: Iterator[Record]) -> Iterator[Record]:
    """A damaged gzip stream or a failing disk ends the import with a message naming the file."""
    try:
        yield from records
    except (OSError, EOFError) as exc:
        raise MalformedInput(Where(path), None, f"cannot be read: {exc}") from exc


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tuple[io.BufferedIOBase, io.BufferedIOBase]]:
    """The file's (decompressed) bytes, and the raw file whose position measures progress."""
    with open(path, "rb") as raw:
        if path.suffix.lower() == ".gz":
            with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                yield unpacked, raw
        else:
            yield raw, raw


class _Meter:
    """Reports progress as the raw file's position advances (compressed bytes for .gz files)."""

    def __init__(self, raw: io.BufferedIOBase, advance: Advance) -> None:
        self.raw = raw
        self.advance = advance
        self.done = 0

    def update(self) -> None:
        position = self.raw.tell()
        if position > self.done:
            self.advance(position - self.done)
            self.done = position


def _object(value: Any, where: Where) -> dict[str, Any]:
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else type(value).__name__
        raise MalformedInput(where, None, f"must be a JSON object, got {kind}")
    return value


def _jsonl_records(path: Path, advance: Advance) -> Iterator[Record]:
    pending = 0
    with _opened(path) as (fh, raw):
        meter = _Meter(raw, advance)
        for number, line in enumerate(fh, start=1):
            pending += len(line)
            if pending >= _CHUNK:
                meter.update()
                pending = 0
            if not line.strip():
                continue
            where = Where(path, line=number)
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise MalformedInput(where, None, f"invalid JSON: {exc.msg} at column {exc.pos + 1}") from exc
            yield Record(where, _object(value, where))
        meter.update()


class _TextWindow:
    """A sliding window over a UTF-8 file: enough text to decode the next JSON value, no more."""

    def __init__(self, path: Path, fh: io.BufferedIOBase, meter: _Meter) -> None:
        self.path = path
        self.fh = fh
        self.meter = meter
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line number of buf[counted]
        self.counted = 0

    def more(self, at_least: int = _CHUNK) -> bool:
        """Append at least ``at_least`` bytes' worth of text; False at the end of the file."""
        if self.eof:
            return False
        data = self.fh.read(max(at_least, _CHUNK))
        self.meter.update()
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise MalformedInput(Where(self.path, line=self.line_at(len(self.buf))), None, f"{exc}") from exc
        if not data:
            self.eof = True
        if self.pos > _CHUNK:  # drop what is decoded already, keeping line numbers right
            self.line_at(self.pos)
            self.buf = self.buf[self.pos :]
            self.counted -= self.pos
            self.pos = 0
        self.buf += text
        return bool(data) or bool(text)

    def line_at(self, index: int) -> int:
        """Line number of ``buf[index]`` (index never goes backwards between calls)."""
        if index > self.counted:
            self.line += self.buf.count("\n", self.counted, index)
            self.counted = index
        return self.line

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end), leaving ``pos`` on it."""
        while True:
            self.pos = _WHITESPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""


def _json_array_records(path: Path, advance: Advance) -> Iterator[Record]:
    decoder = json.JSONDecoder()
    with _opened(path) as (fh, raw):
        window = _TextWindow(path, fh, _Meter(raw, advance))
        if window.peek() != "[":
            raise MalformedInput(Where(path, line=1), None, "invalid JSON: the file must be one JSON array")
        window.pos += 1
        index = 0
        if window.peek() == "]":
            return
        while True:
            window.peek()
            start = window.pos
            where = Where(path, line=window.line_at(start), row=index + 1)
            while True:
                try:
                    value, end = decoder.raw_decode(window.buf, start)
                    break
                except json.JSONDecodeError as exc:
                    # A failure at the window's end (or in an open string) may only mean that the
                    # element runs past the window: read more and try again. Anything else is bad JSON.
                    cut_short = exc.pos >= len(window.buf) - 8 or exc.msg.startswith("Unterminated string")
                    if cut_short and window.more(at_least=len(window.buf) - start):
                        start = window.pos
                        continue
                    line = window.line_at(exc.pos)
                    where = Where(path, line=line, row=index + 1)
                    raise MalformedInput(where, None, f"invalid JSON: {exc.msg}") from exc
            window.pos = end
            index += 1
            yield Record(where, _object(value, where))
            separator = window.peek()
            if separator == "]":
                return
            if separator != ",":
                line = window.line_at(window.pos)
                found = repr(separator) if separator else "the end of the file"
                raise MalformedInput(
                    Where(path, line=line, row=index),
                    None,
                    f"invalid JSON: expected ',' or ']', found {found}",
                )
            window.pos += 1


def _csv_records(path: Path, advance: Advance) -> Iterator[Record]:
    csv.field_size_limit(2**31 - 1)  # conversation text can exceed the 128 KiB default
    tab = (
        Path(path.stem).suffix.lower() == ".tsv"
        if path.suffix.lower() == ".gz"
        else path.suffix.lower() == ".tsv"
    )
    with _opened(path) as (fh, raw):
        meter = _Meter(raw, advance)
        text = io.TextIOWrapper(cast("IO[bytes]", fh), encoding="utf-8-sig", newline="")
        reader = csv.reader(text, dialect="excel-tab" if tab else "excel")
        try:
            header = next(reader, None)
            if header is None:
                return
            start = reader.line_num + 1
            rows = 0
            for values in reader:
                where = Where(path, line=start)
                start = reader.line_num + 1
                if not values:
                    continue
                if len(values) != len(header):
                    raise MalformedInput(
                        where, None, f"has {len(values)} columns, the header has {len(header)}"
                    )
                rows += 1
                if rows % 1024 == 0:  # now and then: a syscall per row would show
                    meter.update()
                yield Record(where, dict(zip(header, values, strict=True)))
        except csv.Error as exc:
            raise MalformedInput(Where(path, line=reader.line_num), None, f"invalid CSV: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise MalformedInput(Where(path, line=reader.line_num), None, f"{exc}") from exc
        meter.update()


def _parquet_records(path: Path, advance: Advance) -> Iterator[Record]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise MalformedInput(Where(path), None, f"is not a readable Parquet file: {exc}") from exc
    total_rows = max(parquet.metadata.num_rows, 1)
    size = path.stat().st_size
    row = 0
    done = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for data in batch.to_pylist():
            row += 1
            yield Record(Where(path, row=row), data)
        position = size * row // total_rows
        advance(position - done)
        done = position
