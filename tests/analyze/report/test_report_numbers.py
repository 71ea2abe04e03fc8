"""The report's numbers on the hand-written corpora, against values worked out by hand here.

Tokens are whitespace words (WhitespaceTokens), so each expected count is read off the texts in
report_corpora.py; means and stds are computed below with the statistics module, not the code under test.
"""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from wildchat.analyze.report import ReportOptions, ReportResult, build_report
from wildchat.analyze.scan import ScanOptions, scan_corpus
from wildchat.analyze.tokens import WhitespaceTokens

# Words per user turn, conversation by conversation (c1: "hello there", "tell me a joke"; c2: "what is
# two plus two"; c3: "привет мир", "как дела друг", "пока"; c4: "你好"; c5: "").
USER_WORDS = [2, 4, 5, 2, 3, 1, 1, 0]
# Words per assistant turn: c1: 5, 5; c2: 1; c3: 1, 1, 2; c4: 4; c5: 3.
ASSISTANT_WORDS = [5, 5, 1, 1, 1, 2, 4, 3]


@pytest.fixture(scope="module")
def hand(hand_report: ReportResult) -> dict[str, Any]:
    stats: dict[str, Any] = hand_report.stats["corpora"]["Hand"]
    return stats


@pytest.fixture(scope="module")
def bare(hand_report: ReportResult) -> dict[str, Any]:
    stats: dict[str, Any] = hand_report.stats["corpora"]["Bare"]
    return stats


def test_table1_by_hand(hand: dict[str, Any]) -> None:
    t = hand["table1"]
    assert t["conversations"] == 5
    assert t["users"] == 3  # IP_A (c1, c2), IP_B (c3, c5), IP_C (c4)
    assert t["mean_turns"] == pytest.approx((2 + 1 + 3 + 1 + 1) / 5)
    assert t["user_tokens_mean"] == pytest.approx(18 / 8)
    assert t["user_tokens_mean"] == pytest.approx(statistics.fmean(USER_WORDS))
    assert t["user_tokens_std"] == pytest.approx(statistics.pstdev(USER_WORDS))
    assert t["user_tokens_std"] == pytest.approx((19.5 / 8) ** 0.5)  # squared deviations summed by hand
    assert t["assistant_tokens_mean"] == pytest.approx(22 / 8)
    assert t["assistant_tokens_std"] == pytest.approx(statistics.pstdev(ASSISTANT_WORDS))
    assert t["languages_any"] == 3  # English, Russian, Chinese; Nolang is not a language
    assert t["languages_at_least_100"] == 0
    assert t["toxic_user_turn_share"] == pytest.approx(1 / 8)


def test_distributions_by_hand(hand: dict[str, Any]) -> None:
    langs = {x["name"]: x["count"] for x in hand["languages"]["top"]}
    assert langs == {"English": 3, "Russian": 3, "Chinese": 1, "Nolang": 1}
    countries = {x["name"]: x["count"] for x in hand["countries"]["top"]}
    assert countries == {"United States": 2, "Russia": 2, "China": 1}
    states = {x["name"]: x["count"] for x in hand["states"]["top"]}
    assert states == {"California (United States)": 2, "Moscow (Russia)": 2}
    hours = {h["hour"]: h["count"] for h in hand["time"]["per_hour_utc"] if h["count"]}
    assert hours == {10: 1, 23: 1, 1: 2, 12: 1}
    days = {d["date"]: d["count"] for d in hand["time"]["per_day"]}
    assert days == {"2023-04-09": 2, "2023-04-10": 2, "2023-04-11": 1}
    assert hand["turns"]["share_multi_turn"] == pytest.approx(2 / 5)  # c1 and c3
    assert hand["turns"]["share_over_10"] == 0
    models = {x["name"]: x["count"] for x in hand["models"]["top"]}
    assert models == {"gpt-3.5-turbo": 3, "gpt-4": 2}
    users = hand["users"]
    assert users["mean_conversations_per_user"] == pytest.approx(5 / 3)
    assert {h["conversations"]: h["users"] for h in users["histogram"]}["2"] == 2


def test_toxicity_by_hand(hand: dict[str, Any]) -> None:
    oai = hand["toxicity"]["openai_moderation"]
    assert oai["ran"] and oai["user_turns"] == 8
    assert oai["flagged_share"] == pytest.approx(1 / 8)
    # c2 set only the underscore alias; the slash category counts it.
    assert oai["categories"]["harassment/threatening"] == pytest.approx(1 / 8)
    assert oai["categories"]["hate"] == 0
    labels = hand["toxicity"]["detoxify"]["labels"]
    assert labels["toxicity"] == pytest.approx(1 / 8) and labels["insult"] == pytest.approx(1 / 8)
    assert labels["threat"] == 0
    assert hand["toxicity"]["toxic_flag"]["conversation_share"] == pytest.approx(1 / 5)


