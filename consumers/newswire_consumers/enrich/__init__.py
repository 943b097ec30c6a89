"""Enrichment: clean HTML, plain text and reading signals for every item."""
