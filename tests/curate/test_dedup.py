"""Exact and near-duplicate detection over user turns (curate/dedup.py), through the real DuckDB pass."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from wildchat.curate.dedup import (
    DedupIndex,
    DedupParams,
    DedupResult,
    Duplicate,
    SignatureBatch,
    normalize,
    signatures,
)

STORY = (
    "Write a short story about a lighthouse keeper who finds a message in a bottle. The message is written "
    "in an old dialect and speaks of a ship that sank a hundred years ago near the rocks below the light. "
    "The keeper decides to search the logbooks of the lighthouse for the name of the ship and its crew."
)
RECIPE = (
    "Give me a recipe for a vegetarian lasagna with spinach, ricotta and mushrooms that can be prepared the "
    "evening before and baked the next day. Please list the quantities for eight people and the oven time."
)
CHINESE = (
    "请帮我写一篇关于春节的作文，字数在八百字左右。文章要描写家人团聚、贴春联、包饺子和放鞭炮的场景，"
    "并表达对传统文化的热爱和对新一年的美好祝愿。语言要生动，结构要清晰。"
)
# Boilerplate shared by prompts that are NOT duplicates: the template is ~40% of each prompt.
TEMPLATE = "You are a helpful assistant. Answer in English, be concise and cite your sources. Question: "
QUESTIONS = [
    "What caused the fall of the Western Roman Empire and how long did the decline take in total?",
    "How does photosynthesis turn sunlight, water and carbon dioxide into sugar inside plant leaves?",
    "Why do cats purr, and is purring always a sign that the animal is happy and relaxed at home?",
    "Which programming languages are best suited for writing fast numerical simulations on clusters?",
]


def _resolve(
    docs: Sequence[Sequence[str]], tmp_path: Path, order: Sequence[int] | None = None
) -> DedupResult:
    ids = [f"c{i:03d}" for i in range(len(docs))]
    idx = DedupIndex(workdir=tmp_path / "dedup")
    idx.add(ids, list(order) if order is not None else list(range(len(docs))), signatures(docs))
    return idx.resolve()


def test_normalize_folds_case_width_and_spacing() -> None:
    assert normalize("  Hello\t\nＷＯＲＬＤ  ") == "hello world"


def test_exact_duplicates_differ_only_in_case_and_spacing(tmp_path: Path) -> None:
    docs = [[STORY], [RECIPE], ["  " + STORY.upper().replace(" ", "  ")], [STORY]]
    res = _resolve(docs, tmp_path)
    found = res.lookup(["c000", "c001", "c002", "c003"])
    assert found[0] is None and found[1] is None
    assert found[2] is not None and found[2].kind == "exact" and found[2].duplicate_of == "c000"
    assert found[3] is not None and found[3].kind == "exact" and found[3].duplicate_of == "c000"
    assert res.counts() == {
        "documents": 4,
        "exact_duplicates": 2,
        "near_duplicates": 0,
        "clusters": 1,
        "kept": 2,
    }


def test_turn_boundaries_matter_for_exact_keys() -> None:
    a, b = signatures([["ab", "c"], ["a", "bc"]]).exact
    assert (a != b).any()


def test_near_duplicates_with_small_edits_are_found(tmp_path: Path) -> None:
    edited = STORY.replace("lighthouse keeper", "lighthouse warden").replace("hundred", "thousand")
    chinese_edit = CHINESE.replace("八百", "一千")
    docs = [[STORY], [RECIPE], [CHINESE], [edited], [chinese_edit + "谢谢！"]]
    res = _resolve(docs, tmp_path)
    found = res.lookup([f"c{i:03d}" for i in range(5)])
    assert found[:3] == [None, None, None]
    assert found[3] is not None and (found[3].kind, found[3].duplicate_of) == ("near", "c000")
    assert found[4] is not None and (found[4].kind, found[4].duplicate_of) == ("near", "c002")
    assert res.near_duplicates == 2 and res.exact_duplicates == 0


def test_multi_turn_conversations_compare_all_user_turns(tmp_path: Path) -> None:
    # Same first prompt, different follow-ups that make up most of the text: not duplicates.
    follow_a = "Now rewrite it as a poem with four stanzas, each of them rhyming, and give it a title. " * 3
    follow_b = "Translate the story into German and explain the five hardest words you had to choose. " * 3
    res = _resolve([[STORY[:120], follow_a], [STORY[:120], follow_b]], tmp_path)
    assert res.duplicates == 0


def test_prompts_sharing_boilerplate_survive(tmp_path: Path) -> None:
    res = _resolve([[TEMPLATE + q] for q in QUESTIONS], tmp_path)
    assert res.duplicates == 0
    assert res.lookup([f"c{i:03d}" for i in range(len(QUESTIONS))]) == [None] * len(QUESTIONS)


def test_cluster_keeps_the_earliest_whatever_the_arrival_order(tmp_path: Path) -> None:
    edited = STORY.replace("bottle", "jar")
    docs = [[edited], [STORY], [STORY.lower()]]
    # c001 is the earliest by order key although it arrives second.
    res = _resolve(docs, tmp_path, order=[30, 10, 20])
    found = res.lookup(["c000", "c001", "c002"])
    assert found[1] is None
    assert found[0] is not None and (found[0].kind, found[0].duplicate_of) == ("near", "c001")
    assert found[2] is not None and (found[2].kind, found[2].duplicate_of) == ("exact", "c001")
    assert res.clusters == 1


def test_flag_keeps_everything_and_drop_removes_duplicates(tmp_path: Path) -> None:
    res = _resolve([[STORY], [STORY], [RECIPE]], tmp_path)
    ids = ["c000", "c001", "c002"]
    assert res.keep_mask(ids, "flag") == [True, True, True]
    assert res.keep_mask(ids, "off") == [True, True, True]
    assert res.keep_mask(ids, "drop") == [True, False, True]
    assert list(res.iter_duplicates()) == [("c001", res.lookup(["c001"])[0])]


def test_empty_conversations_are_exact_duplicates_only(tmp_path: Path) -> None:
    res = _resolve([[""], ["   "], [], [STORY]], tmp_path)
    found = res.lookup(["c000", "c001", "c002", "c003"])
    assert found[0] is None and found[3] is None
    assert found[1] is not None and found[1].kind == "exact"
    assert found[2] is not None and found[2].kind == "exact"
    # Nothing with text is a near-duplicate of an empty conversation.
    assert res.near_duplicates == 0


def test_many_runs_on_disk_give_the_same_result_as_one(tmp_path: Path) -> None:
    rng = random.Random(7)
    words = (STORY + " " + RECIPE).split()
    docs = [[" ".join(rng.choice(words) for _ in range(60))] for _ in range(300)]
    for i in range(0, 300, 10):  # plant a one-word edit of every tenth document
        edit = docs[i][0].split()
        edit[30] = "zeppelin"
        docs.append([" ".join(edit)])
    ids = [f"d{i:04d}" for i in range(len(docs))]
    results = []
    for flush_rows, step in ((10_000, len(docs)), (25, 7)):
        with DedupIndex(workdir=tmp_path / f"runs{flush_rows}", flush_rows=flush_rows) as idx:
            for s in range(0, len(docs), step):
                idx.add(
                    ids[s : s + step],
                    list(range(s, min(s + step, len(docs)))),
                    signatures(docs[s : s + step]),
                )
            res = idx.resolve()
            results.append((res.counts(), list(res.iter_duplicates())))
    assert results[0] == results[1]
    assert results[0][0]["near_duplicates"] == 30


def test_mismatched_lengths_are_rejected(tmp_path: Path) -> None:
    with DedupIndex(workdir=tmp_path / "d") as idx, pytest.raises(ValueError, match="differ in length"):
        idx.add(["a"], [1, 2], signatures([["x"]]))


def test_params_threshold_and_validation() -> None:
    assert 0.7 < DedupParams().threshold < 0.85
    with pytest.raises(ValueError):
        DedupParams(num_perm=100, bands=12)


def test_signature_batches_round_trip_through_arrow() -> None:
    sigs = signatures([[STORY], [""], [CHINESE, RECIPE]])
    back = SignatureBatch.from_arrow(sigs.to_arrow())
    assert (back.exact == sigs.exact).all() and (back.bands == sigs.bands).all()
    assert (back.has_text == sigs.has_text).all()
    assert back.minhash is not None and sigs.minhash is not None and (back.minhash == sigs.minhash).all()


def test_band_collisions_are_verified_against_the_minhash(tmp_path: Path) -> None:
    # A pair at Jaccard ~0.6 collides in some band now and then; verification (estimate >= 0.7) rejects
    # it, while keys without a MinHash keep every collision. Forcing a collision: identical band keys.
    sigs = signatures([[STORY], [RECIPE]])
    sigs.bands[1] = sigs.bands[0]
    ids = ["a", "b"]
    with DedupIndex(workdir=tmp_path / "v") as idx:
        idx.add(ids, [1, 2], sigs)
        assert idx.resolve().duplicates == 0
    sigs.minhash = None
    with DedupIndex(workdir=tmp_path / "u") as idx:
        idx.add(ids, [1, 2], sigs)
        assert idx.resolve().lookup(ids) == [None, Duplicate(kind="near", duplicate_of="a")]


def test_an_empty_index_resolves_to_nothing(tmp_path: Path) -> None:
    with DedupIndex(workdir=tmp_path / "e") as idx:
        res = idx.resolve()
        assert res.counts() == {
            "documents": 0,
            "exact_duplicates": 0,
            "near_duplicates": 0,
            "clusters": 0,
            "kept": 0,
        }
        assert res.lookup(["x"]) == [None] and list(res.iter_duplicates()) == []


def test_a_rerun_in_the_same_workdir_starts_clean(tmp_path: Path) -> None:
    for _ in range(2):
        with DedupIndex(workdir=tmp_path / "same") as idx:
            idx.add(["a", "b"], [1, 2], signatures([[STORY], [STORY]]))
            assert idx.resolve().counts()["documents"] == 2


def test_real_wildchat_prompts(shared_public: Path, tmp_path: Path) -> None:
    """On real WildChat prompts: exact duplicates match a plain set count; near ones are really close."""
    import json

    rows = [
        json.loads(line) for line in (shared_public / "wildchat-4.8m" / "wildchat_clean_head.jsonl").open()
    ]
    prompts = [r["prompt"] or "" for r in rows]
    seen: set[str] = set()
    expected_exact = 0
    for p in prompts:
        expected_exact += normalize(p) in seen
        seen.add(normalize(p))
    assert expected_exact > 10  # the sample repeats prompts, as WildChat does

    res = _resolve([[p] for p in prompts], tmp_path)
    assert res.exact_duplicates == expected_exact

    def shingles(text: str) -> set[str]:
        t = normalize(text)
        return {t[i : i + 5] for i in range(max(len(t) - 4, 1))}

    ids = [f"c{i:03d}" for i in range(len(prompts))]
    near = [(i, d) for i, d in enumerate(res.lookup(ids)) if d is not None and d.kind == "near"]
    for i, dup in near:
        a, b = shingles(prompts[i]), shingles(prompts[ids.index(dup.duplicate_of)])
        assert len(a & b) / len(a | b) > 0.5, (prompts[i][:80], dup)
