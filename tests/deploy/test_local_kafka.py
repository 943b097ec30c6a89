"""The local broker script (deploy/kafka/local-kafka.sh) formats storage with any cluster id
Kafka can make, including one that begins with "-": 16 random bytes in URL-safe base64
begin with "-" once in 64 ids, and a separate ``-t ID`` argument is then read as an option.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from private_postgres import free_port

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "deploy" / "kafka" / "local-kafka.sh"
DASH_ID = "-" + "A" * 21  # 22 characters of URL-safe base64: a valid 16-byte Kafka id

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(180)]


def _libs() -> Path:
    """The cached broker jars (fetched by the script on first use)."""
    version = re.search(r"NEWSWIRE_LOCAL_KAFKA_VERSION:-([\d.]+)", SCRIPT.read_text())
    assert version
    subprocess.run([SCRIPT, "fetch"], check=True, capture_output=True)
    return REPO / ".local" / "kafka" / f"libs-{version.group(1)}"


def test_storage_is_formatted_with_a_cluster_id_that_starts_with_a_dash(tmp_path: Path) -> None:
    libs = _libs()
    home = tmp_path / "kafka"
    home.mkdir()
    (home / libs.name).symlink_to(libs)
    port = free_port()
    (home / f"cluster-id-{port}").write_text(DASH_ID + "\n")
    env = dict(
        os.environ,
        NEWSWIRE_LOCAL_DIR=str(tmp_path),
        NEWSWIRE_LOCAL_KAFKA_PORT=str(port),
        NEWSWIRE_LOCAL_KAFKA_CONTROLLER_PORT=str(free_port()),
        NEWSWIRE_LOCAL_KAFKA_HEAP="256m",
    )
    done = subprocess.run([SCRIPT, "format"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    meta = (home / f"data-{port}" / "meta.properties").read_text()
    assert f"cluster.id={DASH_ID}\n" in meta

    # The control: the same id as a separate argument is taken for an option.
    control = subprocess.run(
        ["java", "-Xmx128m", "-cp", f"{libs}/*", "kafka.tools.StorageTool", "format",
         "-t", DASH_ID, "-c", str(home / f"server-{port}.properties")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert control.returncode != 0
    assert "expected one argument" in control.stderr
