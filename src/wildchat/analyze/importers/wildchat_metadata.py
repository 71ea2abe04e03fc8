"""WildChat per-conversation metadata without text (CSV exports such as ``part_1.csv``).

Some analytics copies of WildChat keep one row per conversation with the metadata only: the
``conversation_hash`` (named ``conversation_id`` there), ``hashed_ip``, ``state``, ``country``,
``language``, ``model``, ``turn``, ``timestamp`` (with a UTC offset; converted to UTC), the toxic flag
(``toxicity_flag`` or ``toxic``) and ``redacted``. The result is a metadata-only corpus: ``conversation``
is an empty list, ``turn`` keeps the source's count, and users, geography, languages, models and time
can still be counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wildchat.analyze.importers.base import ImportOptions, ImportStats, MalformedInput, Record, RecordImporter
from wildchat.analyze.importers.fields import opt_bool, opt_int, opt_str, opt_timestamp, req_str
from wildchat.analyze.importers.rows import conversation_row
from wildchat.analyze.importers.wildchat import WILDCHAT_SOURCE


class WildChatMetadataImporter(RecordImporter):
    name = "wildchat-metadata"
    record_noun = "rows"
    source = WILDCHAT_SOURCE

    def convert_one(
        self, record: Record, stats: ImportStats, options: ImportOptions
    ) -> Iterable[dict[str, Any]]:
        data, where = record.data, record.where
        key = "conversation_hash" if "conversation_hash" in data else "conversation_id"
        conversation_hash = req_str(data, key, where)
        if not conversation_hash.strip():
            raise MalformedInput(where, key, "is empty")
        toxic_key = "toxic" if "toxic" in data else "toxicity_flag"
        return [
            conversation_row(
                conversation_id=conversation_hash,
                conversation=[],
                turn=opt_int(data, "turn", where),
                conversation_hash=conversation_hash,
                model=opt_str(data, "model", where, empty_is_null=True),
                timestamp=opt_timestamp(data, "timestamp", where),
                language=opt_str(data, "language", where, empty_is_null=True),
                toxic=opt_bool(data, toxic_key, where),
                redacted=opt_bool(data, "redacted", where),
                state=opt_str(data, "state", where, empty_is_null=True),
                country=opt_str(data, "country", where, empty_is_null=True),
                hashed_ip=opt_str(data, "hashed_ip", where, empty_is_null=True),
            )
        ]
