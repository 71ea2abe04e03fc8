"""One pass of DuckDB over a corpus folder's Parquet shards, into two compact in-memory tables.

Every statistic of the report is an aggregate over one of two tables that this module builds:

* ``c`` — one row per conversation: model, UTC timestamp, message and user-turn counts, language,
  toxic flag, user pseudonym (hashed IP), country, state, whether each classifier ran.
* ``t`` — one row per message: conversation key, position, role, language, toxic flag, the OpenAI
  moderation categories and Detoxify labels packed as bit masks, and the text itself only for the
  turns of a fixed-size random sample of conversations (tokens and embeddings need text; nothing
  else does, so the full text never sits in memory).

Message text is decompressed once (the ``t`` pass; ``c`` reads top-level scalar columns only), and only
a sample keeps it: that is what keeps a 1M-conversation corpus inside the time and memory budget.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

from wildchat.corpus_io import shard_files
from wildchat.records import (
    DETOXIFY_LABELS,
    DETOXIFY_TOXIC_THRESHOLD,
    MODERATION_ALIASES,
    MODERATION_API_CATEGORIES,
    NOLANG,
)

#: OpenAI moderation categories as the report shows them: the API's slash names. A category counts
#: as flagged when either spelling (``self-harm/intent`` or ``self_harm_intent``) is true.
OAI_CATEGORIES: Final = MODERATION_API_CATEGORIES
#: Bit of the OpenAI ``flagged`` field in the packed mask (after the categories).
OAI_FLAGGED_BIT: Final = len(OAI_CATEGORIES)


class CorpusError(ValueError):
    """A corpus folder that cannot be reported on (no shards, unreadable shards)."""


@dataclass(frozen=True)
class ScanOptions:
    #: Conversations whose turns keep their text (token counts, prompt embeddings), chosen at random.
    text_sample_conversations: int = 5_000
    #: Seed of that random choice: the same corpus always gives the same sample.
    seed: int = 20231101
    #: DuckDB's memory cap; it spills to ``temp_directory`` past it.
    memory_limit: str = "1500MB"
    threads: int = 2


@dataclass(frozen=True)
class Scan:
    """The two tables of one corpus, in ``con`` (tables ``c`` and ``t``)."""

    con: duckdb.DuckDBPyConnection
    conversations: int
    sampled_conversations: int
    shards: int


def _columns(con: duckdb.DuckDBPyConnection, source: str) -> set[str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    return {str(r[0]) for r in rows}


def _col(present: set[str], name: str, sql_type: str) -> str:
    """A column if the shards have it, else a typed NULL (a corpus missing fields still reports)."""
    return f'"{name}"' if name in present else f"CAST(NULL AS {sql_type})"


def _sql_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def scan_corpus(corpus_dir: Path, options: ScanOptions, temp_dir: Path) -> Scan:
    """Build tables ``c`` and ``t`` for ``corpus_dir`` in a fresh in-memory DuckDB."""
    try:
        return _scan_corpus(corpus_dir, options, temp_dir)
    except duckdb.Error as exc:  # unreadable or corrupt shards: a clear error, not a traceback
        raise CorpusError(f"{corpus_dir}: cannot read the shards: {exc}") from exc


def _scan_corpus(corpus_dir: Path, options: ScanOptions, temp_dir: Path) -> Scan:
    files = shard_files(corpus_dir)
    if not files:
        raise CorpusError(f"{corpus_dir}: no Parquet shards under data/ (expected data/train-*.parquet)")
    temp_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "threads": options.threads,
            "memory_limit": options.memory_limit,
            "temp_directory": str(temp_dir),
            "preserve_insertion_order": False,
        }
    )
    with contextlib.suppress(duckdb.Error):  # without ICU, TIMESTAMPTZ already behaves as UTC
        con.execute("SET TimeZone = 'UTC'")
    source = (
        f"read_parquet({_sql_list(files)}, filename = true, file_row_number = true, union_by_name = true)"
    )
    try:
        present = _columns(con, source)
        total = int(con.execute(f"SELECT count(*) FROM {source}").fetchone()[0])  # type: ignore[index]
    except duckdb.Error as exc:
        raise CorpusError(f"{corpus_dir}: cannot read the shards: {exc}") from exc
    if "conversation" not in present:
        raise CorpusError(f"{corpus_dir}: the shards have no 'conversation' column (not a corpus folder?)")

    # A pseudo-random key per conversation that depends on the seed only, not on thread scheduling.
    key = f"hash(filename, file_row_number, {int(options.seed)})"
    # Keep each conversation with probability n/total: an expected n conversations, exactly all if total <= n.
    permille = (
        1_000_000
        if total <= options.text_sample_conversations
        else (max(1, round(1_000_000 * options.text_sample_conversations / total)))
    )
    sampled = f"({key} % 1000000) < {permille}"

    oai_bits = " + ".join(
        f"(CASE WHEN coalesce(struct_extract(m.categories, '{cat}'), false)"
        f" OR coalesce(struct_extract(m.categories, '{MODERATION_ALIASES.get(cat, cat)}'), false)"
        f" THEN {1 << i} ELSE 0 END)"
        for i, cat in enumerate(OAI_CATEGORIES)
    )
    oai_mask = (
        f"CASE WHEN m IS NULL THEN NULL ELSE {oai_bits}"
        f" + (CASE WHEN coalesce(m.flagged, false) THEN {1 << OAI_FLAGGED_BIT} ELSE 0 END) END"
    )
    dtx_mask = (
        "CASE WHEN d IS NULL THEN NULL ELSE "
        + " + ".join(
            f"(CASE WHEN coalesce(d.{label}, 0) > {DETOXIFY_TOXIC_THRESHOLD} THEN {1 << i} ELSE 0 END)"
            for i, label in enumerate(DETOXIFY_LABELS)
        )
        + " END"
    )
    has_oai = "openai_moderation" in present
    has_dtx = "detoxify_moderation" in present
    con.execute(
        f"""
        CREATE TEMP TABLE t AS
        SELECT cid, sampled, idx, u.role AS role, u.language AS language, u.toxic AS toxic,
               {oai_mask if has_oai else "CAST(NULL AS INTEGER)"} AS oai,
               {dtx_mask if has_dtx else "CAST(NULL AS INTEGER)"} AS dtx,
               CASE WHEN sampled THEN u.content END AS content,
               -- Per-user fields of the opening turns only: the fallback for conversation columns.
               CASE WHEN idx <= 2 AND u.role = 'user' THEN u.hashed_ip END AS first_ip,
               CASE WHEN idx <= 2 AND u.role = 'user' THEN u.country END AS first_country,
               CASE WHEN idx <= 2 AND u.role = 'user' THEN u.state END AS first_state,
               CASE WHEN idx = 1 THEN u.timestamp END AS first_ts
        FROM (
            SELECT {key} AS cid, {sampled} AS sampled,
                   unnest(conversation) AS u,
                   generate_subscripts(conversation, 1) AS idx
                   {", unnest(openai_moderation) AS m" if has_oai else ""}
                   {", unnest(detoxify_moderation) AS d" if has_dtx else ""}
            FROM {source}
        )
        WHERE u IS NOT NULL
        """
    )
    # Conversation rows read only top-level scalar columns (cheap); what a corpus keeps only inside its
    # messages (timestamp, hashed IP, geography of the first user turn) comes from ``t``.
    con.execute(
        f"""
        CREATE TEMP TABLE c AS
        WITH agg AS (
            SELECT cid, count(*) AS n_msgs, count(*) FILTER (WHERE role = 'user') AS n_user,
                   bool_or(oai IS NOT NULL) AS has_oai, bool_or(dtx IS NOT NULL) AS has_dtx,
                   arg_min(first_ip, idx) FILTER (WHERE first_ip IS NOT NULL) AS first_ip,
                   arg_min(first_country, idx) FILTER (WHERE first_country IS NOT NULL) AS first_country,
                   arg_min(first_state, idx) FILTER (WHERE first_state IS NOT NULL) AS first_state,
                   min(first_ts) AS first_ts
            FROM t GROUP BY cid
        )
        SELECT s.cid, s.sampled, s.model,
               coalesce(s.ts, a.first_ts) AS ts,
               coalesce(a.n_msgs, 0) AS n_msgs,
               CASE WHEN coalesce(a.n_msgs, 0) = 0 THEN s.turn ELSE a.n_user END AS turns,
               s.language, s.toxic,
               coalesce(s.hashed_ip, a.first_ip) AS hashed_ip,
               coalesce(s.country, a.first_country) AS country,
               coalesce(s.state, a.first_state) AS state,
               coalesce(a.has_oai, false) AS has_oai,
               coalesce(a.has_dtx, false) AS has_dtx
        FROM (
            SELECT {key} AS cid, {sampled} AS sampled,
                   {_col(present, "model", "VARCHAR")} AS model,
                   {_col(present, "timestamp", "TIMESTAMPTZ")} AS ts,
                   {_col(present, "turn", "BIGINT")} AS turn,
                   {_col(present, "language", "VARCHAR")} AS language,
                   {_col(present, "toxic", "BOOLEAN")} AS toxic,
                   {_col(present, "hashed_ip", "VARCHAR")} AS hashed_ip,
                   {_col(present, "country", "VARCHAR")} AS country,
                   {_col(present, "state", "VARCHAR")} AS state
            FROM {source}
        ) s
        LEFT JOIN agg a USING (cid)
        """
    )
    n_sampled = int(con.execute("SELECT count(*) FROM c WHERE sampled").fetchone()[0])  # type: ignore[index]
    return Scan(con=con, conversations=total, sampled_conversations=n_sampled, shards=len(files))


#: Languages that are not languages: excluded when counting a corpus's languages.
NOT_A_LANGUAGE: Final = frozenset({NOLANG, ""})
