"""Every number of the report for one corpus, as aggregates over the tables ``scan`` builds.

The definitions follow the WildChat paper's Table 1 and figures:

* a *turn* is a user turn (a user prompt and the reply to it); mean turns per conversation counts
  user turns, falling back to the ``turn`` column where a corpus has no message text;
* *users* are distinct hashed IPs (conversation column, else the first user turn's), unknown ("—")
  where a corpus has none;
* *languages* are counted over user turns (turn language, else the conversation's; a conversation
  without text counts ``turn`` prompts in its language), ``Nolang`` excluded, once with at least one prompt and once with at least 100 prompts;
* a user turn is *toxic* as the corpus marks it (WildChat: OpenAI moderation flagged it or
  Detoxify toxicity > 0.1); the share is over turns that carry the flag (null = not classified, as
  the importers write it) and unknown where none does;
* tokens per turn are measured on all turns of a fixed-size random sample of conversations (all
  of them for corpora up to that size) with one tokenizer for every corpus (see ``tokens``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from wildchat.analyze.scan import NOT_A_LANGUAGE, OAI_CATEGORIES, OAI_FLAGGED_BIT, Scan
from wildchat.analyze.tokens import TokenCounter
from wildchat.records import DETOXIFY_LABELS

TOP_N = 15
#: Buckets of the conversations-per-user figure.
USER_BUCKETS = ((1, 1), (2, 2), (3, 5), (6, 10), (11, 100), (101, None))
#: Log-spaced token-count bins of the length figures: 0, 1, 2, 4, ... 2^16, more.
LENGTH_EDGES = [0, 1, *(2**k for k in range(1, 17))]


def _rows(scan: Scan, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return scan.con.execute(sql, params or []).fetchall()


def _one(scan: Scan, sql: str) -> Any:
    row = scan.con.execute(sql).fetchone()
    return None if row is None else row[0]


def _ranked(rows: list[tuple[Any, ...]], total: int) -> list[dict[str, Any]]:
    return [{"name": str(r[0]), "count": int(r[1]), "share": (r[1] / total) if total else 0.0} for r in rows]


def prompt_languages() -> str:
    """SQL: (language, prompts) rows: each user turn in its language (turn's, else the conversation's);
    a conversation without message text (a metadata-only corpus) counts ``turn`` prompts in its language."""
    return """
        SELECT coalesce(t.language, c.language) AS lang, 1 AS prompts
        FROM t JOIN c USING (cid)
        WHERE t.role = 'user'
        UNION ALL
        SELECT language AS lang, coalesce(turns, 1) AS prompts FROM c WHERE n_msgs = 0
    """


def table1_and_distributions(scan: Scan, tokens: TokenCounter) -> dict[str, Any]:
    """All statistics of one scanned corpus, JSON-ready."""
    n_conv = scan.conversations
    out: dict[str, Any] = {"conversations": n_conv, "shards": scan.shards}

    # ---- users
    users = int(_one(scan, "SELECT count(DISTINCT hashed_ip) FROM c"))
    out["users"] = _users(scan, users)

    # ---- turns per conversation
    turns_known = int(_one(scan, "SELECT count(turns) FROM c"))
    mean_turns = _one(scan, "SELECT avg(turns) FROM c") if turns_known else None
    hist = dict(_rows(scan, "SELECT least(turns, 11), count(*) FROM c WHERE turns IS NOT NULL GROUP BY 1"))
    out["turns"] = {
        "known": turns_known,
        "mean": float(mean_turns) if mean_turns is not None else None,
        "histogram": [
            {"turns": str(k) if k <= 10 else ">10", "count": int(hist.get(k, 0))} for k in range(0, 12)
        ],
        "share_multi_turn": _share(sum(v for k, v in hist.items() if k > 1), turns_known),
        "share_over_10": _share(int(hist.get(11, 0)), turns_known),
    }

    # ---- messages
    n_user_turns = int(_one(scan, "SELECT count(*) FROM t WHERE role = 'user'"))
    n_assistant_turns = int(_one(scan, "SELECT count(*) FROM t WHERE role = 'assistant'"))
    out["messages"] = {"user_turns": n_user_turns, "assistant_turns": n_assistant_turns}

    # ---- languages (of user turns)
    lang_rows = _rows(
        scan,
        f"SELECT lang, sum(prompts) FROM ({prompt_languages()}) WHERE lang IS NOT NULL GROUP BY 1 "
        "ORDER BY 2 DESC, 1",
    )
    real = [(lang, n) for lang, n in lang_rows if lang not in NOT_A_LANGUAGE]
    labelled = sum(n for _, n in lang_rows)
    out["languages"] = {
        "prompts_with_language": labelled,
        "count_any": len(real) if labelled else None,
        "count_at_least_100": sum(1 for _, n in real if n >= 100) if labelled else None,
        "top": _ranked(lang_rows[:TOP_N], labelled),
    }

    # ---- geography (per conversation)
    with_country = int(_one(scan, "SELECT count(country) FROM c"))
    with_state = int(_one(scan, "SELECT count(state) FROM c WHERE state <> ''"))
    out["countries"] = {
        "conversations_with_country": with_country,
        "top": _ranked(
            _rows(
                scan,
                f"SELECT country, count(*) FROM c WHERE country IS NOT NULL GROUP BY 1 "
                f"ORDER BY 2 DESC, 1 LIMIT {TOP_N}",
            ),
            with_country,
        ),
    }
    out["states"] = {
        "conversations_with_state": with_state,
        "top": _ranked(
            _rows(
                scan,
                "SELECT state || coalesce(' (' || country || ')', ''), count(*) FROM c "
                f"WHERE state IS NOT NULL AND state <> '' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {TOP_N}",
            ),
            with_state,
        ),
    }

    # ---- time (UTC)
    with_ts = int(_one(scan, "SELECT count(ts) FROM c"))
    per_day = _rows(
        scan, "SELECT strftime(ts, '%Y-%m-%d'), count(*) FROM c WHERE ts IS NOT NULL GROUP BY 1 ORDER BY 1"
    )
    per_hour = dict(_rows(scan, "SELECT hour(ts), count(*) FROM c WHERE ts IS NOT NULL GROUP BY 1"))
    out["time"] = {
        "conversations_with_timestamp": with_ts,
        "first": per_day[0][0] if per_day else None,
        "last": per_day[-1][0] if per_day else None,
        "per_day": [{"date": d, "count": int(n)} for d, n in per_day],
        "per_hour_utc": [
            {"hour": h, "count": int(per_hour.get(h, 0)), "share": _share(int(per_hour.get(h, 0)), with_ts)}
            for h in range(24)
        ],
    }

    # ---- models
    with_model = int(_one(scan, "SELECT count(model) FROM c WHERE model <> ''"))
    out["models"] = {
        "conversations_with_model": with_model,
        "top": _ranked(
            _rows(
                scan,
                f"SELECT model, count(*) FROM c WHERE model IS NOT NULL AND model <> '' GROUP BY 1 "
                f"ORDER BY 2 DESC, 1 LIMIT {TOP_N}",
            ),
            with_model,
        ),
    }

    out["toxicity"] = _toxicity(scan)
    out["tokens"] = _tokens(scan, tokens)
    out["table1"] = {
        "conversations": n_conv,
        "users": users or None,
        "mean_turns": out["turns"]["mean"],
        "user_tokens_mean": out["tokens"]["user"]["mean"],
        "user_tokens_std": out["tokens"]["user"]["std"],
        "assistant_tokens_mean": out["tokens"]["assistant"]["mean"],
        "assistant_tokens_std": out["tokens"]["assistant"]["std"],
        "languages_any": out["languages"]["count_any"],
        "languages_at_least_100": out["languages"]["count_at_least_100"],
        "toxic_user_turn_share": out["toxicity"]["toxic_flag"]["user_turn_share"],
    }
    return out


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _users(scan: Scan, distinct: int) -> dict[str, Any]:
    if not distinct:
        return {"known": False, "distinct": None, "histogram": [], "mean_conversations_per_user": None}
    per_user = dict(
        _rows(
            scan,
            "SELECT n, count(*) FROM (SELECT count(*) AS n FROM c WHERE hashed_ip IS NOT NULL GROUP BY hashed_ip) "
            "GROUP BY n",
        )
    )
    hist = []
    for lo, hi in USER_BUCKETS:
        users = sum(v for k, v in per_user.items() if k >= lo and (hi is None or k <= hi))
        label = str(lo) if hi == lo else (f"{lo}-{hi}" if hi is not None else f">{lo - 1}")
        hist.append({"conversations": label, "users": int(users), "share": users / distinct})
    conversations = sum(k * v for k, v in per_user.items())
    return {
        "known": True,
        "distinct": distinct,
        "conversations_with_user": conversations,
        "histogram": hist,
        "mean_conversations_per_user": conversations / distinct,
        "max_conversations_per_user": int(max(per_user)),
    }


def _toxicity(scan: Scan) -> dict[str, Any]:
    oai_turns = int(_one(scan, "SELECT count(oai) FROM t WHERE role = 'user'"))
    dtx_turns = int(_one(scan, "SELECT count(dtx) FROM t WHERE role = 'user'"))
    cats: dict[str, float | None] = {}
    for i, cat in enumerate(OAI_CATEGORIES):
        n = int(_one(scan, f"SELECT count(*) FROM t WHERE role = 'user' AND (oai & {1 << i}) <> 0"))
        cats[cat] = _share(n, oai_turns)
    flagged = int(
        _one(scan, f"SELECT count(*) FROM t WHERE role = 'user' AND (oai & {1 << OAI_FLAGGED_BIT}) <> 0")
    )
    labels: dict[str, float | None] = {}
    for i, label in enumerate(DETOXIFY_LABELS):
        n = int(_one(scan, f"SELECT count(*) FROM t WHERE role = 'user' AND (dtx & {1 << i}) <> 0"))
        labels[label] = _share(n, dtx_turns)
    # A null flag means "not classified" (importers write null where a source has no toxicity); shares
    # are over the turns and conversations that carry a flag, and unknown where none does.
    turns_known = int(_one(scan, "SELECT count(toxic) FROM t WHERE role = 'user'"))
    toxic_turns = int(_one(scan, "SELECT count(*) FROM t WHERE role = 'user' AND toxic"))
    convs_known = int(_one(scan, "SELECT count(toxic) FROM c"))
    toxic_convs = int(_one(scan, "SELECT count(*) FROM c WHERE toxic"))
    return {
        "openai_moderation": {
            "ran": oai_turns > 0,
            "user_turns": oai_turns,
            "flagged_share": _share(flagged, oai_turns),
            "categories": cats,
        },
        "detoxify": {
            "ran": dtx_turns > 0,
            "user_turns": dtx_turns,
            "threshold": 0.1,
            "labels": labels,
        },
        "toxic_flag": {
            "known": turns_known > 0,
            "user_turns_with_flag": turns_known,
            "user_turn_share": _share(toxic_turns, turns_known),
            "conversations_with_flag": convs_known,
            "conversation_share": _share(toxic_convs, convs_known),
        },
    }


def _tokens(scan: Scan, tokens: TokenCounter) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tokenizer": tokens.name,
        "sampled_conversations": scan.sampled_conversations,
        "all_conversations": scan.sampled_conversations >= scan.conversations,
    }
    for role in ("user", "assistant"):
        texts = [
            str(r[0])
            for r in _rows(
                scan,
                "SELECT content FROM t WHERE sampled AND role = ? AND content IS NOT NULL ORDER BY cid, idx",
                [role],
            )
        ]
        counts = np.asarray(tokens.count(texts), dtype=np.float64) if texts else np.zeros(0)
        out[role] = _describe(counts)
    return out


def _describe(counts: np.ndarray) -> dict[str, Any]:
    if counts.size == 0:
        return {"turns": 0, "mean": None, "std": None, "median": None, "p90": None, "histogram": []}
    hist, _ = np.histogram(counts, bins=[*LENGTH_EDGES, math.inf])
    return {
        "turns": int(counts.size),
        "mean": float(counts.mean()),
        # Population std (ddof=0) over the measured turns, as numpy's default.
        "std": float(counts.std()),
        "median": float(np.median(counts)),
        "p90": float(np.percentile(counts, 90)),
        "histogram": [{"from": int(lo), "count": int(n)} for lo, n in zip(LENGTH_EDGES, hist, strict=True)],
    }


def first_turn_prompts(scan: Scan, limit: int) -> list[str]:
    """Up to ``limit`` first user prompts of the sampled conversations, in the sample's random order."""
    rows = _rows(
        scan,
        """
        SELECT content FROM (
            SELECT cid, content, row_number() OVER (PARTITION BY cid ORDER BY idx) AS k
            FROM t WHERE sampled AND role = 'user' AND content IS NOT NULL AND trim(content) <> ''
        ) WHERE k = 1 ORDER BY cid LIMIT ?
        """,
        [limit],
    )
    return [str(r[0]) for r in rows]
