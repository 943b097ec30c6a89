"""The lxml fast path: well-formed RSS, RDF and Atom read exactly as feedparser 6.0.14 reads
them (tests/corpus/test_differential.py); anything it does not reproduce raises
``Unsupported`` and the document goes to feedparser. Modules, from the bottom: ``names``,
``xhtml``, ``text``, ``roles``, ``scan``, ``item``, ``feed``."""
