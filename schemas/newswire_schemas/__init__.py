"""The newswire event contract, version 1.

The JSON Schema files in ``schemas/json/`` are the source of truth for subscribers; the
Python model here mirrors them and a test proves that every event the suite emits validates
against the files. This package does no I/O.
"""

from newswire_schemas.envelope import CONTENT_TYPE, SPEC_VERSION, Event, EventType, decode_event
from newswire_schemas.item import (
    Author,
    Content,
    Enclosure,
    Enrichment,
    Item,
    Language,
    QualityFlag,
)

__all__ = [
    "CONTENT_TYPE",
    "SPEC_VERSION",
    "Author",
    "Content",
    "Enclosure",
    "Enrichment",
    "Event",
    "EventType",
    "Item",
    "Language",
    "QualityFlag",
    "decode_event",
]
