"""Dedup: exact by dedup key, crash-safe, with updates as their own events."""
