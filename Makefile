# charnn — two commands set everything up on a fresh Debian/Ubuntu machine:
#   make run    installs what is missing, builds in release, opens the REPL on the shipped model
#   make test   installs what is missing, builds and runs the whole test suite
SHELL := /bin/bash
SWIFT ?= swift
CHECKPOINT ?= checkpoints/shakespeare-lstm
APT_PACKAGES := pkg-config libopenblas-dev libicu-dev python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release/charnn
# No CPU flags: the hot kernels (CKernels, CHalf) pick AVX2/FMA/F16C at run time, so this is the
# same portable build that `swift build -c release` makes, and as fast (`charnn bench` says which ran).

.PHONY: deps build test run corpora bench clean

deps:
	@if pkg-config --exists openblas icu-uc 2>/dev/null && command -v python3 >/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "charnn: installing $(APT_PACKAGES) with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null \
	  || { echo "error: could not install $(APT_PACKAGES); install them and run make again" >&2; exit 1; }; \
	elif [ "$$(uname)" = Darwin ]; then :; \
	else echo "error: OpenBLAS and ICU are missing; install the development packages of openblas and icu (with pkg-config)" >&2; exit 1; fi

build: deps
	$(SWIFT) build -c release --product charnn

test: deps
	@python3 scripts/check-imports.py
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build

run: build
	$(BIN) repl $(CHECKPOINT) --length 400

corpora:
	@./corpora/make-shakespeare.sh

bench: build
	./scripts/bench.sh

clean:
	rm -rf .build
