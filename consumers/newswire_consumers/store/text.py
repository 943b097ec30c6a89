"""The one definition of an item's body text and author names, shared by the full-text
index and the readers (CLI, page), so that what search matches is what a reader sees."""

from __future__ import annotations

from newswire.sanitizer import html_to_text
from newswire_schemas.item import Item


def body_text(item: Item) -> str:
    """The item's readable body: ``content.text``, else the summary with its tags stripped."""
    return item.content.text.strip() or html_to_text(item.summary)


def author_names(item: Item) -> list[str]:
    """Author names (falling back to e-mail), blanks and repeats dropped, order kept."""
    names = (a.name.strip() or a.email.strip() for a in item.authors)
    return list(dict.fromkeys(n for n in names if n))
