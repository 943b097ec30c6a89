"""The AsyncAPI document agrees with the schema files and the code's topics and types."""

from __future__ import annotations

import json

import yaml
from paths import REPO

from newswire.settings import Topics
from newswire_schemas import EventType

SCHEMAS = REPO / "schemas"


def test_asyncapi_names_every_topic_and_event_type() -> None:
    doc = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
    assert doc["asyncapi"].startswith("3.")
    t = Topics("newswire")
    addresses = {c["address"] for c in doc["channels"].values()}
    assert addresses == {t.raw, t.unique, t.enriched}
    names = {m["name"] for m in doc["components"]["messages"].values()}
    assert names == {e.value for e in EventType}


def test_asyncapi_references_existing_schema_files() -> None:
    doc = yaml.safe_load((SCHEMAS / "asyncapi.yaml").read_text())
    for message in doc["components"]["messages"].values():
        for part in ("headers", "payload"):
            path = SCHEMAS / message[part]["$ref"]
            assert path.is_file(), path
            json.loads(path.read_text())


def test_header_schema_lists_every_event_type() -> None:
    headers = json.loads((SCHEMAS / "json" / "headers.v1.json").read_text())
    assert set(headers["properties"]["ce_type"]["enum"]) == {e.value for e in EventType}
