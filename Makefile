# The two commands a newcomer needs: `make run` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test migrate install messages bench clean admin

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "Python 3.11 is needed ($(PY) not found)"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python app.py migrate

run: migrate
	$(BIN)/python app.py serve

admin: migrate
	$(BIN)/python app.py create-admin

test: $(TEST_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

messages: $(TEST_STAMP)
	$(BIN)/python locales/update.py

bench: $(TEST_STAMP)
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/receipt_hash.py
	$(BIN)/python bench/chat_poll.py
	$(BIN)/python bench/network.py

clean:
	rm -rf $(VENV) data
