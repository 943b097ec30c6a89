"""The HTML reader in headless Chromium (Debian's ``chromium``), phone-sized.

A real uvicorn server on a socket this test binds (so no waiting for it to come up);
Chromium dumps the DOM and takes a screenshot at 390x844 (a phone). Chromium may talk only
to 127.0.0.1: every other host goes to a dead proxy. The screenshot is kept in the test's
tmp dir and copied to ``.local/screenshots/`` for people to look at.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from factories import make_item

from newswire.app.api.app import create_app
from newswire_consumers.store.sqlite_store import SqliteStore
from newswire_schemas.item import Content

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">Tide & <b>"storm"</b>'


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    store = SqliteStore(tmp_path / "store.db")
    store.upsert_many(
        [
            make_item(1, title="Harbour dredging begins after a long wait", text="Cranes arrived."),
            make_item(
                2,
                title=HOSTILE,
                content=Content(
                    html='<p>The harbour <a href="https://example.org/">board</a> met.</p>'
                    "<script>alert(1)</script>",
                    text="The harbour board met on Tuesday.\nIt voted for dredging.",
                ),
            ),
            *(make_item(i) for i in range(3, 12)),
        ]
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    config = uvicorn.Config(create_app(store), log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        store.close()


def chromium(tmp_path: Path, url: str, *args: str) -> str:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed (apt-get install -y chromium)")
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--no-pings",
        "--proxy-server=http://127.0.0.1:9",  # anything not on loopback goes nowhere
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=390,844",
        *args,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.timeout(150)
def test_search_and_read_on_a_phone_screen(server: str, tmp_path: Path) -> None:
    dom = chromium(tmp_path, f"{server}/?q=harbour", "--dump-dom")
    assert 'id="results"' in dom
    assert "Harbour dredging begins after a long wait" in dom
    # The hostile title is text: no <img> element was made from it, and no handler ran.
    assert "&lt;img src=x onerror=" in dom
    assert "data-pwned" not in dom

    item_id = make_item(2).item_id
    article = chromium(tmp_path, f"{server}/read/{item_id}", "--dump-dom")
    assert 'id="article"' in article and "It voted for dredging." in article
    assert '<iframe class="original" sandbox=""' in article
    assert "data-pwned" not in article

    shot = tmp_path / "reader-search.png"
    chromium(tmp_path, f"{server}/?q=harbour", f"--screenshot={shot}")
    assert png_size(shot) == (390, 844)
    assert shot.stat().st_size > 5_000  # a rendered page, not a blank one
    keep = REPO / ".local" / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, keep / "reader-search.png")
    article_shot = tmp_path / "reader-article.png"
    chromium(tmp_path, f"{server}/read/{item_id}", f"--screenshot={article_shot}")
    shutil.copy(article_shot, keep / "reader-article.png")
