"""LMSYS-Chat-1M: ``conversation_id``, ``model``, ``conversation`` [{content, role}], ``turn``, ``language``,
``openai_moderation`` (one entry per message), ``redacted``.

LMSYS ran only OpenAI moderation, so ``toxic`` here means "flagged by OpenAI moderation" (per turn, and
for the conversation: any turn flagged); WildChat's rule also counts Detoxify scores above 0.1, so this
is a lower bound by WildChat's measure. There are no timestamps and no user ids in the release.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wildchat.analyze.importers.base import (
    ImportOptions,
    ImportStats,
    Record,
    RecordImporter,
    SourceInfo,
)
from wildchat.analyze.importers.fields import (
    as_object,
    opt_bool,
    opt_int,
    opt_list,
    opt_str,
    req_list,
    req_str,
)
from wildchat.analyze.importers.rows import conversation_row, openai_moderation_entry, turn_row

LMSYS_SOURCE = SourceInfo(
    pretty_name="LMSYS-Chat-1M",
    homepage="https://huggingface.co/datasets/lmsys/lmsys-chat-1m",
    license="other",
    license_note=(
        "LMSYS-Chat-1M is released under the LMSYS-Chat-1M Dataset License Agreement (gated on Hugging "
        "Face): research use, no redistribution of the data, no attempts to identify users."
    ),
    citation=("Zheng et al. LMSYS-Chat-1M: A Large-Scale Real-World LLM Conversation Dataset. ICLR 2024."),
)


class LmsysImporter(RecordImporter):
    name = "lmsys"
    record_noun = "conversations"
    source = LMSYS_SOURCE

    def convert_one(
        self, record: Record, stats: ImportStats, options: ImportOptions
    ) -> Iterable[dict[str, Any]]:
        data, where = record.data, record.where
        moderation = [
            openai_moderation_entry(m, f"openai_moderation[{i}]", where)
            for i, m in enumerate(opt_list(data, "openai_moderation", where) or [])
        ]
        turns = []
        for i, item in enumerate(req_list(data, "conversation", where)):
            field = f"conversation[{i}]"
            message = as_object(item, field, where)
            flagged = moderation[i]["flagged"] if i < len(moderation) else None
            turns.append(
                turn_row(
                    req_str(message, f"{field}.role", where),
                    req_str(message, f"{field}.content", where),
                    toxic=flagged,
                )
            )
        if not turns:
            stats.skip("empty conversation", where)
            return []
        flags = [m["flagged"] for m in moderation]
        return [
            conversation_row(
                conversation_id=req_str(data, "conversation_id", where),
                conversation=turns,
                turn=opt_int(data, "turn", where),
                model=opt_str(data, "model", where),
                language=opt_str(data, "language", where),
                openai_moderation=moderation,
                toxic=any(flags) if flags else None,
                redacted=opt_bool(data, "redacted", where),
            )
        ]