def test_missing_fields_are_unknown_not_zero(bare: dict[str, Any]) -> None:
    t = bare["table1"]
    assert t["conversations"] == 3
    assert t["users"] is None
    assert t["toxic_user_turn_share"] is None  # no classifier ran
    assert t["languages_any"] is None  # no language labels
    assert t["user_tokens_mean"] == pytest.approx(statistics.fmean([3, 2, 1]))
    assert t["assistant_tokens_std"] == pytest.approx(statistics.pstdev([2, 4, 1]))
    assert bare["time"]["per_day"] == []
    assert bare["countries"]["top"] == []


def test_outputs_written_and_consistent(hand_report: ReportResult) -> None:
    out = hand_report.out_dir
    assert sorted(p.name for p in out.iterdir()) == ["index.html", "stats.json", "table1.md"]
    on_disk = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    assert on_disk["corpora"]["Hand"]["table1"] == hand_report.stats["corpora"]["Hand"]["table1"]
    assert on_disk["tokenizer"] == "whitespace words"
    table = (out / "table1.md").read_text(encoding="utf-8")
    assert "| | Hand | Bare |" in table
    # User tokens 2.25 ± pstdev 1.5612..., toxic 1 of 8 user turns, Bare's unknowns as dashes.
    assert "| #User tokens per turn (mean ± std) | 2.25 ± 1.56 | 2.00 ± 0.82 |" in table
    assert "| Toxic user turns | 12.50% | — |" in table
    assert "| #Users | 3 | — |" in table
    assert "| #Turns (mean per conversation) | 1.60 | 1.00 |" in table


def test_html_is_self_contained(hand_report: ReportResult) -> None:
    page = (hand_report.out_dir / "index.html").read_text(encoding="utf-8")
    assert page.count("<figure>") == page.count("<figcaption>") >= 10
    assert page.count("data:image/png;base64,") >= 10
    lowered = page.lower()
    for external in ("http://", "https://", "<script src", "<link "):
        assert external not in lowered
    assert "Hand" in page and "Bare" in page and "12.50%" in page
    # The details table: Hand has 2 of 5 conversations multi-turn, 1 of 5 toxic; Bare has no flag at all.
    details = page[page.index("<table class='details'>") :]
    details = details[: details.index("</table>")]
    assert "<th scope='row'>Multi-turn conversations</th><td>40.00%</td><td>0.00%</td>" in details
    assert "<th scope='row'>Toxic conversations</th><td>20.00%</td><td>—</td>" in details


def test_shard_missing_whole_columns(narrow_corpus: Path, tmp_path: Path) -> None:
    result = build_report(
        [narrow_corpus],
        tmp_path / "out",
        options=ReportOptions(diversity_prompts=0, show_progress=False),
        tokens=WhitespaceTokens(),
    )
    t = result.stats["corpora"][narrow_corpus.name]["table1"]
    assert t["conversations"] == 3 and t["mean_turns"] == pytest.approx(1.0)
    assert t["users"] is None and t["languages_any"] is None and t["toxic_user_turn_share"] is None
    assert t["assistant_tokens_mean"] == pytest.approx(statistics.fmean([2, 4, 1]))
    assert "| #Users | — |" in (tmp_path / "out" / "table1.md").read_text(encoding="utf-8")


def test_text_sample_is_fixed_and_partial(hand_corpus: Path, tmp_path: Path) -> None:
    def sampled() -> list[int]:
        scan = scan_corpus(hand_corpus, ScanOptions(text_sample_conversations=2, seed=3), tmp_path / "db")
        try:
            rows = scan.con.execute("SELECT cid FROM c WHERE sampled ORDER BY cid").fetchall()
            # Only sampled conversations keep text; the others' turns are counted without it.
            texts = scan.con.execute("SELECT count(content) FROM t WHERE NOT sampled").fetchone()
            assert texts == (0,)
            return [r[0] for r in rows]
        finally:
            scan.con.close()

    first = sampled()
    assert first == sampled()
    assert len(first) < 5


def test_user_fields_fall_back_to_the_first_user_turn(tmp_path: Path) -> None:
    from report_corpora import IP_A, IP_B, conv

    from wildchat.corpus_io import write_shard
    from wildchat.records import conversations_to_table

    when = datetime(2023, 5, 1, 8, 0, tzinfo=UTC)
    convs = [
        conv(f"f{i}", when, "m", "English", ip, "France", "Brittany", [("user", "x", "English", False)])
        for i, ip in enumerate([IP_A, IP_A, IP_B])
    ]
    for c in convs:  # only the turns carry the pseudonym and geography, as some exporters write them
        c.hashed_ip = c.country = c.state = None
    write_shard(tmp_path / "corpus", 0, conversations_to_table(convs))
    result = build_report(
        [tmp_path / "corpus"],
        tmp_path / "out",
        options=ReportOptions(diversity_prompts=0, show_progress=False),
        tokens=WhitespaceTokens(),
    )
    stats = result.stats["corpora"]["corpus"]
    assert stats["table1"]["users"] == 2
    assert stats["countries"]["top"] == [{"name": "France", "count": 3, "share": 1.0}]
    assert stats["states"]["top"][0]["name"] == "Brittany (France)"
