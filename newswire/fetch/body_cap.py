"""Reading a response body under a byte cap, before and after decompression (DESIGN.md).

httpx's own decoders inflate a whole network read at once (a 64 KiB read of zeros is
~64 MiB), so a compression bomb could exhaust memory before any cap is checked. Here the
raw bytes are read with ``aiter_raw`` and inflated by :class:`Inflater`, which never yields
more than it is asked for. Stacked codings (``Content-Encoding: gzip, gzip``, RFC 9110
§8.4) are undone layer by layer, each layer's output capped, so a bomb inside a bomb is cut
like a single one.
"""

from __future__ import annotations

import zlib

import httpx

from newswire.fetch.errors import BadResponse, TooLarge

# Only what Inflater decodes with a bound; br/zstd would need decoders we do not ship.
ACCEPT_ENCODING = "gzip, deflate"
_DECODABLE = ("gzip", "x-gzip", "deflate")
# Layers of coding accepted on one response; real servers send one, more is an attack.
MAX_CODINGS = 3


class Inflater:
    """gzip/deflate decoding that never yields more than asked (RFC 9110 §8.4.1.2-3)."""

    def __init__(self) -> None:
        self._head = b""
        self._d: zlib._Decompress | None = None
        self._wbits = 0

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode ``data``, returning at most ``limit`` bytes. Raises BadResponse if corrupt."""
        if self._d is None:
            self._head += data
            if len(self._head) < 2:
                return b""
            data, self._head = self._head, b""
            if data[:2] == b"\x1f\x8b":  # gzip magic, RFC 1952 §2.3.1
                self._wbits = 16 + zlib.MAX_WBITS
            elif (data[0] & 0x0F) == 8 and int.from_bytes(data[:2], "big") % 31 == 0:
                self._wbits = zlib.MAX_WBITS  # zlib wrapper: "deflate" proper, RFC 1950
            else:
                self._wbits = -zlib.MAX_WBITS  # raw deflate, which many servers send instead
            self._d = zlib.decompressobj(self._wbits)
        out = bytearray()
        while data and len(out) < limit:
            if self._d.eof:  # another gzip member (RFC 1952 §2.2) or trailing junk
                if self._wbits != 16 + zlib.MAX_WBITS or data[:2] != b"\x1f\x8b":
                    break  # junk after the stream is ignored, as gzip(1) does
                self._d = zlib.decompressobj(self._wbits)
            try:
                out += self._d.decompress(data, limit - len(out))
            except zlib.error as exc:
                raise BadResponse(f"corrupt compressed body: {exc}") from exc
            data = self._d.unconsumed_tail or self._d.unused_data
        return bytes(out)


class _Layers:
    """Undo stacked codings (listed in the order they were applied, so decoded in reverse)
    with every layer's total output capped: no layer ever holds more than ``cap`` + 1."""

    def __init__(self, codings: list[str], cap: int) -> None:
        self._inflaters = [Inflater() for _ in codings]
        self._produced = [0] * len(codings)
        self._cap = cap

    def feed(self, raw: bytes) -> bytes:
        """Decode ``raw`` through every layer. Raises TooLarge once a layer passes the cap."""
        data = raw
        for i, inflater in enumerate(reversed(self._inflaters)):
            data = inflater.feed(data, self._cap - self._produced[i] + 1)
            self._produced[i] += len(data)
            if self._produced[i] > self._cap:
                raise TooLarge(f"decoded body over {self._cap} bytes (coding layer {i + 1})")
        return data


async def read_capped_body(resp: httpx.Response, cap: int) -> bytes:
    """The decoded body of a streamed ``resp``, at most ``cap`` bytes.

    Raises TooLarge as soon as the declared length, the raw bytes read or the bytes decoded
    by any coding layer pass ``cap`` (so a bomb, stacked or not, is cut after at most
    ``cap`` + one read of output per layer), and BadResponse for an unsupported or corrupt
    Content-Encoding or more than ``MAX_CODINGS`` layers.
    """
    length = resp.headers.get("content-length", "")
    if length.isascii() and length.isdigit() and int(length) > cap:
        raise TooLarge(f"{resp.url}: Content-Length {length} over {cap}")
    codings = [
        c.strip().lower()
        for c in resp.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    if len(codings) > MAX_CODINGS or any(c not in _DECODABLE for c in codings):
        shown = ", ".join(codings[: MAX_CODINGS + 1])
        raise BadResponse(f"{resp.url}: unsupported Content-Encoding {shown!r}")
    layers = _Layers(codings, cap) if codings else None
    body = bytearray()
    raw_total = 0
    async for raw in resp.aiter_raw():
        raw_total += len(raw)
        # Cap before decompression too (DESIGN.md): bounds a lying or missing length.
        if raw_total > cap:
            raise TooLarge(f"{resp.url}: body over {cap} bytes")
        try:
            body += layers.feed(raw) if layers else raw
        except TooLarge as exc:
            raise TooLarge(f"{resp.url}: {exc}") from None
        if len(body) > cap:
            raise TooLarge(f"{resp.url}: decoded body over {cap} bytes")
    return bytes(body)
