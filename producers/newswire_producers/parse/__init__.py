"""Feed bytes to a :class:`~newswire_producers.parse.parsed.ParsedFeed`: encoding detection and
repair, entity refusal, feedparser (the reference and the fallback), the lxml fast path
(``fast``, proven equal on the corpus), JSON Feed, and the bounded parse worker."""
