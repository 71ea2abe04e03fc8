"""What every importer shares: where a record came from, the error for bad input, the importer contract.

An importer turns the records of one public corpus (dicts, as a reader decoded them from JSON, JSONL,
CSV or Parquet) into corpus rows: dicts in ``records.CORPUS_SCHEMA``. It never opens files itself, so
the same importer serves every container format, and the driver (``run.py``) owns sharding, progress,
the manifest and the all-or-nothing output folder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Where:
    """Where a record starts in its input file: ``line`` for text formats, ``row`` for records.

    JSON arrays have both (the element's line and its index), Parquet only ``row``.
    """

    file: Path
    line: int | None = None
    row: int | None = None

    def __str__(self) -> str:
        if self.line is not None and self.row is not None:
            return f"{self.file}:{self.line} (element {self.row})"
        if self.line is not None:
            return f"{self.file}:{self.line}"
        if self.row is not None:
            return f"{self.file}: row {self.row}"
        return str(self.file)


class ImportFailed(Exception):
    """The import could not finish; the message says why. Nothing was written."""


class MalformedInput(ImportFailed):
    """Input that cannot be converted: names the file, the line (or row) and the field at fault."""

    def __init__(self, where: Where, field: str | None, problem: str) -> None:
        super().__init__(where, field, problem)
        self.where = where
        self.field = field
        self.problem = problem

    def __str__(self) -> str:
        if self.field is None:
            return f"{self.where}: {self.problem}"
        return f"{self.where}: field '{self.field}': {self.problem}"


@dataclass(frozen=True, slots=True)
class Record:
    """One decoded input record and where it came from."""

    where: Where
    data: dict[str, Any]


@dataclass(frozen=True)
class SourceInfo:
    """What the dataset card says about the public corpus an importer reads."""

    pretty_name: str
    homepage: str
    license: str  # Hugging Face licence id of the upstream release, e.g. "odc-by"
    license_note: str
    citation: str
    notes: tuple[str, ...] = ()


@dataclass
class ImportOptions:
    """Choices that change how records become conversations (recorded in the manifest)."""

    #: OpenAssistant trees: "all" = one conversation per root-to-leaf path, "best" = the best-ranked path.
    oasst_paths: str = "all"
    #: Skip (and count) records with a missing or mistyped field instead of stopping. Text that is not
    #: JSON/CSV/Parquet at all still stops the import: past a syntax error nothing can be trusted.
    skip_malformed: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"oasst_paths": self.oasst_paths, "skip_malformed": self.skip_malformed}


@dataclass
class ImportStats:
    """Counts the manifest and the card report; importers add to them as they go."""

    records_in: int = 0
    conversations_out: int = 0
    turns_out: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    #: The first place each skip reason happened, so a reader of the manifest can look at one.
    skipped_first: dict[str, str] = field(default_factory=dict)
    #: Format-specific counts (e.g. OpenAssistant messages read, by role).
    extra: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str, where: Where, count: int = 1) -> None:
        self.skipped[reason] += count
        self.skipped_first.setdefault(reason, str(where))

    def skip_malformed(self, error: MalformedInput, options: ImportOptions) -> None:
        """Count a malformed record as skipped when the options allow it; re-raise it otherwise."""
        if not options.skip_malformed:
            raise error
        reason = "malformed record" if error.field is None else f"malformed record (field '{error.field}')"
        self.skipped[reason] += 1
        self.skipped_first.setdefault(reason, str(error))  # the whole message: where and what


class Importer(Protocol):
    """One public corpus format."""

    name: str
    source: SourceInfo
    #: What a row of the source is, for counts in the manifest ("conversations", "rows", "trees").
    record_noun: str

    def convert(
        self, records: Iterator[Record], stats: ImportStats, options: ImportOptions
    ) -> Iterator[dict[str, Any]]:
        """Yield CORPUS_SCHEMA row dicts; raise MalformedInput on bad input."""
        ...


class RecordImporter:
    """Base for formats where each record converts on its own (all but OpenAssistant's flat table)."""

    name: str = ""
    record_noun: str = "rows"
    source: SourceInfo

    def convert(
        self, records: Iterator[Record], stats: ImportStats, options: ImportOptions
    ) -> Iterator[dict[str, Any]]:
        for record in records:
            stats.records_in += 1
            try:
                rows = list(self.convert_one(record, stats, options))
            except MalformedInput as error:
                stats.skip_malformed(error, options)
                continue
            yield from rows

    def convert_one(
        self, record: Record, stats: ImportStats, options: ImportOptions
    ) -> Iterable[dict[str, Any]]:
        raise NotImplementedError
