"""Feed bytes to a :class:`ParsedFeed`: the entry point of parsing.

This module checks and repairs the bytes, then hands them to :mod:`newswire_producers.parse.xmlfeed`
(RSS, RDF, Atom through feedparser) or :mod:`newswire_producers.parse.jsonfeed` (JSON Feed). Feeds
are untrusted input (DESIGN.md, "Safety of fetching and parsing"):

* input is capped (``max_bytes``, also after gzip decompression);
* documents declaring entities are refused before any XML parser sees them;
* feedparser only ever sees a ``BytesIO`` (given ``bytes`` it would first try them as a
  file path).

What comes out is described in :mod:`newswire_producers.parse.parsed`: HTML fragments not yet
sanitized, URLs not yet checked (the normalizer does both).
"""

from __future__ import annotations

import codecs
import functools
import re
import zlib
from dataclasses import replace

from newswire.errors import FeedParseError
from newswire_producers.parse.charset_guess import guess_charset
from newswire_producers.parse.fast.feed import parse_fast
from newswire_producers.parse.fast.scan import prolog_ends_at_root
from newswire_producers.parse.jsonfeed import parse_json_feed
from newswire_producers.parse.parsed import (
    FORMATS,
    ParsedAuthor,
    ParsedEnclosure,
    ParsedEntry,
    ParsedFeed,
)
from newswire_producers.parse.xmlfeed import parse_xml_feed
from newswire_schemas.item import QualityFlag

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "PATHS",
    "ParsedAuthor",
    "ParsedEnclosure",
    "ParsedEntry",
    "ParsedFeed",
    "parse_feed",
    "parse_feed_path",
]

#: The values :func:`parse_feed_path` names the parser with.
PATHS = ("fast", "feedparser", "json")
#: Default cap on the feed body, before and after gzip decompression.
MAX_BYTES = 20 * 1024 * 1024

_WIDE_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"), (codecs.BOM_UTF16_LE, "utf-16-le"),
)  # fmt: skip
_WIDE_PATTERNS = (
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"), (b"<\x00", "utf-16-le"),
)  # fmt: skip
_SINGLE_BYTE_WESTERN = frozenset({"iso8859-1", "iso8859-15", "cp1252", "ascii"})
# Single-byte codecs (Python's names) the fast path reads: libxml2 has them built in or
# through iconv, with the same tables as Python's codecs.
_SINGLE_BYTE_PREFIXES = ("iso8859-", "cp125", "koi8-", "ascii")
_XML_ENCODING_RE = re.compile(r"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")
_ASCII = bytes(range(32, 127))
_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.IGNORECASE)


def parse_feed(
    data: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_bytes: int = MAX_BYTES,
    fast: bool = True,
) -> ParsedFeed:
    """Parse feed bytes fetched from ``url`` (served with ``content_type``, if known).

    Guarantees: returns a :class:`ParsedFeed` whose entries keep document order, or raises
    :class:`FeedParseError` with a one-line reason (too large, empty, entity declarations,
    not a feed, malformed without entries, invalid JSON); never raises anything else. A
    malformed document that still yields entries is returned with ``feed_malformed``; one
    whose declared encoding was wrong or missing gets ``encoding_repaired``. Pure: reads no
    file and opens no URL; ``url`` (where the bytes came from) only makes the feed link and
    ``xml:base`` values absolute.

    ``fast=False`` skips the lxml fast path (:mod:`newswire_producers.parse.fast.feed`) and reads
    every XML document with feedparser, the reference the fast path is tested against
    (tests/corpus/test_differential.py); the result is the same either way.
    """
    return parse_feed_path(
        data, url=url, content_type=content_type, max_bytes=max_bytes, fast=fast
    )[0]


