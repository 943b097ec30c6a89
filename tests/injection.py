"""HTML and URL injection payloads and the scan for dangerous survivors (shared by
tests/unit/test_sanitizer_injection.py and the security report).

Every payload goes through the whole path a subscriber sees (feed bytes -> parse ->
normalize -> enrich) and, for defence in depth, straight into the enrichment chain as an
item's HTML. Then every string field of the enriched item is scanned: HTML fields for
dangerous elements, ``on*`` handlers and non-http(s)/mailto URLs (entities decoded,
whitespace and control characters squeezed the way browsers do); URL fields for anything
but http(s)/mailto; the short text fields (title, names, categories, keywords) for
markup that a browser would parse.
"""

from __future__ import annotations

import csv
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from factories import make_item
from paths import CORPUS

from newswire.errors import FeedParseError
from newswire_consumers.enrich.chain import enrich
from newswire_consumers.enrich.extract import Article
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed
from newswire_schemas import Content, Item

NOW = datetime(2026, 3, 1, tzinfo=UTC)

PAYLOADS = [
    '<a href="javascript:alert(1)">plain</a>',
    '<a href="JaVaScRiPt:alert(1)">mixed case</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">dec</a>',
    '<a href="&#x6A;&#x61;&#x76;&#x61;script&#x3A;alert(1)">hex entities</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab entity</a>',
    '<a href="jav\tascript:alert(1)">raw tab</a>',
    '<a href="jav\nascript:alert(1)">raw newline</a>',
    '<a href=" \x01javascript:alert(1)">leading control</a>',
    '<a href="javascript&colon;alert(1)">colon entity</a>',
    '<a href="javascript&#58;alert(1)">colon numeric</a>',
    '<a href="vbscript:msgbox(1)">vbscript</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<a href="file:///etc/passwd">file</a>',
    '<img src="x" onerror="alert(1)">',
    '<p onclick="alert(1)" onmouseover="alert(2)">handlers</p>',
    '<body onload="alert(1)">body</body>',
    '<svg><a xlink:href="javascript:alert(1)"><text>svg</text></a></svg>',
    "<svg><script>alert(1)</script></svg>",
    '<svg onload="alert(1)"></svg>',
    '<math><maction actiontype="statusline" xlink:href="javascript:alert(1)">m</maction></math>',
    '<math href="javascript:alert(1)">mathml href</math>',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<form action="https://evil.example/"><input name="pw"><button formaction="javascript:x">'
    "go</button></form>",
    '<object data="javascript:alert(1)"></object><embed src="javascript:alert(1)">',
    "<script>alert(1)</script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<div style="background:url(javascript:alert(1))">style attr</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    '<a href="https://ok.example/" target="_blank" rel="opener">ok link</a>',
    "&lt;script&gt;alert(1)&lt;/script&gt; encoded markup shown as text",
    '<img src="https://ok.example/a.png" srcset="javascript:alert(1) 1x">',
    '<video poster="javascript:alert(1)" src="javascript:alert(2)"></video>',
    '<a href="//evil.example/protocol-relative">protocol relative</a>',
    "<!--<script>alert(1)</script>--> comment",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<a href="java&#0000000script:alert(1)">null padding</a>',
]
DANGEROUS_URLS = [
    "javascript:alert(1)",
    " javascript:alert(1)",
    "jav\tascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
]

_BAD_TAGS = frozenset(
    {"script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
     "input", "button", "textarea", "select", "meta", "link", "base", "svg", "math", "body",
     "html", "video", "audio", "source"}
)  # fmt: skip
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
_URL_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster",
                        "background", "lowsrc", "dynsrc", "cite", "srcset", "srcdoc"})  # fmt: skip


class _Scanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BAD_TAGS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag}[{name}]")
            elif name in _URL_ATTRS and value is not None and not _safe_url(value):
                self.found.append(f"{tag}[{name}={value[:30]!r}]")


def _safe_url(url: str) -> bool:
    """http(s) or mailto once whitespace and controls are squeezed out, as browsers do
    (WHATWG URL: tabs and newlines are removed anywhere, C0 and spaces trimmed)."""
    squeezed = "".join(c for c in url if c > " ")
    return bool(_SAFE_URL.match(squeezed)) and not squeezed.lower().startswith("https:javascript")


