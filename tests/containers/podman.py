"""Podman, as the container test uses it: through ``deploy/image.sh podman`` (this machine's
settings: runc, no default ulimits), remembering every container, volume and image it
creates so :meth:`Podman.clean_up` removes exactly those, and nothing it found.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from paths import REPO

IMAGE_SH = REPO / "deploy" / "image.sh"


class PodmanError(RuntimeError):
    """A podman command failed; the message has its command line and stderr."""


@dataclass
class Podman:
    """Podman calls of one test run; names it creates start with ``prefix``."""

    prefix: str
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    images_before: set[str] | None = None  # image ids found at the start (None: keep all)

    def __call__(self, *args: str, check: bool = True, timeout_s: float = 120.0) -> str:
        """Run ``podman ARGS``; its stdout. PodmanError when it fails and ``check``."""
        done = subprocess.run(
            [str(IMAGE_SH), "podman", *args],
            capture_output=True, text=True, timeout=timeout_s, check=False,
        )  # fmt: skip
        if check and done.returncode != 0:
            raise PodmanError(f"podman {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
        return done.stdout

    def image_ids(self) -> set[str]:
        return set(self("images", "--all", "--quiet", "--no-trunc").split())

    def has_image(self, ref: str) -> bool:
        done = subprocess.run(
            [str(IMAGE_SH), "podman", "image", "exists", ref], capture_output=True, check=False
        )
        return done.returncode == 0

    def inspect(self, kind: str, name: str) -> dict[str, object]:
        (doc,) = json.loads(self(kind, "inspect", name))
        assert isinstance(doc, dict)
        return doc

    def volume(self, name: str) -> Path:
        """Create volume ``<prefix>-<name>``; its path on this machine."""
        full = f"{self.prefix}-{name}"
        self("volume", "create", full)
        self.volumes.append(full)
        return Path(self("volume", "inspect", "--format", "{{.Mountpoint}}", full).strip())

    def run(self, name: str, image: str, options: list[str], command: list[str]) -> str:
        """Start container ``<prefix>-<name>`` from ``image`` (detached), with podman
        ``options`` and the image's arguments ``command``; its name."""
        full = f"{self.prefix}-{name}"
        self.containers.append(full)
        self("run", "--name", full, "--detach", *options, image, *command)
        return full

    def once(self, name: str, image: str, options: list[str], command: list[str]) -> str:
        """Run a one-off container ``<prefix>-<name>`` to its end; its output (PodmanError
        when it exits non-zero). Removed by :meth:`clean_up` like the others."""
        full = f"{self.prefix}-{name}"
        self.containers.append(full)
        return self("run", "--name", full, *options, image, *command, timeout_s=300)

    def status(self, name: str) -> str:
        return self("container", "inspect", "--format", "{{.State.Status}}", name).strip()

    def exit_code(self, name: str) -> int:
        return int(self("container", "inspect", "--format", "{{.State.ExitCode}}", name))

    def stop(self, name: str, timeout_s: int = 60) -> tuple[int, float]:
        """SIGTERM (SIGKILL after ``timeout_s``); (exit code, seconds to exit)."""
        started = time.monotonic()
        self("stop", "--time", str(timeout_s), name, timeout_s=timeout_s + 30)
        return self.exit_code(name), time.monotonic() - started

    def logs(self, name: str) -> str:
        done = subprocess.run(
            [str(IMAGE_SH), "podman", "logs", name],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        return done.stdout + done.stderr

    def clean_up(self, log_dir: Path | None = None) -> list[str]:
        """Remove what this run created (containers, volumes, tags, then the images its
        builds left); save each container's log in ``log_dir`` first. Returns problems."""
        problems = []
        for name in reversed(self.containers):
            if log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                (log_dir / f"{name}.log").write_text(self.logs(name))
            problems += self._try("rm", "--force", "--volumes", name)
        for volume in reversed(self.volumes):
            problems += self._try("volume", "rm", "--force", volume)
        for tag in reversed(self.tags):
            problems += self._try("rmi", tag)
        if self.images_before is not None:
            leftovers = self.image_ids() - self.images_before
            if leftovers:
                problems += self._try("rmi", "--force", *sorted(leftovers))
        self.containers, self.volumes, self.tags = [], [], []
        return problems

    def _try(self, *args: str) -> list[str]:
        try:
            self(*args)
        except (PodmanError, subprocess.TimeoutExpired) as exc:
            return [str(exc)]
        return []
