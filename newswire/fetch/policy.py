"""The fetch policy every fetching service builds from its settings."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from newswire.fetch.fetcher import FetchPolicy
from newswire.settings import Settings


def user_agent(settings: Settings) -> str:
    """``user_agent``, or with ``contact_url`` set: ``newswire/<version> (+<contact_url>)``."""
    if settings.contact_url:
        try:
            release = version("newswire")
        except PackageNotFoundError:  # running from a source tree that was never installed
            release = "0"
        return f"newswire/{release} (+{settings.contact_url})"
    return settings.user_agent


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        total_timeout_s=settings.fetch_timeout_s,
        max_body_bytes=settings.fetch_max_bytes,
        user_agent=user_agent(settings),
        allow_networks=settings.fetch_allow_networks,
    )
