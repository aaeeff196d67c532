# arb-appliance — one entry point for setup, demo, tests and benchmarks.
# Everything a target needs is installed by the target itself (CI runs from a clean clone as root).

PYTHON     ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
STAMP_PY   := $(VENV)/.installed
STAMP_NPM  := tools/node_modules/.installed
STAMP_SYS  := $(VENV)/.system-packages
SYS_PKGS   := libsystemd-dev pkg-config tmux systemd fdisk dosfstools mtools e2fsprogs binutils xz-utils prometheus
PYTEST_ARGS ?= -n 2 --dist loadgroup --timeout=900

.PHONY: all setup demo test bench lint clean distclean image-tools image-base image-check

all: setup

setup: $(STAMP_SYS) $(STAMP_PY) $(STAMP_NPM)

# System packages: installed only when one is missing (needs root or sudo; CI runs as root), without
# the recommended extras (prometheus would bring a node exporter listening on every interface).
# Re-checked when this file changes (a package added here reaches existing checkouts too).
$(STAMP_SYS): Makefile
	@missing=""; for p in $(SYS_PKGS); do [ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	  else echo "make: need root to install:$$missing" >&2; exit 2; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 2; \
	  case " $$missing " in *" prometheus "*) \
	    $$SUDO systemctl disable --now -q prometheus.service >/dev/null 2>&1; \
	    $$SUDO service prometheus stop >/dev/null 2>&1; \
	    echo "make: prometheus is here for promtool and the tests (which start their own); its service is disabled";; \
	  esac; \
	fi
	@mkdir -p $(VENV) && touch $@

$(STAMP_PY): pyproject.toml | $(STAMP_SYS)
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found (Python 3.11+ needed)" >&2; exit 2; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

$(STAMP_NPM): tools/package.json tools/package-lock.json
	@command -v npm >/dev/null || { echo "make: npm not found: install Node.js and npm (needed for the devnet tools)" >&2; exit 2; }
	cd tools && npm install --no-audit --no-fund --no-save --loglevel=error
	@touch $@

# The demo's lead pool follows the real mainnet USDC/WETH series when ../shared/data has it.
REAL_PRICES ?= $(wildcard ../shared/data/uniswap-v2-usdc-weth-reserves.csv.gz)
DEMO_ARGS   ?= $(if $(REAL_PRICES),--real-prices $(REAL_PRICES))

demo: setup
	$(VENV)/bin/arb-appliance demo $(DEMO_ARGS)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	@set -e; for f in tests/bench/bench_*.py; do echo "== $$f"; $(PY) $$f; done

lint: setup
	$(VENV)/bin/ruff check appliance hw ui tests
	$(VENV)/bin/ruff format --check appliance hw ui tests
	$(VENV)/bin/lint-imports

# The SD image on arm64 (heavy, not part of `make test`): a Debian bookworm arm64 Raspberry Pi
# base built with mmdebstrap, systemd-python built under qemu-user, image/build, the image's
# root filesystem executed under qemu-user. Downloads are cached in image/cache (git-ignored).
IMAGE_PKGS := mmdebstrap qemu-user-static binfmt-support qemu-system-arm arch-test dosfstools mtools e2fsprogs fdisk xz-utils device-tree-compiler

image-tools: setup
	@missing=""; for p in $(IMAGE_PKGS); do [ "$$(dpkg-query -W -f='$${db:Status-Status}' $$p 2>/dev/null)" = installed ] || missing="$$missing $$p"; done; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO=sudo; \
	else echo "make: image-check needs root (mmdebstrap, chroot, binfmt_misc)" >&2; exit 2; fi; \
	if [ -n "$$missing" ]; then \
	  echo "make: installing system packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 2; \
	fi; \
	[ -d /proc/sys/fs/binfmt_misc ] && [ -e /proc/sys/fs/binfmt_misc/status ] || $$SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || exit 2; \
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || $$SUDO update-binfmts --enable qemu-aarch64 || exit 2; \
	arch-test arm64 >/dev/null || { echo "make: this machine still cannot run arm64 binaries (binfmt_misc / qemu-aarch64)" >&2; exit 2; }

image-base: image-tools
	image/base-debian image/cache/debian-bookworm-arm64.img

image-check: image-tools
	PYTHON=$(CURDIR)/$(PY) image/check

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache .hypothesis

distclean: clean
	rm -rf $(VENV) tools/node_modules image/cache
