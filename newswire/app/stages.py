"""The consuming stages in pipeline order. ``newswire run`` and ``newswire serve`` use this
list; a stage package only has to expose its ``SERVICE``."""

from __future__ import annotations

from newswire.kafka.stage import StageService
from newswire_consumers.dedup.service import SERVICE as DEDUP
from newswire_consumers.enrich.service import SERVICE as ENRICH
from newswire_consumers.store.service import SERVICE as STORE

STAGES: tuple[StageService, ...] = (DEDUP, ENRICH, STORE)
BY_NAME = {s.name: s for s in STAGES}
