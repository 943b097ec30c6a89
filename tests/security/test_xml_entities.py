"""Security: XXE and entity expansion. Documents that declare entities are refused
before any XML parser runs (DESIGN.md); external entities, external DTDs and XInclude are
never resolved: no file content in the items, no request to the 127.0.0.1 server they name.

Among them, spellings that once hid a declaration from the check (found by this suite): a
``<!--`` inside a processing instruction, and encodings that do not read ASCII bytes as ASCII
(UTF-7, EBCDIC), where the check now reads the document as declared.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from route_server import Server, serve
from scenario_report import Report, ScenarioResult

from newswire.errors import FeedParseError
from newswire_producers.normalize.normalizer import normalize
from newswire_producers.parse.parser import parse_feed

SECRET = "/etc/hostname"  # exists on every Linux box; its content must never show up
LAUGHS = "".join(
    [f'<!ENTITY l0 "{"a" * 10}">']
    + [f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)]
)


def rss(doctype: str = "", title: str = "t", decl: str = '<?xml version="1.0"?>') -> str:
    return (
        f'{decl}{doctype}<rss version="2.0"><channel><title>t</title><item><title>{title}'
        "</title><link>https://news.example/1</link></item></channel></rss>"
    )


def documents(dtd_url: str) -> dict[str, bytes]:
    """Name -> hostile document; ``dtd_url`` is the 127.0.0.1 server's DTD route."""
    xxe_file = f'<!DOCTYPE rss [<!ENTITY e SYSTEM "file://{SECRET}">]>'
    return {
        "billion laughs": rss(f"<!DOCTYPE rss [{LAUGHS}]>", "&l9;").encode(),
        "quadratic blowup": rss(
            f'<!DOCTYPE rss [<!ENTITY e "{"x" * 50_000}">]>', "&e;" * 2000
        ).encode(),
        "XXE file": rss(xxe_file, "&e;").encode(),
        "XXE http": rss(f'<!DOCTYPE rss [<!ENTITY e SYSTEM "{dtd_url}">]>', "&e;").encode(),
        "parameter entity http": rss(
            f'<!DOCTYPE rss [<!ENTITY % p SYSTEM "{dtd_url}"> %p;]>', "&e;"
        ).encode(),
        "billion laughs in UTF-16 (BOM)": rss(f"<!DOCTYPE rss [{LAUGHS}]>", "&l9;").encode(
            "utf-16"
        ),
        "XXE in UTF-16LE without BOM": rss(xxe_file, "&e;", decl="").encode("utf-16-le"),
        "XXE in UTF-32 (BOM)": rss(xxe_file, "&e;").encode("utf-32"),
        "declaration after CDATA": rss(f"<!DOCTYPE rss [<![CDATA[x]]>{LAUGHS}]>", "&l9;").encode(),
        "declaration after a comment": rss(
            f"<!DOCTYPE rss [<!-- x -->{xxe_file[15:-2]}]>"
        ).encode(),
        "gzip-wrapped XXE": gzip.compress(rss(xxe_file, "&e;").encode()),
        # a processing instruction holding "<!--" must not open a comment for the check
        "PI hides the declaration": rss(
            '<!DOCTYPE rss [<?x <!-- ?><!ENTITY e "EXPANDED"><?y --> ?>]>', "&e;"
        ).encode(),
        "PI hides an external entity": rss(
            f'<!DOCTYPE rss [<?x <!-- ?><!ENTITY e SYSTEM "file://{SECRET}"><?y --> ?>]>', "&e;"
        ).encode(),
        # the check must read the bytes in the declared encoding, as feedparser does
        "UTF-7": rss(
            "<!DOCTYPE rss [+ADw-!ENTITY e +ACI-EXPANDED+ACI-+AD4-]>",
            "&e;",
            decl='<?xml version="1.0" encoding="utf-7"?>',
        ).encode(),
        "EBCDIC cp500": rss(
            '<!DOCTYPE rss [<!ENTITY e "EXPANDED">]>',
            "&e;",
            decl='<?xml version="1.0" encoding="cp500"?>',
        ).encode("cp500"),
    }


