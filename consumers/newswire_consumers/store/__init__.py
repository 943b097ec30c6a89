"""The store stage's storage: items kept for lookup, export and full-text search.

``sqlite_store`` is the embedded default (SQLite with FTS5); ``article`` renders stored
items for people. Writes are idempotent by ``item_id`` + ``version``, which is what makes
the pipeline effectively-once at this edge.
"""
