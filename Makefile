# Two entry points (see README): `make demo` and `make test`. Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system demo test lint

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	# torch first, pinned: this takes the CPU wheel (an unpinned torch pulls a multi-GB CUDA build)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the test suite uses: espeak-ng speaks the voice-note fixtures, sox inspects them.
system:
	@if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null || \
		[ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ]; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q espeak-ng sox fonts-dejavu-core; \
	fi

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/supportbot demo

test: setup system
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check bot tests
	$(BIN)/ruff format --check bot tests
	$(BIN)/mypy bot
