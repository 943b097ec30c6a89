"""Canonical and safe URLs.

Two guarantees the rest of newswire builds on:

* ``canonicalize`` returns either ``""`` or an absolute ``http``/``https`` URL in one canonical
  spelling, so that the same article reached through different spellings (tracking
  parameters, fragments, default ports, host case, IDN vs punycode) meets on one key.
* ``safe_url`` returns either ``""`` or a URL whose scheme is ``http``, ``https`` or
  ``mailto``: the only schemes allowed in any URL field an item carries (DESIGN.md, "Safety of
  fetching and parsing").

Both are pure, total (they never raise on any ``str``) and idempotent.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

__all__ = ["TRACKING_PARAMS", "TRACKING_PREFIXES", "canonicalize", "safe_url"]

#: Query parameters that only identify a campaign or a click, never the resource.
TRACKING_PARAMS = frozenset({"fbclid", "gclid", "mc_cid", "mc_eid", "yclid", "_ga", "igshid"})
#: Prefixes of tracking parameters (Google Analytics campaign tags).
TRACKING_PREFIXES = ("utm_",)

_DEFAULT_PORTS = {"http": 80, "https": 443}
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Characters left as they are when re-quoting a path or query: RFC 3986 reserved and
# unreserved characters plus "%", so existing escapes are kept and quoting is idempotent.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
# What a DNS name may look like once IDNA-encoded ("_" occurs in real host names).
# A netloc with whitespace, controls or quoting characters names no host.
_BAD_NETLOC_RE = re.compile(r"[\x00-\x20\x7f\"<>\\^`{|}]")
_HOST_RE = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*$")


def _is_tracking(param: str) -> bool:
    name = unquote(param.split("=", 1)[0]).strip().lower()
    return name in TRACKING_PARAMS or name.startswith(TRACKING_PREFIXES)


def _resolve(url: str, base: str | None) -> str:
    url = url.strip()
    if base:
        url = urljoin(base.strip(), url)
    return url


def _canonical_host(hostname: str) -> str | None:
    """The host in lower case and ASCII (IDNA), or None if it cannot be a valid host."""
    host = hostname.strip().lower().rstrip(".")
    if not host:
        return None
    if ":" in host:  # an IPv6 literal: urlsplit removed the brackets
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError:
            return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    return ascii_host if _HOST_RE.match(ascii_host) else None


def canonicalize(url: str, base: str | None = None) -> str:
    """Return the canonical form of ``url`` (resolved against ``base``), or ``""``.

    Guarantees: the result is ``""`` or an absolute http(s) URL with a lower-case scheme and
    host (IDNA-encoded), no default port (80 for http, 443 for https), no fragment, no
    tracking parameters (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``mc_eid``, ``yclid``,
    ``_ga``, ``igshid``) and other parameters in their original order. An empty path becomes
    ``/``; characters not allowed in a URL are percent-encoded. ``canonicalize`` never
    raises and ``canonicalize(canonicalize(u)) == canonicalize(u)``.
    """
    try:
        parts = urlsplit(_resolve(url, base))
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or parts.hostname is None:
            return ""
        host = _canonical_host(parts.hostname)
        port = parts.port  # raises ValueError when the port is not a number in range
    except ValueError:
        return ""
    if host is None:
        return ""
    netloc = host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    if "@" in parts.netloc:
        userinfo = parts.netloc.rsplit("@", 1)[0]
        netloc = f"{quote(userinfo, safe=_PATH_SAFE.replace('@', ''))}@{netloc}"
    try:
        path = quote(parts.path, safe=_PATH_SAFE) or "/"
        kept = [p for p in parts.query.split("&") if p and not _is_tracking(p)]
        query = "&".join(quote(p, safe=_QUERY_SAFE) for p in kept)
    except UnicodeError:  # lone surrogates cannot be percent-encoded as UTF-8
        return ""
    return urlunsplit((scheme, netloc, path, query, ""))


def safe_url(url: str, base: str | None = None) -> str:
    """Return ``url`` (resolved against ``base``) if its scheme is http, https or mailto, else "".

    Unlike :func:`canonicalize` the URL keeps its query and fragment. Tabs and newlines
    inside the URL are removed first (as browsers do), so ``java\\nscript:`` is recognised
    and refused. Characters not allowed in a URL (spaces, controls, non-ASCII) are
    percent-encoded in the path, query and fragment (``jav ascript:x`` resolved against a
    base gives ``.../jav%20ascript:x``); a host holding any is refused. Never raises;
    idempotent.
    """
    try:
        parts = urlsplit(_resolve(url, base))
    except ValueError:
        return ""
    if parts.scheme.lower() not in _SAFE_SCHEMES:
        return ""
    if not (parts.netloc or (parts.scheme.lower() == "mailto" and parts.path)):
        return ""
    if _BAD_NETLOC_RE.search(parts.netloc):
        return ""
    try:
        path = quote(parts.path, safe=_PATH_SAFE)
        query = quote(parts.query, safe=_QUERY_SAFE)
        fragment = quote(parts.fragment, safe=_QUERY_SAFE + "#")
    except UnicodeError:  # lone surrogates cannot be percent-encoded as UTF-8
        return ""
    return urlunsplit((parts.scheme.lower(), parts.netloc, path, query, fragment))
