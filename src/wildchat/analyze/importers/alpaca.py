"""Alpaca-style instruction data: ``{instruction, input, output}`` (a JSON array or JSON Lines).

Each row becomes a one-turn conversation. The user turn is the instruction, followed by the input
after a blank line when the input is not empty (how Alpaca's own prompt template joins them, minus the
template's boilerplate); the assistant turn is the output. Alpaca is machine-generated (Self-Instruct
with text-davinci-003, or GPT-4 in Alpaca-GPT4): it has no users, times, models or languages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wildchat.analyze.importers.base import ImportOptions, ImportStats, Record, RecordImporter, SourceInfo
from wildchat.analyze.importers.fields import opt_str, req_str
from wildchat.analyze.importers.rows import conversation_row, location_id, turn_row

ALPACA_SOURCE = SourceInfo(
    pretty_name="Alpaca",
    homepage="https://github.com/tatsu-lab/stanford_alpaca",
    license="cc-by-nc-4.0",
    license_note=(
        "Stanford Alpaca's data (and Alpaca-GPT4's) is released under CC BY-NC 4.0: non-commercial use, "
        "with attribution; it was generated with OpenAI models, whose terms also apply."
    ),
    citation="Taori et al. Stanford Alpaca: An Instruction-following LLaMA model. 2023.",
)


def join_prompt(instruction: str, extra: str | None) -> str:
    """Instruction, then the extra text (Alpaca's input, Dolly's context) after a blank line if any."""
    return f"{instruction}\n\n{extra}" if extra and extra.strip() else instruction


class AlpacaImporter(RecordImporter):
    name = "alpaca"
    record_noun = "rows"
    source = ALPACA_SOURCE

    def convert_one(
        self, record: Record, stats: ImportStats, options: ImportOptions
    ) -> Iterable[dict[str, Any]]:
        data, where = record.data, record.where
        prompt = join_prompt(req_str(data, "instruction", where), opt_str(data, "input", where))
        if opt_str(data, "input", where):
            stats.extra["rows with input"] += 1
        turns = [turn_row("user", prompt), turn_row("assistant", req_str(data, "output", where))]
        return [conversation_row(conversation_id=location_id(record), conversation=turns, turn=1)]
