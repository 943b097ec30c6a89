"""The guarded HTTP fetcher, shared by the producer (feeds) and enrichment (article pages):
SSRF guard on the address connected to, total deadline, body caps before and after
decompression, redirect and scheme rules (``fetcher``, ``ssrf``, ``body_cap``), the error
taxonomy (``errors``) and the policy built from the settings (``policy``)."""
