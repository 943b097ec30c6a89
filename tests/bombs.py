"""Compression bombs for the fetch tests, built in bounded memory (security).

``zeros(mib, codings)`` is ``mib`` MiB of zero bytes encoded with the Content-Encoding
codings listed in the order they are applied (as the header lists them, RFC 9110 §8.4), so
``zeros(50, "gzip", "gzip")`` is what a server sending ``Content-Encoding: gzip, gzip``
would put on the wire. Only the innermost layer sees the full size, one MiB at a time.
"""

from __future__ import annotations

import zlib

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS, "raw-deflate": -zlib.MAX_WBITS}


def compress(data: bytes, coding: str) -> bytes:
    """``data`` in one coding: ``gzip``, ``deflate`` (zlib wrapper) or ``raw-deflate``."""
    c = zlib.compressobj(9, zlib.DEFLATED, _WBITS[coding])
    return c.compress(data) + c.flush()


def zeros(mib: int, *codings: str) -> bytes:
    """``mib`` MiB of zeros, encoded by ``codings`` in order (at least one)."""
    first = zlib.compressobj(9, zlib.DEFLATED, _WBITS[codings[0]])
    block = bytes(1 << 20)
    body = b"".join([*(first.compress(block) for _ in range(mib)), first.flush()])
    for coding in codings[1:]:
        body = compress(body, coding)
    return body
