"""Hand-written sentence templates for the demo news site, one bank per topic.

Kept in code rather than data files so the wheel carries them and mypy checks their shape.
"""

from __future__ import annotations

from newswire.app.demo.phrasebank.features import CULTURE, SCIENCE, SPORT, TECHNOLOGY
from newswire.app.demo.phrasebank.news import CLIMATE, ECONOMY, HEALTH, LOCAL, POLITICS
from newswire.app.demo.phrasebank.topic import (
    CAPTIONS,
    CIVIC_BODY,
    CLOSERS,
    QUOTE_ATTRIBUTIONS,
    SHARED_BODY,
    TopicBank,
)

TOPICS: dict[str, TopicBank] = {
    bank.name: bank
    for bank in (
        POLITICS, ECONOMY, CLIMATE, SCIENCE, SPORT, TECHNOLOGY, HEALTH, CULTURE, LOCAL,
    )
}  # fmt: skip

__all__ = [
    "CAPTIONS",
    "CIVIC_BODY",
    "CLOSERS",
    "QUOTE_ATTRIBUTIONS",
    "SHARED_BODY",
    "TOPICS",
    "TopicBank",
]
