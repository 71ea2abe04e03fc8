"""The formats ``wildchat import --format`` knows, by name."""

from __future__ import annotations

from typing import Final

from wildchat.analyze.importers.alpaca import AlpacaImporter
from wildchat.analyze.importers.base import Importer, ImportFailed
from wildchat.analyze.importers.dolly import DollyImporter
from wildchat.analyze.importers.lmsys import LmsysImporter
from wildchat.analyze.importers.oasst import OasstImporter
from wildchat.analyze.importers.sharegpt import ShareGptImporter
from wildchat.analyze.importers.wildchat import WildChatImporter
from wildchat.analyze.importers.wildchat_metadata import WildChatMetadataImporter

IMPORTERS: Final[dict[str, Importer]] = {
    importer.name: importer
    for importer in (
        WildChatImporter(),
        WildChatMetadataImporter(),
        LmsysImporter(),
        ShareGptImporter(),
        OasstImporter(),
        AlpacaImporter(),
        DollyImporter(),
    )
}

FORMATS: Final = tuple(IMPORTERS)


class UnknownFormat(ImportFailed):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown format {name!r}; known formats: {', '.join(FORMATS)}")


def get_importer(name: str) -> Importer:
    try:
        return IMPORTERS[name]
    except KeyError:
        raise UnknownFormat(name) from None
