# Tongban kiosk. `make run` and `make test` are all a fresh Debian 12 machine needs:
# every target installs what it is missing first (Debian packages, then a .venv).

VENV        ?= .venv
PYTHON      ?= python3.11
PY          := $(VENV)/bin/python
KIOSK       := $(VENV)/bin/kiosk
STAMP       := $(VENV)/.installed
OUT         ?= .run
# The suite runs on every usable core (pytest-xdist; nproc honours CPU affinity); a module's tests stay in one worker (its fixtures are set up once).
TEST_WORKERS ?= $(shell nproc)
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Kivy's SDL2/GL needs, the CJK font, pyscard's build headers, pcscd with the vpcd virtual reader
# for the social-security card simulator, espeak-ng for offline voice prompts, mosquitto for fleet nudges and console
# heartbeats; postgresql, chromium and chromium-driver for the fleet console's tests (a private server, a real browser);
# Chinese input (docs/input.md): librime with its simplified pinyin schema, zinnia with the handwriting model.
DEB_PACKAGES := libgl1 libegl1 libgl1-mesa-dri libmtdev1 fonts-wqy-microhei libpcsclite-dev \
                pcscd vsmartcard-vpcd espeak-ng sox mosquitto postgresql chromium chromium-driver \
                librime1 librime-data rime-data-luna-pinyin rime-data-pinyin-simp libopencc-data libzinnia0 tegaki-zinnia-simplified-chinese

export KIVY_NO_CONSOLELOG := 1
export KIVY_NO_ARGS := 1

.PHONY: install deb run demo test lint bench fuzz chaos soak clean

install: deb $(STAMP)

deb:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m kiosk i18n compile
	@touch $@

run: install
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ]; then \
	  echo "No display on this machine: running 'make demo' instead (offscreen)."; \
	  $(MAKE) --no-print-directory demo; \
	else \
	  $(KIOSK) run --data-dir $(OUT)/data; \
	fi

demo: install
	SDL_VIDEODRIVER=offscreen KIVY_HOME=$(CURDIR)/$(OUT)/kivy $(KIOSK) demo --out $(OUT)/demo
	@echo "Pictures of every screen: $(CURDIR)/$(OUT)/demo"

test: install lint
	SDL_VIDEODRIVER=offscreen $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadscope --durations=30 tests; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

# ruff; mypy over kiosk/ and drivers/ ([tool.mypy]); the layer rules as import-linter contracts ([tool.importlinter]).
lint: install
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

# Every benchmark → bench/results.json, bench/RESULTS.md and the README's figures table.
# Quick sizes by default; BENCH_ARGS="--full" for everything at full size, "--full soak chaos" for those two.
BENCH_ARGS ?=
bench: install
	SDL_VIDEODRIVER=offscreen $(PY) bench/run_all.py $(BENCH_ARGS)

# Large hypothesis budgets over every parser that takes outside bytes (docs/proof.md).
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -q tests/fuzz -p no:cacheprovider

# Journeys under device and platform faults with the kiosk process killed at random; then exactly-once checks.
chaos: install
	$(PY) bench/chaos.py --journeys 200

# 10,000 headless resident journeys on every simulator and 300 through the UI offscreen: throughput, memory,
# descriptors, threads, privacy.
soak: install
	$(PY) bench/soak.py --journeys 10000

clean:
	rm -rf $(VENV) $(OUT) build *.egg-info
