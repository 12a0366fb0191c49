# Two commands for a newcomer: `make localnet` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
STAMP_NPM := node_modules/.installed-npm
CHROMIUM  := /usr/bin/chromium
LOCALNET_ARGS ?= --validators 4
LINT_PATHS := primitives scctn_node consensus vm p2p genesis tests
TYPED_PATHS := primitives consensus vm p2p

.PHONY: localnet test lint typecheck unit bench bench-vm bench-contracts bench-bridge install dev clean docker contracts screenshot

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(STAMP_RUN)

# solc, OpenZeppelin and anvil for the Ethereum bridge, pinned by package-lock.json.
$(STAMP_NPM): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Debian's Chromium for the explorer's browser tests (Playwright's own download does not work here).
$(CHROMIUM):
	apt-get update && apt-get install -y chromium

install: $(STAMP_RUN)
dev: $(STAMP_DEV)

contracts: $(STAMP_NPM) $(STAMP_DEV)
	$(PY) -m scctn_node.bridge.build

localnet: $(STAMP_RUN)
	$(VENV)/bin/scctn localnet $(LOCALNET_ARGS)

lint: $(STAMP_DEV)
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)

typecheck: $(STAMP_DEV)
	$(VENV)/bin/mypy $(TYPED_PATHS)

unit: $(STAMP_DEV) $(STAMP_NPM) | $(CHROMIUM)
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint typecheck unit

# docs/img/dashboard.png: the explorer of a real 4-validator localnet, in Chromium.
screenshot: $(STAMP_DEV) | $(CHROMIUM)
	$(PY) -m tests.browser.screenshot docs/img/dashboard.png

bench: $(STAMP_DEV) $(STAMP_NPM)
	$(VENV)/bin/scctn bench all
	$(VENV)/bin/scctn bench bridge

# the bridge benchmark runs anvil from node_modules and the test harness of a source checkout
bench-bridge: $(STAMP_DEV) $(STAMP_NPM)
	$(VENV)/bin/scctn bench bridge

bench-vm: $(STAMP_RUN)
	$(VENV)/bin/scctn bench vm

bench-contracts: $(STAMP_RUN)
	$(VENV)/bin/scctn bench contracts

docker:
	docker build -t scctn-node .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
