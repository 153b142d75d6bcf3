# charnn — two commands set everything up on a fresh Debian/Ubuntu machine:
#   make run    installs what is missing, builds in release, opens the REPL on the shipped model
#   make test   installs what is missing, builds and runs the whole test suite
SHELL := /bin/bash
SWIFT ?= swift
CHECKPOINT ?= checkpoints/shakespeare-lstm
APT_PACKAGES := pkg-config libopenblas-dev libicu-dev libedit-dev python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release/charnn
# The release build uses AVX2/FMA when this machine has them (like -march=native; the SIMD
# kernels run about 1.5x faster). CPU_FLAGS= builds a portable x86-64 binary.
CPU_FLAGS ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo "-Xswiftc -target-cpu -Xswiftc haswell")

.PHONY: deps build test run corpora bench peer clean

deps:
	@if pkg-config --exists openblas icu-uc libedit 2>/dev/null && command -v python3 >/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "charnn: installing $(APT_PACKAGES) with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null \
	  || { echo "error: could not install $(APT_PACKAGES); install them and run make again" >&2; exit 1; }; \
	elif [ "$$(uname)" = Darwin ]; then :; \
	else echo "error: OpenBLAS, ICU or libedit is missing; install the development packages of openblas, icu and libedit (with pkg-config)" >&2; exit 1; fi

build: deps
	$(SWIFT) build -c release --product charnn $(CPU_FLAGS)

test: deps
	@python3 scripts/check-imports.py
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build

run: build
	$(BIN) repl $(CHECKPOINT) --length 400

corpora:
	@./corpora/make-shakespeare.sh

# make bench [CORPUS=FILE]: charnn against the PyTorch peer (make peer) on CORPUS, default the
# complete works (make corpora).
CORPUS ?= corpora/shakespeare.txt
bench: build
	@[ -f "$(CORPUS)" ] || $(MAKE) corpora
	./scripts/bench.sh "$(CORPUS)"

# The PyTorch peer's virtual environment (venv/, a few GB; not needed by anything else).
TORCH_INDEX ?=
peer:
	@venv/bin/python -c "import torch, numpy" 2>/dev/null || { python3 -m venv venv && \
	  venv/bin/pip install -q torch numpy $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)); }
	@venv/bin/python -c "import torch; print('peer: torch', torch.__version__)"

clean:
	rm -rf .build
