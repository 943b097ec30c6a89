"""The HTML reader: a search page and an article page, rendered on the server.

No JavaScript and no external assets: the page works under a strict Content-Security-Policy
(see :data:`CSP`). Feed text is untrusted: every value goes through :func:`html.escape`.
The item's own HTML (sanitized by the enrich stage, but still third-party markup) is shown
only inside ``<iframe sandbox srcdoc=...>``: no scripts, no forms, no navigation of the
page, an opaque origin, and the page's CSP (no remote images or styles) applies to it.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import urlencode

from newswire.app.render import format_date
from newswire_consumers.store.text import author_names, body_text
from newswire_schemas.item import Item

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
LANGUAGES = ("", "en", "de", "fr", "es", "it", "nl", "pt")


def e(text: object) -> str:
    """Escape for HTML text and quoted attribute values."""
    return html.escape(str(text), quote=True)


def _layout(title: str, body: str, query: str = "", language: str = "") -> str:
    options = "".join(
        f'<option value="{e(code)}"{" selected" if code == language else ""}>'
        f"{e(code or 'any language')}</option>"
        for code in (*LANGUAGES, *([language] if language not in LANGUAGES else []))
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{e(title)}</title>
<link rel="stylesheet" href="/static/page.css">
</head>
<body>
<header>
<a class="home" href="/">newswire</a>
<form class="search" method="get" action="/" role="search">
<input type="search" name="q" value="{e(query)}" placeholder="Search news" aria-label="Search">
<select name="language" aria-label="Language">{options}</select>
<button type="submit">Search</button>
</form>
</header>
<main>
{body}
</main>
</body>
</html>
"""


def _meta(item: Item) -> str:
    parts = [", ".join(author_names(item)), item.feed_title or item.feed_url]
    if item.published is not None:
        parts.append(format_date(item.published))
    return " · ".join(e(p) for p in parts if p)


def search_page(
    query: str,
    language: str,
    hits: Sequence[tuple[Item, str]],
    next_href: str | None,
) -> str:
    """The search form and its results (newest items when ``query`` is empty)."""
    if hits:
        rows = "\n".join(
            f'<li><a href="/read/{e(item.item_id)}">{e(item.title or "(untitled)")}</a>'
            f'<div class="meta">{_meta(item)}</div>'
            f'<p class="snippet">{e(snippet)}</p></li>'
            for item, snippet in hits
        )
        body = f'<ol class="hits" id="results">\n{rows}\n</ol>'
    else:
        body = '<p class="empty" id="results">No items match.</p>'
    if next_href:
        body += f'<nav class="pager"><a rel="next" href="{e(next_href)}">More</a></nav>'
    heading = f"Results for “{query}”" if query else "Latest news"
    return _layout(f"{heading} · newswire", f"<h2>{e(heading)}</h2>\n{body}", query, language)


def article_page(item: Item) -> str:
    """One item as an article: title, byline, text, the original HTML sandboxed, source."""
    paragraphs = "\n".join(
        f"<p>{e(p)}</p>" for p in body_text(item).replace("\r\n", "\n").split("\n") if p.strip()
    )
    original = ""
    if item.content.html.strip():
        original = (
            "<details><summary>Original formatting</summary>"
            # sandbox="" = every restriction: no scripts, forms, popups, same-origin access.
            f'<iframe class="original" sandbox="" referrerpolicy="no-referrer" '
            f'title="Original formatting" srcdoc="{e(item.content.html)}"></iframe>'
            "</details>"
        )
    link = item.link or item.feed_url
    source = (
        f'<p class="meta">Source: <a href="{e(link)}" rel="noopener noreferrer nofollow">'
        f"{e(link)}</a></p>"
        if link.startswith(("http://", "https://"))
        else ""
    )
    story = (
        f'<p class="meta"><a href="/?{e(urlencode({"story": item.story_id}))}">'
        "Other reports of this story</a></p>"
        if item.story_id
        else ""
    )
    body = (
        f'<article id="article"><h1>{e(item.title or "(untitled)")}</h1>'
        f'<div class="meta">{_meta(item)}</div>\n{paragraphs}\n{original}\n{source}{story}'
        "</article>"
    )
    return _layout(f"{item.title or '(untitled)'} · newswire", body)


def not_found_page(what: str) -> str:
    return _layout("Not found · newswire", f'<p class="empty">{e(what)} was not found.</p>')