def parse_feed_path(
    data: bytes,
    *,
    url: str,
    content_type: str | None = None,
    max_bytes: int = MAX_BYTES,
    fast: bool = True,
) -> tuple[ParsedFeed, str]:
    """:func:`parse_feed`, and which parser read the document: one of :data:`PATHS`
    ("fast": lxml, "feedparser", "json"). For the benchmark and the differential test,
    which report how much of a corpus the fast path carries."""
    if len(data) > max_bytes:
        raise FeedParseError(f"feed is larger than {max_bytes} bytes")
    data = _gunzip(data, max_bytes)
    data, flags = _prepare(data)
    media_type, charset = _parse_content_type(content_type)
    if fast and flags <= {QualityFlag.FEED_MALFORMED.value}:
        fast_result = _parse_fast_path(data, charset, url, flags)
        if fast_result is not None:
            return fast_result, "fast"
    view = _text_view(data)
    if not view.strip(" \t\r\n\ufeff\x00"):
        raise FeedParseError("empty document")
    first = view.lstrip(" \t\r\n\ufeff")[:1]
    if first == "{" or (first != "<" and (media_type.endswith("json"))):
        return parse_json_feed(data, url=url, flags=frozenset(flags)), "json"
    if _declares_entities(_markup_view(data, view)):
        raise FeedParseError("entity declarations are not allowed")
    return _parse_xml(data, view, charset, flags, url), "feedparser"


def _parse_fast_path(
    data: bytes, charset: str | None, url: str, flags: set[str]
) -> ParsedFeed | None:
    """lxml's fast path (:mod:`newswire_producers.parse.fast.feed`) for the common case, else None.

    Taken only for an XML document that cannot hold an entity declaration (no DOCTYPE in
    its prolog: :func:`newswire_producers.parse.fast.scan.prolog_ends_at_root`), whose
    encoding every account agrees on (HTTP charset, XML declaration, BOM) and is UTF-8 or
    a single-byte legacy encoding the bytes really are in (libxml2 decodes it as declared,
    as feedparser does). A document that states no encoding anywhere and is not UTF-8 is
    read in the encoding :func:`_parse_xml` would give feedparser (the guess of
    :func:`newswire_producers.parse.charset_guess.guess_charset`) when that is such an encoding.
    Everything else, and whatever the fast path declines, goes the feedparser way below.
    """
    start = 3 if data.startswith(codecs.BOM_UTF8) else 0
    if not prolog_ends_at_root(data, start):
        return None  # not XML, or a DOCTYPE (where entities are declared): feedparser's
    head = data[start : start + 1024].decode("latin-1")
    stated = _declared_encoding(data, head)
    declared = _codec(stated or "utf-8")
    if charset and _codec(charset) != declared:
        return None
    override = None
    if declared in _SINGLE_BYTE_WESTERN and not data.isascii() and _is_utf8(data):
        # As _parse_xml: declared Latin-1 but valid multi-byte UTF-8 is read as UTF-8.
        override = "utf-8"
        flags = flags | {QualityFlag.ENCODING_REPAIRED.value}
    elif declared != "utf-8" and not _legacy_fast(data, declared):
        parsed = _parse_transcoded(data, declared, url)
        return replace(parsed, flags=frozenset(flags)) if parsed is not None and flags else parsed
    parsed = parse_fast(data, url=url, encoding=override)
    if parsed is None and stated is None and not charset:
        parsed = _parse_guessed(data, url)
        if parsed is not None:
            flags = flags | {QualityFlag.ENCODING_REPAIRED.value}
    return replace(parsed, flags=frozenset(flags)) if parsed is not None and flags else parsed


def _parse_guessed(data: bytes, url: str) -> ParsedFeed | None:
    """The fast path for a document that states no encoding and is not UTF-8 (asked only
    after the UTF-8 reading failed, so UTF-8 feeds never pay for the check): read in the
    single-byte encoding :func:`_parse_xml` hands feedparser as its hint, else None."""
    if data.isascii() or _is_utf8(data):
        return None  # the UTF-8 reading failed for another reason: feedparser's
    guessed = guess_charset(data)
    if guessed is None:
        return None
    if _legacy_fast(data, guessed):
        return parse_fast(data, url=url, encoding=guessed)
    return _parse_transcoded(data, guessed, url)


