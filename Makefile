# Harbor — the single entry point. `make run` and `make test` install what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
RASA   := $(PY) -m bot.rasa_cli
MODEL  := models/harbor.tar.gz
STAMP  := $(VENV)/.installed

# Privacy and quiet by default (see README "What we keep").
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL   := 2
export PYTHONHASHSEED         := 0

# The web widget's npm packages (socket.io-client; axe-core for the browser tests), installed from
# bot/widget/package-lock.json; and Debian's Chromium for the browser tests (never `playwright install`).
WIDGET_DEPS := bot/widget/node_modules/.package-lock.json
CHROMIUM    := /usr/bin/chromium
APT_GET     := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get

# Everything `rasa train` reads: a change to any of these retrains.
TRAINING_INPUTS := config.yml domain.yml $(shell find data/nlu data/rules data/stories bot/nlu -type f -not -name '*.pyc' 2>/dev/null)

.PHONY: help install train run test test-unit test-browser screenshot lint format validate stories eval bench forget clean check-sources

help:
	@echo "make run    install, train if needed, start the assistant (Ctrl-C stops it)"
	@echo "make test   install, train if needed, run the whole test suite"
	@echo "make train | validate | stories | test-browser | screenshot | eval | bench | forget | clean"
	@echo "make forget deletes every stored conversation now (README \"What we keep\")"

install: $(STAMP) $(WIDGET_DEPS) $(CHROMIUM)

$(STAMP): requirements.txt requirements-dev.txt constraints.txt bot/spacy_pipeline.py
	@py=""; for c in $$(command -v pyenv >/dev/null && ls -d "$$(pyenv root)"/versions/3.10.*/bin/python3.10 2>/dev/null) $$(command -v python3.10); do \
	  if "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then py="$$c"; break; fi; done; \
	if [ -z "$$py" ]; then echo "error: Python 3.10 is required by Rasa 3.6 and was not found (try: pyenv install 3.10)" >&2; exit 1; fi; \
	echo "creating $(VENV) with $$py"; rm -rf $(VENV); "$$py" -m venv $(VENV)
	$(PY) -m pip install -qq --disable-pip-version-check --upgrade pip==24.0
	$(PY) -m pip install -qq --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	$(PY) -m bot.spacy_pipeline
	$(PY) -m pip check
	@touch $@

$(WIDGET_DEPS): bot/widget/package.json bot/widget/package-lock.json
	@command -v npm >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq nodejs npm; }
	cd bot/widget && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

$(CHROMIUM):
	$(APT_GET) update -qq
	$(APT_GET) install -y -qq chromium fonts-liberation

train: $(MODEL)

$(MODEL): $(STAMP) $(TRAINING_INPUTS)
	$(RASA) train --fixed-model-name harbor --out models --quiet
	@touch $@

run: $(MODEL) $(WIDGET_DEPS)
	$(PY) -m bot.launcher --model $(MODEL)

# Lint and format check (ruff.toml): `make format` fixes what it can.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

validate: $(STAMP)
	$(RASA) data validate --quiet

stories: $(MODEL)
	$(RASA) test core --model $(MODEL) --stories tests/stories --fail-on-prediction-errors --out results/stories --quiet

test-unit: $(STAMP)
	$(PY) -m pytest tests/unit -q

# Browser tests of the web widget: real headless Chromium against the real servers.
test-browser: $(MODEL) $(WIDGET_DEPS) $(CHROMIUM)
	$(PY) -m pytest tests/browser -q

# The README's picture of the widget on a phone: the browser test that takes it, writing it to
# docs/widget-phone.png (a plain test run writes it into a temporary folder, never into git's files).
screenshot: $(MODEL) $(WIDGET_DEPS) $(CHROMIUM)
	HARBOR_SCREENSHOT=$(CURDIR)/docs/widget-phone.png $(PY) -m pytest tests/browser/test_widget.py -q \
	  -k test_a_quick_reply_click_sends_its_payload_and_shows_its_title

test: $(MODEL) $(WIDGET_DEPS) $(CHROMIUM) validate lint
	$(PY) -m pytest -q
	$(MAKE) --no-print-directory stories

# Behaviour eval against a running assistant (`make run` in another terminal).
eval: $(STAMP)
	$(PY) ../shared/eval/chat_eval.py ../shared/eval/dev.yml --show-failures

# Harbor vs Rasa's default config on the same data; writes results/bench/report.md and the
# benchmark table of docs/benchmark.md. Trained models are cached in results/bench/models/.
bench: $(MODEL) $(STAMP)
	$(PY) -m bench --update-docs

# Delete every stored conversation now (the store the environment names; see README "What we keep").
forget: $(STAMP)
	$(PY) -m bot.storage.forget --all

# Every referral and knowledge entry with its source and review date; flags those read more than
# 12 months ago (STALE: exit status 1) and referral quotes worth reading again (CHECK-QUOTE).
check-sources: $(STAMP)
	$(PY) -m actions.check_sources

clean:
	rm -rf models results .rasa