def html_survivors(fragment: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(fragment)
    scanner.close()
    return scanner.found


def survivors(item: Item) -> list[str]:
    """Every dangerous thing left in any output field of ``item``."""
    found = [f"content.html {s}" for s in html_survivors(item.content.html)]
    found += [f"summary {s}" for s in html_survivors(item.summary)]
    urls = [("link", item.link), *(("enclosure", e.url) for e in item.enclosures)]
    urls += [("author.uri", a.uri) for a in item.authors]
    if item.enrichment is not None:
        urls.append(("lead_image", item.enrichment.lead_image))
    found += [f"{name} {url!r}" for name, url in urls if url and not _safe_url(url)]
    for name, value in _text_fields(item):
        found += [f"{name} {s} in {value[:60]!r}" for s in html_survivors(value)]
    return found


def _text_fields(item: Item) -> Iterator[tuple[str, str]]:
    yield "title", item.title
    yield "feed_title", item.feed_title
    # Not content.text: it is plain text by contract (content.html is its safe HTML form),
    # and a literal "<script>" in it is text the author wrote (articles about code: the
    # corpus' kagi, pypy and feedburner feeds) that must reach readers unchanged.
    yield from (("category", c) for c in item.categories)
    yield from (("author.name", a.name) for a in item.authors)
    if item.enrichment is not None:
        yield from (("keyword", k) for k in item.enrichment.keywords)
        yield "publisher_domain", item.enrichment.publisher_domain


def _rss(payload: str, url: str) -> bytes:
    escaped = html.escape(payload)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Injection {escaped}</title><link>https://feed.example/</link>
<item><title>{escaped}</title><link>{html.escape(url)}</link><guid>{html.escape(url)}1</guid>
<description>{escaped}</description>
<content:encoded><![CDATA[{payload.replace("]]>", "")} <p>Article words.</p>]]></content:encoded>
<enclosure url="{html.escape(url)}" type="image/png" length="1"/>
<category>{escaped}</category><author>x@example.com ({escaped})</author></item>
</channel></rss>""".encode()


def _through_pipeline(data: bytes) -> list[Item]:
    try:
        feed = parse_feed(data, url="https://feed.example/feed.xml")
    except FeedParseError:
        return []
    items = normalize(feed, feed_url="https://feed.example/feed.xml", fetched=NOW)
    return [enrich(item, NOW) for item in items]


def _corpus_cases(root: Path) -> list[str]:
    """The feedparser sanitizer cases, and every corpus file carrying script-ish payloads."""
    with (root / "MANIFEST.tsv").open(encoding="utf-8") as fh:
        files = [row["file"] for row in csv.DictReader(fh, delimiter="\t")]
    pattern = re.compile(rb"javascript:|vbscript:|onerror|onload|<script|&lt;script", re.I)
    return [
        name for name in files if "sanitize" in name or pattern.search((root / name).read_bytes())
    ]


def injection_run(root: Path = CORPUS) -> tuple[int, list[tuple[str, Item]], list[str]]:
    """Every payload, and every case of the corpus at ``root``, through the pipeline and the
    chain: (corpus files, enriched items, dangerous survivors as "where: what")."""
    enriched: list[tuple[str, Item]] = []
    for i, payload in enumerate(PAYLOADS):
        url = DANGEROUS_URLS[i % len(DANGEROUS_URLS)]
        enriched += [(f"feed #{i}", it) for it in _through_pipeline(_rss(payload, url))]
        # Straight into the chain: as feed HTML, as summary, and as an article page.
        raw: dict[str, Any] = {"content": Content(html=payload), "summary": payload}
        item = make_item(i).model_copy(update=raw)
        enriched.append((f"chain #{i}", enrich(item, NOW)))
        page = Article(html=payload + "<p>words</p>", image=url)
        enriched.append((f"article #{i}", enrich(make_item(i), NOW, article=page)))
    cases = _corpus_cases(root)
    for name in cases:
        enriched += [(name, it) for it in _through_pipeline((root / name).read_bytes())]
    found = [f"{where}: {s}" for where, item in enriched for s in survivors(item)]
    return len(cases), enriched, found


# Payloads that are dangerous as they stand (not the safe link, not the split-tag trick).
_CONTROL_PAYLOADS = [p for p in PAYLOADS if "ok.example" not in p and "<scr<" not in p][:31]


def unsanitized_caught() -> int:
    """The control: raw payloads put straight into an item's fields, unsanitized. Returns
    how many the scan catches in every field (all of them, or the scan is blind)."""
    caught = 0
    for payload in _CONTROL_PAYLOADS:
        as_html = make_item(0).model_copy(update={"content": Content(html=payload)})
        as_title = make_item(0).model_copy(update={"title": payload, "summary": payload})
        caught += bool(survivors(as_html) and survivors(as_title))
    for url in DANGEROUS_URLS:
        caught += bool(survivors(make_item(0).model_copy(update={"link": url})))
    return caught


CONTROL_CASES = len(_CONTROL_PAYLOADS) + len(DANGEROUS_URLS)