def _parse_transcoded(data: bytes, codec: str, url: str) -> ParsedFeed | None:
    """The fast path for a document in ``codec`` that libxml2 is not trusted to decode
    (multi-byte legacy encodings: Shift_JIS, EUC-JP, EUC-KR, GB18030, Big5...), or None.

    feedparser decodes the bytes with Python's codec, replaces the XML declaration and
    parses UTF-8 (``encodings.convert_to_utf8``); this does the same, so both read the
    same characters (libxml2's iconv tables differ from Python's for some of these
    codecs). Only for a codec that reads ASCII bytes as ASCII (the checks on the raw
    bytes hold: no UTF-7, EBCDIC or UTF-16/32) and bytes that decode strictly with it
    (else feedparser falls back to other encodings, not reproduced here).
    """
    if codec.startswith(("utf-16", "utf-32")) or not _reads_ascii_as_ascii(codec):
        return None
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return parse_fast(text.encode("utf-8"), url=url, encoding="utf-8")


def _legacy_fast(data: bytes, codec: str) -> bool:
    """A single-byte encoding both libxml2 and feedparser read as declared: the bytes
    decode strictly with it."""
    if not codec.startswith(_SINGLE_BYTE_PREFIXES):
        return False
    if data.isascii():
        return True
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Decompress a gzip body served without Content-Encoding, within the size cap."""
    if not data.startswith(b"\x1f\x8b"):
        return data
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, max_bytes + 1)
    except zlib.error as exc:
        raise FeedParseError(f"corrupt gzip data: {exc}") from exc
    if len(out) > max_bytes:
        raise FeedParseError(f"feed is larger than {max_bytes} bytes after decompression")
    return out


def _prepare(data: bytes) -> tuple[bytes, set[str]]:
    """Repair what makes XML parsers give up before the first element.

    UTF-16/32 without BOM or XML declaration (XML 1.0 appendix F cannot detect it) is
    transcoded to UTF-8 (``encoding_repaired``); whitespace before ``<?xml`` is removed
    (``feed_malformed``: the declaration must come first).
    """
    if not data.startswith(tuple(bom for bom, _ in _WIDE_BOMS)):
        # The first match only: "<" in UTF-32-LE also starts like "<" in UTF-16-LE.
        encoding = next((enc for pattern, enc in _WIDE_PATTERNS if data.startswith(pattern)), "")
        if encoding and not data[:16].decode(encoding, "replace").startswith("<?"):
            text = data.decode(encoding, "replace")
            return text.encode("utf-8"), {QualityFlag.ENCODING_REPAIRED.value}
    bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
    if data[len(bom) : len(bom) + 1] not in (b" ", b"\t", b"\r", b"\n"):
        return data, set()  # (lstrip would copy the whole body just to look)
    stripped = data[len(bom) :].lstrip(b" \t\r\n")
    if stripped.startswith(b"<?xml"):
        return bom + stripped, {QualityFlag.FEED_MALFORMED.value}
    return data, set()


def _text_view(data: bytes) -> str:
    """The document as text good enough to look at its markup (not its exact text)."""
    for bom, encoding in _WIDE_BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    for pattern, encoding in _WIDE_PATTERNS:
        if data.startswith(pattern):
            return data.decode(encoding, "replace")
    if data.startswith(b"\x4c\x6f\xa7\x94"):  # "<?xm" in EBCDIC (XML 1.0 appendix F)
        return data.decode("cp037", "replace")
    return data.decode("latin-1")  # keeps every ASCII byte as it is, never fails


def _declares_entities(view: str) -> bool:
    """True if the markup holds ``<!ENTITY`` outside comments, processing instructions and
    CDATA sections.

    Entity declarations buy nothing in a feed and enable expansion bombs and external
    entity reads (XXE). CDATA is skipped so an article quoting a DTD stays readable. The
    scan reads markup in document order, so a ``<!--`` inside a processing instruction
    (``<?x <!-- ?><!ENTITY ...>``) does not open a comment that hides what follows.
    """
    i = _next_markup(view, 0)
    while i >= 0:
        if view.startswith("<?", i):
            end, width = view.find("?>", i + 2), 2
        elif view.startswith("<![CDATA[", i):
            end, width = view.find("]]>", i + 9), 3
        elif view.startswith("<!--", i):
            end, width = view.find("-->", i + 4), 3
        elif view[i : i + 8].upper() == "<!ENTITY":
            return True
        else:
            end, width = i, 2
        if end < 0:
            return False
        i = _next_markup(view, end + width)
    return False


def _next_markup(view: str, start: int) -> int:
    """Where the next ``<!`` or ``<?`` starts, or -1."""
    bang, question = view.find("<!", start), view.find("<?", start)
    if bang < 0 or question < 0:
        return max(bang, question)
    return min(bang, question)


def _markup_view(data: bytes, view: str) -> str:
    """The document as its XML parser will read its markup: :func:`_text_view`, unless the
    declared encoding does not read ASCII bytes as ASCII (UTF-7's ``+ADw-`` is ``<``, EBCDIC
    code pages), when the bytes are decoded as declared so the entity check sees what expat
    will see."""
    declared = _declared_encoding(data, view)
    if not declared:
        return view
    try:
        codec = codecs.lookup(declared).name
    except (LookupError, ValueError):  # no such codec (feedparser falls back to UTF-8)
        return view
    if codec.startswith(("utf-16", "utf-32")) or _reads_ascii_as_ascii(codec):
        return view
    try:
        return data.decode(codec, "replace")
    except (LookupError, UnicodeError):  # not a text codec
        return view


@functools.cache
def _reads_ascii_as_ascii(codec: str) -> bool:
    try:
        return _ASCII.decode(codec) == _ASCII.decode("ascii")
    except (LookupError, UnicodeError, ValueError):  # ValueError: a NUL byte in the name
        return False


def _parse_content_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    media_type = content_type.split(";", 1)[0].strip().lower()
    match = _CHARSET_RE.search(content_type)
    return media_type, match.group(1).lower() if match else None


def _parse_xml(
    data: bytes, view: str, charset: str | None, flags: set[str], url: str
) -> ParsedFeed:
    """feedparser with the right encoding hint; ``encoding_repaired`` if it had to differ."""
    # We read the XML declaration ourselves: feedparser misses one that spans lines.
    declared = charset or _declared_encoding(data, view)
    wide = data.startswith(tuple(p for p, _ in _WIDE_PATTERNS + _WIDE_BOMS))
    hint = charset or (None if wide else declared)
    if hint and _codec(hint) in _SINGLE_BYTE_WESTERN and not data.isascii() and _is_utf8(data):
        # Declared Latin-1 (or by HTTP, often a server default) but the bytes are valid
        # UTF-8 with multi-byte sequences: real Latin-1 text practically never is.
        hint = "utf-8"
        flags.add(QualityFlag.ENCODING_REPAIRED.value)
    elif hint is None and not wide and (guessed := guess_charset(data)):
        # No encoding said anywhere and the bytes are not UTF-8 (EUC-JP, GB2312, KOI8-R...):
        # without a hint feedparser reads them as Windows-1252.
        hint = guessed
    feed, used = parse_xml_feed(data, url=url, charset=hint)
    if _codec(declared or "utf-8") != _codec(used):
        flags.add(QualityFlag.ENCODING_REPAIRED.value)
    return replace(feed, flags=feed.flags | flags)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _declared_encoding(data: bytes, view: str) -> str | None:
    """The encoding the document states: its XML declaration, else its BOM, else None."""
    match = _XML_ENCODING_RE.match(view.lstrip("\ufeff"))
    if match:
        return match.group(1).strip()
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8"
    return next((enc for bom, enc in _WIDE_BOMS if data.startswith(bom)), None)


def _codec(name: str) -> str:
    """A comparable codec name: aliases merged, byte order and gb2312 -> gb18030 ignored."""
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):  # ValueError: a NUL byte in the name
        return "?" + name.lower()
    for family in ("utf-16", "utf-32"):
        if codec.startswith(family):
            return family
    return "gb18030" if codec == "gb2312" else codec  # feedparser upgrades gb2312 on purpose
