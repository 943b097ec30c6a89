"""Operator tools' logic, without the CLI: lag, offsets, dead letters, throughput, health.

The commands in :mod:`newswire.app.cli` (``status``, ``tail``, ``dlq``, ``reprocess``) are thin
shells over these modules, so tests and scripts can call them directly.
"""
