"""A parsed entry to an :class:`~schemas.Item`: canonical URLs, identity and dedup keys,
mojibake repair, sanitized HTML and plain text (``normalizer``)."""
