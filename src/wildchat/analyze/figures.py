"""The report's figures, drawn with matplotlib (Agg) from the statistics dicts ``stats`` returns.

Every figure takes all corpora at once and draws them side by side: one panel per corpus where
their axes differ (languages, countries, days), one shared axis where comparison is the point
(hour of day, turns, lengths). A corpus without the data a figure needs gets a panel that says so,
never an exception.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from wildchat.analyze.scan import OAI_CATEGORIES
from wildchat.records import DETOXIFY_LABELS

Corpus = tuple[str, dict[str, Any]]  # (display name, statistics)
PANELS_PER_ROW = 3


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    caption: str
    png: bytes

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def colour(i: int) -> Any:
    return plt.get_cmap("tab10")(i % 10)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _no_data(ax: Axes, why: str) -> None:
    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes, fontsize=10, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def _panels(
    corpora: Sequence[Corpus],
    draw: Callable[[Axes, int, dict[str, Any]], str | None],
    height: float = 3.4,
) -> Figure:
    """One panel per corpus; ``draw`` returns None, or why it has nothing to draw."""
    n = max(1, len(corpora))
    cols = min(n, PANELS_PER_ROW)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, height * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for i, (name, stats) in enumerate(corpora):
        ax = flat[i]
        ax.set_title(name, fontsize=11)
        why = draw(ax, i, stats)
        if why is not None:
            _no_data(ax, why)
    for ax in flat[len(corpora) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _ranked_bars(key: str, what: str) -> Callable[[Axes, int, dict[str, Any]], str | None]:
    def draw(ax: Axes, i: int, stats: dict[str, Any]) -> str | None:
        top = stats[key]["top"][:10]
        if not top:
            return f"no {what} in this corpus"
        names = [_short(t["name"]) for t in top][::-1]
        shares = [100 * t["share"] for t in top][::-1]
        ax.barh(names, shares, color=colour(i))
        ax.set_xlabel("%")
        ax.tick_params(axis="y", labelsize=8)
        return None

    return draw


def _short(label: str, width: int = 24) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def languages(corpora: Sequence[Corpus]) -> Chart:
    return Chart(
        "languages",
        "Top languages",
        "Share of user turns (%) by language (turn's language, else the conversation's); top 10 per corpus.",
        _png(_panels(corpora, _ranked_bars("languages", "language labels"))),
    )


def countries(corpora: Sequence[Corpus]) -> Chart:
    return Chart(
        "countries",
        "Top countries",
        "Share of conversations (%) by the user's country (IP geolocation); top 10 per corpus.",
        _png(_panels(corpora, _ranked_bars("countries", "countries"))),
    )


def states(corpora: Sequence[Corpus]) -> Chart:
    return Chart(
        "states",
        "Top states",
        "Share of conversations (%) by the user's state or region (IP geolocation); top 10 per corpus.",
        _png(_panels(corpora, _ranked_bars("states", "states"))),
    )


def models(corpora: Sequence[Corpus]) -> Chart:
    return Chart(
        "models",
        "Model mix",
        "Share of conversations (%) by the model that answered; top 10 per corpus.",
        _png(_panels(corpora, _ranked_bars("models", "model names"))),
    )


def per_day(corpora: Sequence[Corpus]) -> Chart:
    import datetime as dt

    def draw(ax: Axes, i: int, stats: dict[str, Any]) -> str | None:
        days = stats["time"]["per_day"]
        if not days:
            return "no timestamps in this corpus"
        x: Any = [dt.date.fromisoformat(d["date"]) for d in days]
        y = [d["count"] for d in days]
        # Bars show the gaps between days honestly; a line only once there are too many days for bars.
        if len(x) <= 90:
            ax.bar(x, y, width=max(0.9, (x[-1] - x[0]).days / 150), color=colour(i))
        else:
            ax.plot(x, y, color=colour(i), linewidth=0.8)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("conversations")
        locator = mdates.AutoDateLocator(minticks=2, maxticks=6)  # type: ignore[no-untyped-call]
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
        ax.tick_params(axis="x", labelsize=8)
        return None

    return Chart(
        "per_day",
        "Conversations per day",
        "Conversations started per day (UTC date of the conversation's timestamp).",
        _png(_panels(corpora, draw)),
    )


def _shared_axes(title: str, xlabel: str, ylabel: str) -> tuple[Figure, Axes]:
    fig, ax = plt.subplots(figsize=(9, 3.8))
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig, ax


def _missing_note(ax: Axes, missing: list[str], total: int) -> None:
    """Say which corpora have no data here; an axis with no data at all says so in its middle."""
    if not missing:
        return
    if len(missing) >= total:
        _no_data(ax, "no corpus has data for this")
        return
    ax.text(
        0.99,
        0.98,
        "no data:\n" + "\n".join(missing),
        ha="right",
        va="top",
        transform=ax.transAxes,
        fontsize=7,
        color="#a00",
    )


def per_hour(corpora: Sequence[Corpus]) -> Chart:
    fig, ax = _shared_axes("Conversations by hour of day (UTC)", "hour of day (UTC)", "% of conversations")
    missing = []
    for i, (name, stats) in enumerate(corpora):
        if not stats["time"]["conversations_with_timestamp"]:
            missing.append(name)
            continue
        hours = stats["time"]["per_hour_utc"]
        ax.plot(
            [h["hour"] for h in hours],
            [100 * (h["share"] or 0) for h in hours],
            marker="o",
            ms=3,
            color=colour(i),
            label=name,
        )
    ax.set_xticks(range(0, 24, 2))
    ax.set_ylim(bottom=0)
    _missing_note(ax, missing, len(corpora))
    if len(missing) < len(corpora):
        ax.legend(fontsize=8)
    return Chart(
        "per_hour",
        "Hour of day",
        "Share of conversations started in each hour of the day, UTC.",
        _png(fig),
    )


def turns(corpora: Sequence[Corpus]) -> Chart:
    fig, ax = _shared_axes("Turns per conversation", "user turns", "% of conversations")
    labels = [str(k) for k in range(1, 11)] + [">10"]
    n = max(1, len(corpora))
    width = 0.8 / n
    missing = []
    for i, (name, stats) in enumerate(corpora):
        t = stats["turns"]
        if not t["known"]:
            missing.append(name)
            continue
        counts = {h["turns"]: h["count"] for h in t["histogram"]}
        y = [100 * counts.get(lab, 0) / t["known"] for lab in labels]
        multi = t["share_multi_turn"] or 0
        over = t["share_over_10"] or 0
        ax.bar(
            [k + i * width for k in range(len(labels))],
            y,
            width=width,
            color=colour(i),
            label=f"{name}: multi-turn {100 * multi:.1f}%, >10 turns {100 * over:.2f}%",
        )
    ax.set_xticks([k + 0.4 - width / 2 for k in range(len(labels))], labels)
    _missing_note(ax, missing, len(corpora))
    if len(missing) < len(corpora):
        ax.legend(fontsize=8)
    return Chart(
        "turns",
        "Turns per conversation",
        "Distribution of user turns per conversation; the legend gives the share of multi-turn "
        "conversations (> 1 turn) and of conversations with more than 10 turns.",
        _png(fig),
    )


def lengths(corpora: Sequence[Corpus], tokenizer: str) -> Chart:
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), squeeze=False)
    for j, role in enumerate(("user", "assistant")):
        ax = axes[0][j]
        ax.set_title("prompts (user turns)" if role == "user" else "responses (assistant turns)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("tokens per turn (log scale)")
        ax.set_ylabel("% of turns")
        missing = []
        for i, (name, stats) in enumerate(corpora):
            d = stats["tokens"][role]
            if not d["turns"]:
                missing.append(name)
                continue
            x = [max(h["from"], 0.5) for h in d["histogram"]]
            y = [100 * h["count"] / d["turns"] for h in d["histogram"]]
            ax.step(x, y, where="post", color=colour(i), label=f"{name} (median {d['median']:,.0f})")
        _missing_note(ax, missing, len(corpora))
        if len(missing) < len(corpora):
            ax.legend(fontsize=8)
    fig.tight_layout()
    return Chart(
        "lengths",
        "Prompt and response lengths",
        f"Distribution of tokens per user and assistant turn (tokenizer: {tokenizer}); bins double in width.",
        _png(fig),
    )


def toxicity(corpora: Sequence[Corpus]) -> Chart:
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6), squeeze=False, gridspec_kw={"width_ratios": [3, 2, 1]})
    groups: list[tuple[str, str, Sequence[str], Callable[[dict[str, Any]], dict[str, Any] | None]]] = [
        (
            "OpenAI moderation: flagged categories",
            "openai_moderation",
            OAI_CATEGORIES,
            lambda s: (
                s["toxicity"]["openai_moderation"]["categories"]
                if s["toxicity"]["openai_moderation"]["ran"]
                else None
            ),
        ),
        (
            "Detoxify: label score > 0.1",
            "detoxify",
            DETOXIFY_LABELS,
            lambda s: s["toxicity"]["detoxify"]["labels"] if s["toxicity"]["detoxify"]["ran"] else None,
        ),
        (
            "Toxic flag",
            "toxic",
            ["toxic"],
            lambda s: (
                {"toxic": s["toxicity"]["toxic_flag"]["user_turn_share"]}
                if s["toxicity"]["toxic_flag"]["known"]
                else None
            ),
        ),
    ]
    n = max(1, len(corpora))
    width = 0.8 / n
    for ax, (title, _key, labels, get) in zip(axes[0], groups, strict=True):
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("% of user turns")
        missing = []
        for i, (name, stats) in enumerate(corpora):
            values = get(stats)
            if values is None:
                missing.append(name)
                continue
            y = [100 * (values.get(lab) or 0) for lab in labels]
            ax.bar([k + i * width for k in range(len(labels))], y, width=width, color=colour(i), label=name)
        ax.set_xticks(
            [k + 0.4 - width / 2 for k in range(len(labels))], labels, rotation=45, ha="right", fontsize=8
        )
        _missing_note(ax, missing, len(corpora))
        if len(missing) < len(corpora):
            ax.legend(fontsize=7)
    fig.tight_layout()
    return Chart(
        "toxicity",
        "Toxicity by classifier and category",
        "Share of user turns flagged per OpenAI moderation category (either key spelling), per Detoxify label "
        "(score > 0.1), and carrying the corpus's toxic flag (WildChat: moderation flagged or Detoxify "
        "toxicity > 0.1). Corpora where a classifier did not run are listed as having no data.",
        _png(fig),
    )


def users(corpora: Sequence[Corpus]) -> Chart:
    def draw(ax: Axes, i: int, stats: dict[str, Any]) -> str | None:
        u = stats["users"]
        if not u["known"]:
            return "no user pseudonyms (hashed IPs)\nin this corpus"
        labels = [h["conversations"] for h in u["histogram"]]
        ax.bar(labels, [100 * h["share"] for h in u["histogram"]], color=colour(i))
        ax.set_xlabel("conversations per user")
        ax.set_ylabel("% of users")
        ax.text(
            0.98,
            0.95,
            f"{u['distinct']:,} users\nmean {u['mean_conversations_per_user']:.2f}",
            ha="right",
            va="top",
            transform=ax.transAxes,
            fontsize=8,
        )
        return None

    return Chart(
        "users",
        "Conversations per user",
        "Distribution of conversations per user (distinct hashed IP).",
        _png(_panels(corpora, draw)),
    )


def diversity_map(
    corpora: Sequence[Corpus], points: Mapping[str, Sequence[Sequence[float]]], method: str
) -> Chart:
    fig, ax = plt.subplots(figsize=(8, 6.5))
    missing = []
    for i, (name, _stats) in enumerate(corpora):
        xy = points.get(name)
        if xy is None or len(xy) == 0:
            missing.append(name)
            continue
        ax.scatter([p[0] for p in xy], [p[1] for p in xy], s=6, alpha=0.6, color=colour(i), label=name)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"First-turn prompts ({method} of MiniLM embeddings)")
    _missing_note(ax, missing, len(corpora))
    if len(missing) < len(corpora):
        ax.legend(fontsize=8, markerscale=3)
    return Chart(
        "diversity",
        "Prompt diversity",
        f"Sampled first-turn prompts of every corpus embedded with all-MiniLM-L6-v2 and projected to 2-D "
        f"together ({method}); corpora whose prompts spread wider cover more topics.",
        _png(fig),
    )
