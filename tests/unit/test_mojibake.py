"""Mojibake repair (producers/newswire_producers/normalize/mojibake.py): double-encoded UTF-8 comes
back as it was written; real text in any script, including characters that look like mojibake's
ingredients, is left alone."""

from __future__ import annotations

import pytest

from newswire_producers.normalize.mojibake import repair

REPAIRED = [
    ("lâ€™ancien a attirÃ© prÃ¨s dâ€™un millier", "l’ancien a attiré près d’un millier"),
    ("um zu Ã¼berleben, in den Abgrund zu reiÃŸen", "um zu überleben, in den Abgrund zu reißen"),
    ("Ð² Ð¾Ð±ÑŠÑ\x8fÐ²Ð»ÐµÐ½ Â«Ð¾Ñ€Ð°Ð½Ð¶ÐµÐ²Ñ‹Ð¹Â»", "в объявлен «оранжевый»"),
    ("details â€” network agreements", "details — network agreements"),
    ('<p>lâ€™ancien <a href="https://a.example/">ministre</a></p>', '<p>l’ancien <a href="https://a.example/">ministre</a></p>'),
]  # fmt: skip

UNTOUCHED = [
    "",
    "plain ASCII, nothing to see",
    "The president-elect’s “déjà vu” — in Zürich, São Paulo and Москва",
    "Ångström, Ñandú, Øresund, Ça va, Ébène",  # capital letters from the lead-byte range
    "un café» sans espace",  # é then » : the prefilter's pair, real French all the same
    "日本語のテキスト、한국어 텍스트, ภาษาไทย",
]


@pytest.mark.parametrize(("broken", "fixed"), REPAIRED)
def test_double_encoded_utf8_is_repaired(broken: str, fixed: str) -> None:
    assert repair(broken) == fixed
    assert repair(fixed) == fixed  # idempotent


@pytest.mark.parametrize("text", UNTOUCHED)
def test_real_text_is_left_alone(text: str) -> None:
    assert repair(text) is text
