"""The encoding of a feed that does not say it: no HTTP charset, no XML declaration, no BOM,
and bytes that are not UTF-8 (legacy encodings).

XML 1.0 (section 4.3.3, appendix F) then reads the document as UTF-8 and it is not well
formed; feedparser, when chardet is absent, falls back to Windows-1252 and Latin-1, which
turns EUC-JP, GB2312, KOI8-R or TIS-620 text into accented garbage that nothing downstream can
repair. charset-normalizer (Ousret) measures which decoding gives the most plausible text
and detects those in about a millisecond. It is asked only on this rare path, on a bounded
prefix, and its answer is used as the decoding hint; the item then carries
``encoding_repaired``.
"""

from __future__ import annotations

import codecs

import charset_normalizer

SAMPLE_BYTES = 256 * 1024  # enough text to tell encodings apart; bounds the time spent


def guess_charset(data: bytes) -> str | None:
    """The most plausible encoding of ``data``, as a Python codec name, or None.

    None when the bytes are ASCII or valid UTF-8 (nothing to guess) or when no decoding is
    plausible. Pure; its time is bounded by ``SAMPLE_BYTES``.
    """
    sample = data[:SAMPLE_BYTES]
    if sample.isascii():
        return None
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 3:  # not just a multi-byte sequence cut by the sample
            best = charset_normalizer.from_bytes(sample).best()
            return codecs.lookup(best.encoding).name if best is not None else None
    return None
