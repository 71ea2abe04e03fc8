"""databricks-dolly-15k: ``{instruction, context, response, category}`` (JSON Lines).

Each row becomes a one-turn conversation: the user turn is the instruction, followed by the context
after a blank line when there is one; the assistant turn is the response. Both were written by
Databricks employees, so there are no models, users or times. The ``category`` has no place in the
corpus schema; the manifest counts rows per category.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wildchat.analyze.importers.alpaca import join_prompt
from wildchat.analyze.importers.base import ImportOptions, ImportStats, Record, RecordImporter, SourceInfo
from wildchat.analyze.importers.fields import opt_str, req_str
from wildchat.analyze.importers.rows import conversation_row, location_id, turn_row

DOLLY_SOURCE = SourceInfo(
    pretty_name="databricks-dolly-15k",
    homepage="https://huggingface.co/datasets/databricks/databricks-dolly-15k",
    license="cc-by-sa-3.0",
    license_note=(
        "databricks-dolly-15k is released by Databricks under CC BY-SA 3.0; some of it quotes Wikipedia "
        "(also CC BY-SA 3.0). Share-alike: derived corpora must carry the same licence."
    ),
    citation=(
        "Conover et al. Free Dolly: Introducing the World's First Truly Open Instruction-Tuned LLM. "
        "Databricks, 2023."
    ),
)


class DollyImporter(RecordImporter):
    name = "dolly"
    record_noun = "rows"
    source = DOLLY_SOURCE

    def convert_one(
        self, record: Record, stats: ImportStats, options: ImportOptions
    ) -> Iterable[dict[str, Any]]:
        data, where = record.data, record.where
        prompt = join_prompt(req_str(data, "instruction", where), opt_str(data, "context", where))
        category = opt_str(data, "category", where)
        stats.extra[f"category {category or '(none)'}"] += 1
        turns = [turn_row("user", prompt), turn_row("assistant", req_str(data, "response", where))]
        return [conversation_row(conversation_id=location_id(record), conversation=turns, turn=1)]
