"""Small corpora written by hand for the report tests, and one report built from them.

``hand_corpus`` has five conversations whose Table 1 numbers the tests recompute by hand (with
whitespace word counts as tokens, so every count can be read off the text below).
``bare_corpus`` is a corpus missing most fields: no hashed IPs, geography, moderation or timestamps.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from report_corpora import bare_conversations, hand_conversations

from wildchat.analyze.report import ReportOptions, ReportResult, build_report
from wildchat.analyze.scan import ScanOptions
from wildchat.analyze.tokens import WhitespaceTokens
from wildchat.corpus_io import write_shard
from wildchat.records import conversations_to_table


@pytest.fixture(scope="session")
def hand_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hand")
    convs = hand_conversations()
    # Two shards, so the report reads a folder the way it reads a real one.
    write_shard(root, 0, conversations_to_table(convs[:3]))
    write_shard(root, 1, conversations_to_table(convs[3:]))
    return root


@pytest.fixture(scope="session")
def bare_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bare")
    write_shard(root, 0, conversations_to_table(bare_conversations()))
    return root


@pytest.fixture(scope="session")
def narrow_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shard that lacks whole columns (only id, conversation and turn): written by some other tool."""
    root = tmp_path_factory.mktemp("narrow")
    full = conversations_to_table(bare_conversations())
    table = pa.table(
        {
            "conversation_id": full["conversation_id"],
            "conversation": full["conversation"],
            "turn": full["turn"],
        }
    )
    (root / "data").mkdir()
    pq.write_table(table, root / "data" / "train-00000.parquet")
    return root


@pytest.fixture(scope="session")
def hand_report(
    hand_corpus: Path, bare_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> ReportResult:
    out = tmp_path_factory.mktemp("report") / "report"
    return build_report(
        [hand_corpus, bare_corpus],
        out,
        names=["Hand", "Bare"],
        options=ReportOptions(
            scan=ScanOptions(text_sample_conversations=100), diversity_prompts=5, show_progress=False
        ),
        tokens=WhitespaceTokens(),
    )
