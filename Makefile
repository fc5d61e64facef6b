# Two entry points (see README): `make demo` and `make test`. Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system demo test lint ranking-model

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	# torch first, pinned: this takes the CPU wheel (an unpinned torch pulls a multi-GB CUDA build)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the test suite uses: espeak-ng speaks the voice-note fixtures, sox inspects them, and
# postgresql's initdb/pg_ctl start the real PostgreSQL server the store tests run against.
system:
	@if ! command -v espeak-ng >/dev/null || ! command -v sox >/dev/null || \
		[ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || \
		! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			espeak-ng sox fonts-dejavu-core postgresql; \
	fi

demo: setup
	HF_HUB_OFFLINE=1 $(BIN)/supportbot demo

test: setup system
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check bot tests bench scripts
	$(BIN)/ruff format --check bot tests bench scripts
	$(BIN)/mypy bot tests bench scripts

# Refit the shipped ranking model (after intake, OCR or speech recognition change what the features read), one
# command: fit on the dev set and, with MESSY="<folders>", on its messy variants (folders holding a queries.jsonl
# answered with the dev knowledge base, as make_wild.py and make_recordings.py write them), held to the messy targets;
# measured on the shipped examples, on EXAMPLES_MESSY="<folders>" (messy variants of the examples) and on
# TEST_MESSY="<folders>" (messy variants of the dev set only measured, e.g. bench.captures'). Prints the fit,
# grouped-CV and test figures and rewrites bot/ranking/default_model.json. The clean set is held to match precision
# 0.99 and in-KB no_match 0.03, a margin under the targets (0.985, 0.04): the fit meets what it is held to exactly,
# and a knowledge base of other bugs varies around it.
DEV_SET ?= ../shared/dev-set
MESSY ?=
EXAMPLES_MESSY ?=
TEST_MESSY ?=
ranking-model: setup
	HF_HUB_OFFLINE=1 $(BIN)/supportbot calibrate --knowledge $(DEV_SET)/knowledge --queries $(DEV_SET)/queries.jsonl \
		$(foreach d,$(MESSY),--messy $(d)/queries.jsonl) --test knowledge examples/queries.jsonl \
		$(foreach d,$(EXAMPLES_MESSY),--test knowledge $(d)/queries.jsonl) \
		$(foreach d,$(TEST_MESSY),--test $(DEV_SET)/knowledge $(d)/queries.jsonl) \
		--precision 0.99 --max-no-match 0.03 --out bot/ranking/default_model.json
