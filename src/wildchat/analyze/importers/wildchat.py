"""WildChat as released (WildChat-1M, WildChat-4.8M, the first release) and its flattened copies.

Two row shapes, told apart row by row:

* **nested** (the release): ``conversation`` is a list of turns; moderation lists hold one entry per
  turn. The first release named ``conversation_hash`` ``conversation_id``; both are accepted. OpenAI
  moderation keys may use the slash or the underscore spelling (or both); all 18 are filled.
* **flattened** (some copies): one row per exchange with ``prompt``, ``response``, ``model``,
  ``timestamp``, ``language``. Each row becomes a one-turn conversation; its ``timestamp`` is the
  conversation's (WildChat's is the time of the last turn), not the turn's, so the turn's stays null.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wildchat.analyze.importers.base import (
    ImportOptions,
    ImportStats,
    MalformedInput,
    Record,
    RecordImporter,
    SourceInfo,
    Where,
)
from wildchat.analyze.importers.fields import (
    as_object,
    opt_bool,
    opt_int,
    opt_list,
    opt_str,
    opt_timestamp,
    req_str,
)
from wildchat.analyze.importers.rows import (
    conversation_row,
    detoxify_entry,
    header_struct,
    location_id,
    openai_moderation_entry,
    turn_row,
)

WILDCHAT_SOURCE = SourceInfo(
    pretty_name="WildChat",
    homepage="https://huggingface.co/datasets/allenai/WildChat-1M",
    license="odc-by",
    license_note=(
        "WildChat-1M and WildChat-4.8M are released by the Allen Institute for AI under the Open Data "
        "Commons Attribution License (ODC-BY); the WildChat-1M card says the licence changed to ODC-BY "
        "on 2024-06-26. Use is also subject to the AI2 Responsible Use Guidelines."
    ),
    citation=(
        "Zhao, Ren, Hessel, Cardie, Choi, Deng. WildChat: 1M ChatGPT Interaction Logs in the Wild. ICLR 2024."
    ),
)


class WildChatImporter(RecordImporter):
    name = "wildchat"
    record_noun = "rows"
    source = WILDCHAT_SOURCE

    def convert_one(
        self, record: Record, stats: ImportStats, options: ImportOptions
    ) -> Iterable[dict[str, Any]]:
        data = record.data
        if "conversation" not in data and "prompt" in data:
            stats.extra["flattened rows"] += 1
            return [flattened_row(record)]
        row = nested_row(record)
        if not row["conversation"]:
            stats.skip("empty conversation", record.where)
            return []
        stats.extra["nested rows"] += 1
        return [row]


def flattened_row(record: Record) -> dict[str, Any]:
    data, where = record.data, record.where
    language = opt_str(data, "language", where)
    turns = [
        turn_row("user", req_str(data, "prompt", where), language=language),
        turn_row("assistant", req_str(data, "response", where)),
    ]
    return conversation_row(
        conversation_id=location_id(record),
        conversation=turns,
        turn=1,
        model=opt_str(data, "model", where),
        timestamp=opt_timestamp(data, "timestamp", where),
        language=language,
    )


def nested_row(record: Record) -> dict[str, Any]:
    data, where = record.data, record.where
    turns_in = data.get("conversation")
    if turns_in is None:
        raise MalformedInput(where, "conversation", "is missing (and there is no 'prompt' either)")
    if not isinstance(turns_in, list):
        raise MalformedInput(where, "conversation", f"must be an array, got {type(turns_in).__name__}")
    turns = [_turn(item, f"conversation[{i}]", where) for i, item in enumerate(turns_in)]
    openai = opt_list(data, "openai_moderation", where) or []
    detoxify = opt_list(data, "detoxify_moderation", where) or []
    first_release_id = opt_str(data, "conversation_id", where)
    return conversation_row(
        conversation_id=first_release_id or location_id(record),
        conversation=turns,
        turn=opt_int(data, "turn", where),
        conversation_hash=opt_str(data, "conversation_hash", where) or first_release_id,
        model=opt_str(data, "model", where),
        timestamp=opt_timestamp(data, "timestamp", where),
        language=opt_str(data, "language", where),
        openai_moderation=[
            openai_moderation_entry(m, f"openai_moderation[{i}]", where) for i, m in enumerate(openai)
        ],
        detoxify_moderation=[
            detoxify_entry(m, f"detoxify_moderation[{i}]", where) for i, m in enumerate(detoxify)
        ],
        toxic=opt_bool(data, "toxic", where),
        redacted=opt_bool(data, "redacted", where),
        state=opt_str(data, "state", where),
        country=opt_str(data, "country", where),
        hashed_ip=opt_str(data, "hashed_ip", where),
        header=header_struct(data.get("header"), "header", where),
    )


def _turn(value: Any, field: str, where: Where) -> dict[str, Any]:
    turn = as_object(value, field, where)
    # Fields are looked up by their leaf name inside ``turn``; the full path goes into errors.
    return turn_row(
        req_str(turn, f"{field}.role", where),
        req_str(turn, f"{field}.content", where),
        language=opt_str(turn, f"{field}.language", where),
        redacted=opt_bool(turn, f"{field}.redacted", where),
        toxic=opt_bool(turn, f"{field}.toxic", where),
        turn_identifier=opt_int(turn, f"{field}.turn_identifier", where),
        timestamp=opt_timestamp(turn, f"{field}.timestamp", where),
        hashed_ip=opt_str(turn, f"{field}.hashed_ip", where),
        state=opt_str(turn, f"{field}.state", where),
        country=opt_str(turn, f"{field}.country", where),
        header=header_struct(turn.get("header"), f"{field}.header", where),
    )
