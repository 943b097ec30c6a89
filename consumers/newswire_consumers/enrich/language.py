"""Language detection with py3langid (a bundled naive-Bayes model; no download, no network).

Chosen by measurement (``tests/unit/test_enrich_language.py``): on 600+ corpus
items labelled by their feed's declared language, py3langid was as accurate as
lingua-language-detector (~97% each) and about ten times faster (~0.2 ms an item).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from py3langid.langid import (  # type: ignore[import-untyped]  # ships no type hints
    MODEL_FILE,
    LanguageIdentifier,
)

# The head of a text decides its language as well as the whole does, at a bounded cost.
MAX_CHARS = 500
MIN_LETTERS = 12  # below this (a title of two words), a guess is noise: no detection


@dataclass(frozen=True, slots=True)
class Detected:
    language: str  # ISO 639-1 (or 639-3 where there is no 639-1 code), lower case
    confidence: float  # 0..1, the model's normalised probability


_lock = threading.Lock()
_identifier: LanguageIdentifier | None = None


def load() -> LanguageIdentifier:
    """The shared identifier, loaded once (about half a second). Thread-safe."""
    global _identifier  # one read-only model per process, loaded lazily
    with _lock:
        if _identifier is None:
            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _identifier


def detect(text: str) -> Detected | None:
    """The language of ``text``, or None when it has too few letters to tell.

    Pure apart from the lazily loaded model; thread-safe (the model is read-only).
    """
    head = text[:MAX_CHARS]
    if sum(c.isalpha() for c in head[:200]) < MIN_LETTERS:
        return None
    language, probability = load().classify(head)
    confidence = min(1.0, max(0.0, float(probability)))
    return Detected(str(language), round(confidence, 4))
