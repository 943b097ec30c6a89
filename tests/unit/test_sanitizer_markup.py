"""newswire/sanitizer.py on markup that html.parser trips on (the corpus fuzzing found
``<![CD%TA[``): every function returns, the rest of the fragment is still read; control
characters never reach the text."""

from __future__ import annotations

import pytest

from newswire.sanitizer import html_to_text, sanitize, text_line


@pytest.mark.parametrize(
    ("fragment", "dangerous", "text"),
    [
        ("<![CD%TA[ x", False, "<![CD%TA[ x"),
        ("<p>a<![if x]> b</p>", False, "a b"),
        ('<p>a<![CD%TA[ x <img src="x" onerror="y"></p>', True, "a<![CD%TA[ x"),
        ("<![FOO[ <script>alert(1)</script> after", True, "<![FOO[ after"),
    ],
)
def test_unknown_marked_sections_do_not_crash(fragment: str, dangerous: bool, text: str) -> None:
    assert sanitize(fragment, "https://a.example/").changed is dangerous
    assert html_to_text(fragment) == text
    assert text_line(fragment) == text


def test_control_characters_are_not_text() -> None:
    # "&#0;" in a title survives feedparser's loose parser as a NUL; subscribers must never
    # see one (in HTML, "&#0;" itself is U+FFFD).
    assert html_to_text("a\x00b\x01c<p>d\x7fe\tf</p>") == "abc\n\nde f"
    assert text_line("x\x00y") == "xy"
