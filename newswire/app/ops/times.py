"""Times as operators type them, the same for every command: an RFC 3339 time or a date
(``2026-11-28T12:00:00Z``, ``2026-11-28``; no zone means UTC) or a duration ago (``90s``,
``15m``, ``2h``, ``1d``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from newswire.errors import ConfigError

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_time(text: str, option: str = "--since", now: datetime | None = None) -> datetime:
    """``text`` as a UTC time. Raises :class:`ConfigError` naming ``option`` for anything
    that is neither a time nor a duration."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(
            f"{option} {text!r} is neither a time (2026-11-28T12:00:00Z) nor a duration (2h)"
        ) from exc
    try:
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except OverflowError as exc:
        raise ConfigError(f"{option} {text!r} is outside the representable range") from exc
