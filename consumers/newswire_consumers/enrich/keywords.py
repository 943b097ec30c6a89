"""Keywords: the terms an item is most about, by frequency with the title weighted up.

Deliberately simple and fast (a few microseconds an item; the enrichment throughput budget is
0.5 ms for the whole chain): tokens of 3+ letters, minus stop words of the languages the
corpus carries most, counted in the body with title words counting ``TITLE_WEIGHT`` times.
Keywords are lower case and in descending score order (ties: first occurrence first).
"""

from __future__ import annotations

import re
from collections import Counter

MAX_KEYWORDS = 8
TITLE_WEIGHT = 3
MAX_CHARS = 5_000  # the head of an article says what it is about

_WORD_RE = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-][^\W\d_])+")

_STOP_TEXT = (
    # English
    "the and for are but not you all any can had her was one our out has have him his how its "
    "may new now old see two who did get let put say she too use that with this from they will "
    "would there their what about which when were been into than then them these some could "
    "other more also just only over such after first most said says like very your where while "
    "because being those through during before between under both each many much own same "
    "should here why yet per via off upon among onto year years told says according week "
    # German
    "der die das und den dem des ein eine einer eines einem einen ist sind war waren nicht mit "
    "auf für von zum zur bei nach aus auch als wie wird werden wurde hat haben noch nur oder "
    "aber sich sie ihr ihre wir uns man dass schon mehr sein seine seiner über unter vor am im "
    "bis durch gegen ohne um wenn kann können muss soll diese dieser dieses jetzt so es er "
    # French
    "les des une pour dans par sur est sont pas qui que avec plus son ses aux été être leur "
    "leurs mais comme ont cette ces tout tous elle ils nous vous fait sans entre dont après "
    # Spanish, Portuguese, Italian
    "los las del por con una uno para como más pero sus fue han era sobre este esta entre "
    "cuando también hasta desde muy sin porque todo ese esa eso ser está están dos "
    "não uma com para por mais dos das como foi pelo pela seu sua são também ele ela "
    "che della delle degli dei per con una non sono come anche alla nel nella più suo sua "
    "gli loro questo questa essere stato dopo tra"
)  # fmt: skip
_STOP_WORDS = frozenset(_STOP_TEXT.split())


def keywords(title: str, text: str) -> tuple[str, ...]:
    """Up to ``MAX_KEYWORDS`` keywords of an item. Pure and deterministic; never raises."""
    # Counter over findall runs in C; only the distinct words are looked at in Python.
    counts = Counter(_WORD_RE.findall(title.lower()))
    for word in counts:
        counts[word] *= TITLE_WEIGHT
    counts.update(_WORD_RE.findall(text[:MAX_CHARS].lower()))
    ranked = sorted(
        (w for w in counts if len(w) > 2 and w not in _STOP_WORDS and counts[w] > 1),
        key=counts.__getitem__,
        reverse=True,
    )  # stable: ties keep first-occurrence order (title first)
    return tuple(ranked[:MAX_KEYWORDS])
