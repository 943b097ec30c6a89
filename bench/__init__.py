"""The newswire benchmark harness: ``python -m bench`` or ``make bench``.

It serves N generated feeds built from real news text, runs the real pipeline on the real
broker (one subprocess per consuming stage, so CPU and peak RSS are measured per service),
measures a warm-up and then a window, and writes ``.local/bench/latest.json``, a markdown
table and a plot of throughput and latency against offered load. See bench/README.md.
"""
