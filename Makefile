# Two commands do all set-up on a fresh Debian/Ubuntu machine with Python 3.11:
#   make run   - install into .venv, then open latentvj's window (no display: renders the demo clip)
#   make test  - install test dependencies (apt packages too when root), then run the suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_PIN := torch==2.13.0
# What Qt 6.5+'s xcb platform plugin (the window on X11) needs beyond a base system: ldd of
# PyQt6/Qt6/plugins/platforms/libqxcb.so, plus libxcb-cursor0, which Qt loads at run time.
# `make check-qt` (part of `make test`) fails, naming the packages, when one is missing.
APT_QT_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 \
  libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 \
  libxcb-xinerama0 libxcb-xinput0 libxkbcommon-x11-0 libx11-xcb1 libegl1 libgl1 \
  libfontconfig1 libdbus-1-3
# Debian packages the test suite uses: a JACK server (its dummy driver gives real audio and
# MIDI ports on a machine without a sound card), PortAudio with its JACK host API, and an
# X server with a screen grabber for end-to-end tests of the real window, Qt's xcb libraries.
APT_TEST_PACKAGES := jackd2 libportaudio2 xvfb imagemagick $(APT_QT_PACKAGES)

.PHONY: run test install install-test apt-test check-qt lint clean

$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	@touch $@

# torch first, so no later dependency pulls a multi-GB CUDA build: when this machine's wheel
# cache has the pinned CPU build (a --no-index, --no-deps probe finds it), install that pin
# (its small dependencies come from the index); otherwise take PyPI's torch in pyproject's range.
$(VENV)/.torch: $(VENV)/.created
	if $(PIP) install -q --no-index --no-deps $(TORCH_PIN) 2>/dev/null; then \
	  $(PIP) install -q $(TORCH_PIN); \
	else \
	  $(PIP) install -q "torch>=2.2,<3"; \
	fi
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(PIP) install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(PIP) install -q -e ".[test]"
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test apt-test

apt-test:
	@missing=$$(for p in $(APT_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  echo "jackd2 jackd/tweak_rt_limits boolean false" | debconf-set-selections; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing; \
	elif [ -n "$$missing" ]; then \
	  echo "make: not root; install these Debian packages for the audio tests: $$missing"; \
	fi

# fails with the apt command when Qt's xcb plugin lacks a library (checked before the tests)
check-qt: install-test
	$(PY) -m app.ui.qt_libs

run: install
	$(PY) main.py

# layer contracts (import-linter), pyflakes-class mistakes and formatting (ruff) everywhere,
# and types in the pure core (mypy with pydantic's plugin)
lint: install-test
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check app tests bench tools docs main.py
	$(VENV)/bin/ruff format --check app tests bench tools docs main.py
	$(VENV)/bin/mypy app/core

test: install-test check-qt lint
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) build *.egg-info
