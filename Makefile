# The two commands a new user needs (see README.md). Each installs what is missing and is idempotent.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help up test setup engine services browser bench

help:
	@echo "make up    install what is missing and start Berth (embedded mode)"
	@echo "make test  install what is missing, start the services the tests need, run every test"

setup:
	@scripts/setup-python.sh

# The Docker engine, the offline base workspace image, the workspace supervisor, the browser IDE
# (code-server) and Berth's VS Code extension for it, each built once and cached in ~/.cache/berth.
engine:
	@scripts/services/docker.sh start
	@scripts/base-image.sh
	@scripts/build-supervisor.sh >/dev/null
	@scripts/install-code-server.sh >/dev/null
	@scripts/build-ide-extension.sh >/dev/null

# PostgreSQL and Kafka for the distributed mode and its tests.
services:
	@scripts/services/postgres.sh start
	@scripts/services/kafka.sh start

# Debian's Chromium and Playwright, for the browser tests (never a browser download of Playwright's own).
browser: setup
	@scripts/install-browser.sh

up: setup engine
	@.venv/bin/berth up

test: setup engine services browser
	@scripts/test.sh

bench: setup engine services browser
	@.venv/bin/python bench/event_pipeline.py
	@.venv/bin/python bench/image_cache.py
	@.venv/bin/python bench/time_to_ready.py
	@.venv/bin/python bench/ide_ready.py
	@.venv/bin/python bench/dashboard.py