def non_refused(dtd_url: str) -> dict[str, bytes]:
    """Hostile documents without an entity declaration: parsed, nothing resolved."""
    return {
        "external DTD": rss(f'<!DOCTYPE rss SYSTEM "{dtd_url}">').encode(),
        "external DTD with PUBLIC id": rss(f'<!DOCTYPE rss PUBLIC "-//x//y" "{dtd_url}">').encode(),
        "XInclude": rss(title="t")
        .replace(
            "<item>",
            '<item xmlns:xi="http://www.w3.org/2001/XInclude">'
            f'<description><xi:include href="file://{SECRET}" parse="text"/></description>',
        )
        .encode(),
    }


@pytest.fixture
def dtd_server() -> Iterator[Server]:
    for server in serve("127.0.0.1"):
        server.routes["/evil.dtd"] = lambda h: h.reply(200, b'<!ENTITY e "FROM-THE-DTD">')
        yield server


def outcome(data: bytes) -> tuple[str, str]:
    """("refused", reason) or ("parsed", every text of every item)."""
    try:
        items = normalize(
            parse_feed(data, url="https://news.example/feed"),
            feed_url="https://news.example/feed",
            fetched=datetime.now(UTC),
        )
    except FeedParseError as exc:
        return "refused", str(exc)
    texts = [f"{i.title} {i.summary} {i.content.html} {i.content.text}" for i in items]
    return "parsed", " ".join(texts)


def leaked(text: str) -> bool:
    secret = Path(SECRET).read_text().strip()
    return bool(secret and secret in text) or "FROM-THE-DTD" in text


@pytest.mark.parametrize("name", list(documents("")))
def test_entity_declarations_are_refused(name: str, dtd_server: Server) -> None:
    kind, detail = outcome(documents(dtd_server.url("/evil.dtd"))[name])
    assert (kind, detail) == ("refused", "entity declarations are not allowed")
    assert dtd_server.connections == 0


@pytest.mark.parametrize("name", list(non_refused("")))
def test_external_dtds_and_xinclude_are_never_resolved(name: str, dtd_server: Server) -> None:
    kind, text = outcome(non_refused(dtd_server.url("/evil.dtd"))[name])
    assert kind == "parsed" and not leaked(text)
    assert dtd_server.connections == 0


@pytest.mark.reliability
def test_xml_entity_scenario(dtd_server: Server, report: Report) -> None:
    url = dtd_server.url("/evil.dtd")
    refused = {n: outcome(d) for n, d in documents(url).items()}
    parsed = {n: outcome(d) for n, d in non_refused(url).items()}
    texts = [t for k, t in parsed.values() if k == "parsed"]
    not_refused = [n for n, (k, _) in refused.items() if k != "refused"]
    entry = ScenarioResult(
        name="security: XXE and entity expansion",
        items=len(refused) + len(parsed),
        lost=0,
        duplicates=0,
        fault_evidence={
            "refused": len(refused) - len(not_refused),
            "parsed_without_resolving": len(parsed),
            "requests_to_the_dtd_server": dtd_server.connections,
            "leaked_file_or_dtd_text": sum(leaked(t) for t in texts),
            "longest_item_text": max(len(t) for t in texts),
        },
        control_detected=None,
        notes="; ".join(f"{n} not refused" for n in not_refused),
    )
    entry.judge(evidence_keys=("refused",))
    entry.passed = entry.passed and not entry.notes and dtd_server.connections == 0
    report.add(entry)
    assert not not_refused and dtd_server.connections == 0
    assert not entry.fault_evidence["leaked_file_or_dtd_text"]
    assert entry.fault_evidence["longest_item_text"] < 1_000_000
