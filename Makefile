# make run: set up and start teafarm on this machine.  make test: set up and run the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-chia test-fast setup clean protocol

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/teafarm up

# two test processes (pytest-xdist), a test file whole in one: most tests wait on real processes and sockets
test: $(STAMP)
	$(BIN)/python -m pytest -q -rs -n 2 --dist loadscope

# only the real-chia group (installs chia-blockchain 2.7.5 in its own venv on first use)
test-chia: $(STAMP)
	$(BIN)/python -m pytest -q -rs -n 2 --dist loadscope -m chia

# everything but the real-chia group
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -rs -n 2 --dist loadscope -m "not chia"

protocol: $(STAMP)
	$(BIN)/python -m protocol.generate

clean:
	rm -rf $(VENV) .pytest_cache
