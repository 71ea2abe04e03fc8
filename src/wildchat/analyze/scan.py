"""One pass of DuckDB over a corpus folder's Parquet shards, into two compact in-memory tables.

Every statistic of the report is an aggregate over one of two tables that this module builds:

* ``c`` — one row per conversation: model, UTC timestamp, message and user-turn counts, language,
  toxic flag, user pseudonym (hashed IP), country, state, whether each classifier ran.
* ``t`` — one row per message: conversation key, position, role, language, toxic flag, the OpenAI
  moderation categories and Detoxify labels packed as bit masks, and the text itself only for the
  turns of a fixed-size random sample of conversations (tokens and embeddings need text; nothing
  else does, so the full text never sits in memory).

Reading the shards twice (once per table) and keeping the text of a sample only is what keeps a
1M-conversation corpus inside the time and memory budget.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import duckdb

from wildchat.corpus_io import shard_files
from wildchat.records import DETOXIFY_LABELS, DETOXIFY_TOXIC_THRESHOLD, NOLANG

#: OpenAI moderation categories as the report shows them: the API's slash names. A category counts
#: as flagged when either spelling (``self-harm/intent`` or ``self_harm_intent``) is true.
OAI_CATEGORIES: Final = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
#: Bit of the OpenAI ``flagged`` field in the packed mask (after the categories).
OAI_FLAGGED_BIT: Final = len(OAI_CATEGORIES)


def underscore_alias(category: str) -> str:
    """``self-harm/intent`` -> ``self_harm_intent``: the alias later moderation API versions added."""
    return category.replace("/", "_").replace("-", "_")


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

    hashed_ip = _col(present, "hashed_ip", "VARCHAR")
    country = _col(present, "country", "VARCHAR")
    state = _col(present, "state", "VARCHAR")
    ts = _col(present, "timestamp", "TIMESTAMPTZ")
    first_user = "list_filter(conversation, lambda x: x.role = 'user')"
    con.execute(
        f"""
        CREATE TEMP TABLE c AS
        SELECT {key} AS cid,
               {sampled} AS sampled,
               {_col(present, "model", "VARCHAR")} AS model,
               coalesce({ts}, conversation[1].timestamp) AS ts,
               coalesce(len(conversation), 0) AS n_msgs,
               CASE WHEN conversation IS NULL OR len(conversation) = 0
                    THEN {_col(present, "turn", "BIGINT")} ELSE len({first_user}) END AS turns,
               {_col(present, "language", "VARCHAR")} AS language,
               {_col(present, "toxic", "BOOLEAN")} AS toxic,
               coalesce({hashed_ip}, list_filter(conversation, lambda x: x.hashed_ip IS NOT NULL)[1].hashed_ip)
                   AS hashed_ip,
               coalesce({country}, list_filter(conversation, lambda x: x.country IS NOT NULL)[1].country)
                   AS country,
               coalesce({state}, list_filter(conversation, lambda x: x.state IS NOT NULL)[1].state) AS state,
               coalesce(len({_col(present, "openai_moderation", "INTEGER[]")}), 0) > 0 AS has_oai,
               coalesce(len({_col(present, "detoxify_moderation", "INTEGER[]")}), 0) > 0 AS has_dtx
        FROM {source}
        """
    )
    oai_bits = " + ".join(
        f"(CASE WHEN coalesce(struct_extract(m.categories, '{cat}'), false)"
        f" OR coalesce(struct_extract(m.categories, '{underscore_alias(cat)}'), false)"
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
               CASE WHEN sampled THEN u.content END AS content
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
    n_sampled = int(con.execute("SELECT count(*) FROM c WHERE sampled").fetchone()[0])  # type: ignore[index]
    return Scan(con=con, conversations=total, sampled_conversations=n_sampled, shards=len(files))


#: Languages that are not languages: excluded when counting a corpus's languages.
NOT_A_LANGUAGE: Final = frozenset({NOLANG, ""})
