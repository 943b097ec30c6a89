"""Canonical and safe URLs: a table of known cases plus properties over generated URLs."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire_producers.normalize.canonical_url import TRACKING_PARAMS, canonicalize, safe_url


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        # scheme and host case, default ports, fragment, empty path
        ("HTTP://Example.COM/Path", None, "http://example.com/Path"),
        ("https://example.com:443/a", None, "https://example.com/a"),
        ("http://example.com:80/a", None, "http://example.com/a"),
        ("https://example.com:80/a", None, "https://example.com:80/a"),
        ("http://example.com:8080", None, "http://example.com:8080/"),
        ("https://example.com/a#section-2", None, "https://example.com/a"),
        ("https://example.com", None, "https://example.com/"),
        ("https://example.com./a", None, "https://example.com/a"),
        ("  https://example.com/a \n", None, "https://example.com/a"),
        # tracking parameters go, the others keep their order and spelling
        (
            "https://ex.com/a?b=2&utm_source=rss&a=1&utm_medium=feed&fbclid=x",
            None,
            "https://ex.com/a?b=2&a=1",
        ),
        (
            "https://ex.com/?gclid=1&mc_cid=2&mc_eid=3&yclid=4&_ga=5&igshid=6",
            None,
            "https://ex.com/",
        ),
        ("https://ex.com/?UTM_Campaign=x&q=news", None, "https://ex.com/?q=news"),
        ("https://ex.com/?utm%5Fsource=x&q", None, "https://ex.com/?q"),
        ("https://ex.com/?q=a+b&empty=&&flag", None, "https://ex.com/?q=a+b&empty=&flag"),
        ("https://ex.com/?utm=keep", None, "https://ex.com/?utm=keep"),
        # relative references against a base
        ("/story/1?utm_source=x", "https://news.example/feed.xml", "https://news.example/story/1"),
        (
            "story/1",
            "https://news.example/section/feed.xml",
            "https://news.example/section/story/1",
        ),
        ("../up", "https://news.example/a/b/", "https://news.example/a/up"),
        ("//cdn.example/x", "https://news.example/", "https://cdn.example/x"),
        ("https://other.example/x", "https://news.example/", "https://other.example/x"),
        # international names and characters
        ("https://Bücher.example/ü?q=é", None, "https://xn--bcher-kva.example/%C3%BC?q=%C3%A9"),
        ("https://ex.com/a b", None, "https://ex.com/a%20b"),
        ("https://ex.com/%7Euser", None, "https://ex.com/%7Euser"),
        ("http://[2001:DB8::1]:8080/x", None, "http://[2001:db8::1]:8080/x"),
        # not http(s), or not a URL at all
        ("javascript:alert(1)", None, ""),
        ("JaVaScRiPt:alert(1)", "https://ex.com/", ""),
        ("mailto:someone@example.com", None, ""),
        ("ftp://example.com/file", None, ""),
        ("data:text/html,<script>x</script>", None, ""),
        ("/relative/without/base", None, ""),
        ("", None, ""),
        ("https://", None, ""),
        ("http://exa mple.com/", None, ""),
        ("http://example.com:99999/", None, ""),
        ("http://[not-ipv6]/", None, ""),
    ],
)
def test_canonicalize_table(url: str, base: str | None, expected: str) -> None:
    assert canonicalize(url, base) == expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://ex.com/a?utm_source=x#frag", None, "https://ex.com/a?utm_source=x#frag"),
        ("HTTP://ex.com/a", None, "http://ex.com/a"),
        ("mailto:a@example.com", None, "mailto:a@example.com"),
        ("/img.png", "https://ex.com/post/", "https://ex.com/img.png"),
        ("javascript:alert(1)", None, ""),
        ("java\nscript:alert(1)", None, ""),
        (" javascript:alert(1)", "https://ex.com/", ""),
        ("vbscript:msgbox", None, ""),
        ("data:image/png;base64,AAAA", None, ""),
        ("file:///etc/passwd", None, ""),
        ("/relative", None, ""),
        ("mailto:", None, ""),
        ("", None, ""),
    ],
)
def test_safe_url_table(url: str, base: str | None, expected: str) -> None:
    assert safe_url(url, base) == expected


# --- properties ---------------------------------------------------------------------------

_TRACKING_NAMES = [*sorted(TRACKING_PARAMS), "utm_source", "utm_medium", "UTM_Term", "utm_x"]
_plain_name = st.from_regex(r"\A[a-z]{1,6}\Z").filter(
    lambda n: n not in TRACKING_PARAMS and not n.startswith("utm_")
)
_value = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="&#"), max_size=8)


@st.composite
def _urls(draw: st.DrawFn) -> str:
    """URL-shaped strings: a mix of schemes, hosts, ports, paths, params and fragments."""
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "ftp", "javascript", "mailto", ""]))
    host = draw(
        st.one_of(
            st.from_regex(r"\A[a-zA-Z0-9-]{1,10}(\.[a-zA-Z]{2,5}){1,2}\Z"),
            st.sampled_from(["bücher.de", "例え.jp", "[::1]", "127.0.0.1", "EXAMPLE.com."]),
            st.text(max_size=6),
        )
    )
    port = draw(st.sampled_from(["", ":80", ":443", ":8080", ":0", ":x"]))
    path = draw(st.text(max_size=12))
    params = draw(
        st.lists(
            st.tuples(st.one_of(_plain_name, st.sampled_from(_TRACKING_NAMES)), _value),
            max_size=5,
        )
    )
    query = "&".join(f"{k}={v}" for k, v in params)
    fragment = draw(st.sampled_from(["", "#top", "#!/route"]))
    prefix = f"{scheme}://" if scheme else draw(st.sampled_from(["", "//"]))
    return f"{prefix}{host}{port}/{path}{'?' + query if query else ''}{fragment}"


_any_url = st.one_of(_urls(), st.text(max_size=40))
_bases = st.one_of(st.none(), st.sampled_from(["https://news.example/a/b.xml", "javascript:x"]))


@settings(max_examples=400)
@given(_any_url, _bases)
def test_canonicalize_is_idempotent(url: str, base: str | None) -> None:
    once = canonicalize(url, base)
    assert canonicalize(once) == once


@settings(max_examples=400)
@given(_any_url, _bases)
def test_canonicalize_returns_only_http_urls(url: str, base: str | None) -> None:
    result = canonicalize(url, base)
    if result:
        parts = urlsplit(result)
        assert parts.scheme in ("http", "https")
        assert parts.hostname
        assert not parts.fragment
        assert result.isascii() and " " not in result


@settings(max_examples=300)
@given(
    st.lists(st.tuples(_plain_name, st.from_regex(r"\A[a-z0-9]{0,4}\Z")), max_size=5),
    st.lists(st.sampled_from(_TRACKING_NAMES), min_size=1, max_size=4),
    st.randoms(use_true_random=False),
)
def test_tracking_params_are_removed_and_others_keep_their_order(
    kept: list[tuple[str, str]], tracking: list[str], rnd: random.Random
) -> None:
    params = [f"{k}={v}" for k, v in kept] + [f"{t}=1" for t in tracking]
    rnd.shuffle(params)
    result = canonicalize("https://ex.com/p?" + "&".join(params))
    query = urlsplit(result).query
    names = [p.split("=", 1)[0] for p in query.split("&") if p]
    assert not {n.lower() for n in names} & {t.lower() for t in _TRACKING_NAMES}
    expected = [p.split("=", 1)[0] for p in params if not p.lower().startswith(("utm_",))]
    expected = [n for n in expected if n not in TRACKING_PARAMS]
    assert names == expected


@settings(max_examples=300)
@given(_any_url, _bases)
def test_safe_url_allows_only_safe_schemes_and_is_idempotent(url: str, base: str | None) -> None:
    result = safe_url(url, base)
    if result:
        assert urlsplit(result).scheme in ("http", "https", "mailto")
    assert safe_url(result) == result
