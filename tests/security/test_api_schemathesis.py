"""The read API against its own OpenAPI document, with generated requests (schemathesis,
a fixed seed, about 100 cases per operation): never a 5xx, and every answer conforms to the
document (status codes, content types, response schemas). A SQLite store with a few items,
hostile ones among them, serves it in-process (ASGI)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from factories import make_item
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi import checks

from newswire.app.api.app import create_app
from newswire_consumers.store.store import open_store_url
from newswire_schemas.item import Content

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# No 5xx, and answers as documented. Not "schema-valid requests are accepted": a cursor is
# valid only with the query it came from (a 400 otherwise), which a schema cannot say.
CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    db: Path = tmp_path_factory.mktemp("api") / "store.db"
    store = open_store_url(f"sqlite:///{db}")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    items = [make_item(i, published=start + timedelta(minutes=i)) for i in range(5)]
    items.append(
        make_item(
            9,
            title="Harbour <dredging> & “quotes” \u202e",
            content=Content(html="<p>Harbour dredging begins.</p>", text="Harbour dredging"),
            story_id="story-1",
        )
    )
    store.upsert_many(items)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(store, page_max=50))
    store.close()


def test_the_api_never_answers_5xx_and_keeps_its_document(api_schema: object) -> None:
    # Each operation's strategy run by hypothesis directly (schemathesis' pytest plugin
    # does not run under pytest 9).
    answers: Counter[str] = Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[attr-defined]
    assert len(operations) >= 3  # /items, /items/{id}, /stories/{id}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=100,
            derandomize=True,  # the same cases on every run
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call_and_validate(checks=CHECKS)
            answers[f"{case.operation.label} {response.status_code}"] += 1

        check()
    print("schemathesis:", dict(sorted(answers.items())))  # the closing note's summary (-s)
    assert sum(answers.values()) >= 150  # the cases ran
