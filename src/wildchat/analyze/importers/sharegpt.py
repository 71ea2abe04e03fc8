"""ShareGPT: ``{id, conversations: [{from, value}]}`` (a JSON array or JSON Lines).

``from`` is ``human``/``user`` (a user turn), ``gpt``/``chatgpt``/``assistant``/``bard``/``bing``/
``model`` (an assistant turn) or ``system`` (kept as a ``system`` turn). Split parts of long
conversations (ids like ``abc_1``) may start with an assistant turn; they are kept as they are. The
raw ShareGPT90K dump named the list ``items``; that is accepted too. Conversations without messages are
skipped and counted.
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
)
from wildchat.analyze.importers.fields import as_object, opt_str, req_list, req_str
from wildchat.analyze.importers.rows import conversation_row, location_id, turn_row

SHAREGPT_SOURCE = SourceInfo(
    pretty_name="ShareGPT",
    homepage="https://huggingface.co/datasets/anon8231489123/ShareGPT_Vicuna_unfiltered",
    license="other",
    license_note=(
        "ShareGPT conversations were shared by ChatGPT users on sharegpt.com and scraped by third parties; "
        "they carry no licence from their authors. Treat them as research-only."
    ),
    citation="ShareGPT (sharegpt.com), as used to train Vicuna (Chiang et al., 2023).",
)

_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "assistant": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "model": "assistant",
    "system": "system",
}


class ShareGptImporter(RecordImporter):
    name = "sharegpt"
    record_noun = "conversations"
    source = SHAREGPT_SOURCE

    def convert_one(
        self, record: Record, stats: ImportStats, options: ImportOptions
    ) -> Iterable[dict[str, Any]]:
        data, where = record.data, record.where
        key = "items" if "conversations" not in data and "items" in data else "conversations"
        turns = []
        for i, item in enumerate(req_list(data, key, where)):
            field = f"{key}[{i}]"
            message = as_object(item, field, where)
            speaker = req_str(message, f"{field}.from", where)
            role = _ROLES.get(speaker.lower())
            if role is None:
                known = ", ".join(sorted(_ROLES))
                raise MalformedInput(where, f"{field}.from", f"unknown speaker {speaker!r} (known: {known})")
            turns.append(turn_row(role, req_str(message, f"{field}.value", where)))
        if not turns:
            stats.skip("empty conversation", where)
            return []
        return [
            conversation_row(
                conversation_id=opt_str(data, "id", where) or location_id(record),
                conversation=turns,
            )
        ]
