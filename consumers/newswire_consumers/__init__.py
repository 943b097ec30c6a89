"""The consuming stages: one small package per stage, each a handler plus its state."""
