# Two commands: `make demo` and `make test`. Both set everything up first (idempotent).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
APT_PACKAGES := ffmpeg bubblewrap libsndfile1 fonts-dejavu-core libegl1 libgl1-mesa-dri libegl-mesa0 python3 chromium
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export IMAGEIO_FFMPEG_EXE := /usr/bin/ffmpeg

.PHONY: setup apt demo test test-all bench clean

setup: apt $(STAMP)

apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing apt packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,bench]'
	@touch $(STAMP)

demo: setup
	$(PY) run_agent.py demo -o out/demo

test: setup
	$(PY) -m pytest -q

test-all: setup
	$(PY) -m pytest -q -m ''

bench: setup
	$(PY) run_agent.py eval render
	$(PY) run_agent.py eval analysis
	$(PY) run_agent.py eval beats
	$(PY) run_agent.py eval shots
	$(PY) run_agent.py eval sync
	$(PY) run_agent.py eval effects
	$(PY) run_agent.py eval critic
	$(PY) run_agent.py eval brain
	$(PY) run_agent.py eval agent_loop

clean:
	rm -rf out .pytest_cache
