# neurocircuit — set-up, demo and tests on a fresh Debian/Ubuntu machine.
#   make demo   installs ngspice (apt-get) when missing, creates .venv, installs, runs the main job
#   make test   the same set-up, then lint, committed-deck check and the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
DEMO_OUT ?= demo-out
APT_PACKAGES := ngspice libngspice0-dev chromium

.PHONY: all setup system-deps demo test lint clean

all: test

system-deps:
	@missing=""; \
	command -v ngspice >/dev/null 2>&1 || missing="$$missing ngspice"; \
	( ldconfig -p 2>/dev/null | grep -q 'libngspice\.so' ) || missing="$$missing libngspice0-dev"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo ">> installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	  else echo "error: system packages missing ($$missing) and this user is neither root nor has passwordless sudo."; \
	       echo "       install them, then rerun:  sudo apt-get install -y$$missing"; exit 1; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip >/dev/null
	$(PY) -m pip install -q -e ".[dev,cluster]"
	@touch $(STAMP)

setup: system-deps $(STAMP)

demo: setup
	$(PY) -m neurocircuit demo -o $(DEMO_OUT)

lint: setup
	$(VENV)/bin/ruff check neurocircuit tests bench

test: setup lint
	$(PY) -m neurocircuit generate --all --check
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(DEMO_OUT)
