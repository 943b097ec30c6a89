"""Mojibake repair: text that was UTF-8, decoded once as Latin-1 or Windows-1252 and encoded
again ("lâ€™ancien", "attirÃ© prÃ¨s", "Ð² Ð¾Ð±ÑŠÑ") comes back as it was written.

Thirty captures of ../shared/corpus carry such text although their bytes decode cleanly: the
publisher's system double-encoded it before writing the feed, so no choice of charset for the
document fixes it. The repair is per string, after the feed was decoded, by ftfy's
``fix_encoding`` (Speer, *ftfy*), which re-encodes only sequences that are far likelier to be
mojibake than real text and leaves everything else alone (it does not touch quotes, dashes or
HTML, unlike ``fix_text``'s defaults).

ftfy scans a clean 1.5 KB string in about 230 µs, too slow for every field of every item. A
string is handed to it only when it holds a character that UTF-8 lead bytes turn into under
Latin-1/cp1252 (U+00C2-U+00F4) directly followed by one that continuation bytes turn into
(U+0080-U+00BF or a cp1252 punctuation mark): one C-level regex search, and ftfy decides.
"""

from __future__ import annotations

import re

import ftfy

# A lead byte 0xC2-0xF4 read as Latin-1, then a continuation byte 0x80-0xBF read as Latin-1
# or as cp1252 (whose 0x80-0x9F are the letters and punctuation listed after the range).
_SUSPECT = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)


def repair(text: str) -> str:
    """``text`` with double-encoded UTF-8 undone; the same object when nothing was found.

    Pure and idempotent: repairing a repaired string changes nothing.
    """
    if not _SUSPECT.search(text):
        return text
    fixed = ftfy.fix_encoding(text)
    return text if fixed == text else fixed
