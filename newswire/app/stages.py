"""The consuming stages in pipeline order. ``newswire run`` and ``newswire serve`` use this
list; a stage package only has to expose its ``SERVICE``."""

from __future__ import annotations

from consumers.dedup.service import SERVICE as DEDUP
from consumers.enrich.service import SERVICE as ENRICH
from consumers.store.service import SERVICE as STORE
from newswire.kafka.stage import StageService

STAGES: tuple[StageService, ...] = (DEDUP, ENRICH, STORE)
BY_NAME = {s.name: s for s in STAGES}
