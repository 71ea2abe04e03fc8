"""Table 1 of the WildChat paper, one column per corpus, as Markdown and as HTML.

Numbers: integers with thousands separators, means and stds with two decimals, shares as
percentages with two decimals; unknown values (no hashed IPs, no classifier) print as "—".
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

MISSING = "—"

Row = tuple[str, Callable[[dict[str, Any]], str]]


def fmt_int(value: int | None) -> str:
    return MISSING if value is None else f"{int(value):,}"


def fmt_float(value: float | None) -> str:
    return MISSING if value is None else f"{value:,.2f}"


def fmt_mean_std(mean: float | None, std: float | None) -> str:
    return MISSING if mean is None or std is None else f"{mean:,.2f} ± {std:,.2f}"


def fmt_percent(share: float | None) -> str:
    return MISSING if share is None else f"{100 * share:,.2f}%"


ROWS: tuple[Row, ...] = (
    ("#Convs", lambda t: fmt_int(t["conversations"])),
    ("#Users", lambda t: fmt_int(t["users"])),
    ("#Turns (mean per conversation)", lambda t: fmt_float(t["mean_turns"])),
    (
        "#User tokens per turn (mean ± std)",
        lambda t: fmt_mean_std(t["user_tokens_mean"], t["user_tokens_std"]),
    ),
    (
        "#Chatbot tokens per turn (mean ± std)",
        lambda t: fmt_mean_std(t["assistant_tokens_mean"], t["assistant_tokens_std"]),
    ),
    ("#Langs (≥ 1 user turn)", lambda t: fmt_int(t["languages_any"])),
    ("#Langs (≥ 100 prompts)", lambda t: fmt_int(t["languages_at_least_100"])),
    ("Toxic user turns", lambda t: fmt_percent(t["toxic_user_turn_share"])),
)


def table1_cells(table1s: Sequence[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    return [(label, [get(t) for t in table1s]) for label, get in ROWS]


def table1_markdown(
    names: Sequence[str], table1s: Sequence[dict[str, Any]], notes: Sequence[str] = ()
) -> str:
    header = "| | " + " | ".join(_md(n) for n in names) + " |"
    rule = "|---|" + "---:|" * len(names)
    lines = ["# Table 1", "", header, rule]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in table1_cells(table1s)]
    if notes:
        lines += ["", *(f"- {n}" for n in notes)]
    return "\n".join(lines) + "\n"


def table1_html(names: Sequence[str], table1s: Sequence[dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = "".join(
        f"<tr><th scope='row'>{html.escape(label)}</th>"
        + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        + "</tr>"
        for label, cells in table1_cells(table1s)
    )
    return f"<table class='t1'><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


#: Further per-corpus numbers the figures summarise, shown under Table 1 in the HTML.
DETAIL_ROWS: tuple[Row, ...] = (
    ("Multi-turn conversations", lambda s: fmt_percent(s["turns"]["share_multi_turn"])),
    ("Conversations with > 10 turns", lambda s: fmt_percent(s["turns"]["share_over_10"])),
    (
        "User turns / assistant turns",
        lambda s: f"{fmt_int(s['messages']['user_turns'])} / {fmt_int(s['messages']['assistant_turns'])}",
    ),
    (
        "Median user / assistant tokens",
        lambda s: (
            f"{fmt_float(s['tokens']['user']['median'])} / {fmt_float(s['tokens']['assistant']['median'])}"
        ),
    ),
    (
        "Turns measured for tokens (user / assistant)",
        lambda s: f"{fmt_int(s['tokens']['user']['turns'])} / {fmt_int(s['tokens']['assistant']['turns'])}",
    ),
    ("First / last day (UTC)", lambda s: f"{s['time']['first'] or MISSING} / {s['time']['last'] or MISSING}"),
    ("Conversations per user (mean)", lambda s: fmt_float(s["users"]["mean_conversations_per_user"])),
    ("Toxic conversations", lambda s: fmt_percent(s["toxicity"]["toxic_flag"]["conversation_share"])),
    (
        "OpenAI moderation flagged (user turns)",
        lambda s: fmt_percent(s["toxicity"]["openai_moderation"]["flagged_share"]),
    ),
    (
        "Detoxify toxicity > 0.1 (user turns)",
        lambda s: fmt_percent(s["toxicity"]["detoxify"]["labels"]["toxicity"]),
    ),
)


def details_html(names: Sequence[str], stats: Sequence[dict[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = "".join(
        f"<tr><th scope='row'>{html.escape(label)}</th>"
        + "".join(f"<td>{html.escape(get(s))}</td>" for s in stats)
        + "</tr>"
        for label, get in DETAIL_ROWS
    )
    return f"<table class='details'><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>"
