# charnn — two commands set everything up on a fresh Debian/Ubuntu machine:
#   make run    installs what is missing, builds in release, opens the REPL on the shipped model
#   make test   installs what is missing, builds and runs the whole test suite
#   make install [PREFIX=/usr/local] [DESTDIR=]  the release binary, the shipped model, shell completions, man page
#   make serve  builds the HTTP server (charnn-serve, apart from charnn: docs/serving.md) and serves the shipped model
SHELL := /bin/bash
SWIFT ?= swift
CHECKPOINT ?= checkpoints/shakespeare-lstm
APT_PACKAGES := pkg-config libopenblas-dev libicu-dev libedit-dev python3
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BIN := .build/release/charnn
# No CPU flags: the hot kernels (CKernels: float, half and int8, one dispatch) pick AVX2/FMA/F16C at run time, so this is the
# same portable build that `swift build -c release` makes, and as fast (`charnn bench` says which ran).

# Test suites whose results go through BLAS products (run once per kernel family by `make test`).
NUMERICAL_SUITES := ^(NeuralCoreTests|ModelsTests|EvaluationTests|TrainingTests|SamplingTests)\.
# ... less the tests that never reach BLAS (thread team, random numbers), which are slow.
KERNEL_FREE := SpinTeamTests|RandomTests

.PHONY: deps test-deps build build-serve serve serve-test examples test run install corpora bench peer clean mpi-deps mpi mpi-test mpi-bench fuzz format lint

deps:
	@if pkg-config --exists openblas icu-uc libedit 2>/dev/null && command -v python3 >/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "charnn: installing $(APT_PACKAGES) with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES) >/dev/null \
	  || { echo "error: could not install $(APT_PACKAGES); install them and run make again" >&2; exit 1; }; \
	elif [ "$$(uname)" = Darwin ]; then :; \
	else echo "error: OpenBLAS, ICU or libedit is missing; install the development packages of openblas, icu and libedit (with pkg-config)" >&2; exit 1; fi

build: deps
	$(SWIFT) build -c release --product charnn

# The server and its SwiftNIO/Hummingbird dependencies build apart, so that `make run` stays fast.
build-serve: build
	$(SWIFT) build -c release --product charnn-serve

# make serve [CHECKPOINT=…] [SERVE_ARGS="--port 8080"]: the API and the playground page on 127.0.0.1.
SERVE_ARGS ?=
serve: build-serve
	$(BIN) serve $(CHECKPOINT) $(SERVE_ARGS)

# What the server's tests drive: curl, Debian's chromium and chromedriver (Selenium), and a virtual
# environment with the official openai client and selenium (.venv-test/, ignored by git).
TEST_APT_PACKAGES := curl chromium chromium-driver python3-venv
TEST_PYTHON := .venv-test/bin/python
test-deps: deps
	@if command -v curl >/dev/null && command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "charnn: installing $(TEST_APT_PACKAGES) with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(TEST_APT_PACKAGES) >/dev/null \
	  || { echo "error: could not install $(TEST_APT_PACKAGES); install them and run make again" >&2; exit 1; }; \
	else echo "error: curl, chromium and chromedriver are needed by the server's tests" >&2; exit 1; fi
	@$(TEST_PYTHON) -c "import openai, selenium" 2>/dev/null || { python3 -m venv .venv-test && \
	  .venv-test/bin/pip install -q openai selenium; }

# The server against real clients (the openai package, curl, Chromium), faults and a bounded load,
# all on 127.0.0.1; SERVE_LOAD_SECONDS=60 by default. Run by make test against the release build, the
# binary users run (a signal-handling bug once showed only there; the debug one is tested in process
# and by the CLI tests). SERVE_BIN=.build/debug/charnn-serve tests another build.
SERVE_LOAD_SECONDS ?= 60
SERVE_BIN ?= .build/release/charnn-serve
serve-test: test-deps $(if $(filter .build/release/charnn-serve,$(SERVE_BIN)),build-serve)
	$(TEST_PYTHON) scripts/serve-test.py $(SERVE_BIN) $(CHECKPOINT) --load-seconds $(SERVE_LOAD_SECONDS)
	$(TEST_PYTHON) scripts/browser-test.py $(SERVE_BIN) $(CHECKPOINT) .build/browser-test

# Examples/: an app that depends on CharNNKit by path; make test builds it and runs it once.
examples: deps
	$(SWIFT) build --package-path Examples
	Examples/.build/debug/generate $(CHECKPOINT) "ROMEO:"

test: deps test-deps
	@case "$${OPENBLAS_CORETYPE,,}" in skylakex|cooperlake|sapphirerapids) \
	  grep -qw avx512f /proc/cpuinfo 2>/dev/null || { echo "error: OPENBLAS_CORETYPE=$$OPENBLAS_CORETYPE selects AVX-512 kernels, which this CPU cannot run (no avx512f in /proc/cpuinfo)" >&2; exit 1; };; esac
	@python3 scripts/check-imports.py
	$(SWIFT) build --build-tests --explicit-target-dependency-import-check error
	$(SWIFT) test --skip-build
	@# The numerical suites again under other BLAS kernel families: results (and the trainer's
	@# policies) must not depend on which kernels OpenBLAS picks. SkylakeX only where it can run.
	OPENBLAS_CORETYPE=Haswell $(SWIFT) test --skip-build --filter '$(NUMERICAL_SUITES)' --skip '$(KERNEL_FREE)'
	@if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then \
	  echo "charnn: the numerical suites under OPENBLAS_CORETYPE=SkylakeX"; \
	  OPENBLAS_CORETYPE=SkylakeX $(SWIFT) test --skip-build --filter '$(NUMERICAL_SUITES)' --skip '$(KERNEL_FREE)'; \
	else echo "charnn: no AVX-512 here, the SkylakeX kernels are not tested"; fi
	$(MAKE) --no-print-directory serve-test examples

run: build
	$(BIN) repl $(CHECKPOINT) --length 400

# make install [PREFIX=/usr/local] [DESTDIR=]: PREFIX/bin/charnn (release), the shipped model in
# PREFIX/share/charnn (where `charnn repl` finds it), bash, zsh and fish completions (written by charnn
# --generate-completion-script) and PREFIX/share/man/man1/charnn.1 (swift-argument-parser's generate-manual
# plugin, which works offline). DESTDIR stages the files for a package. Without root: PREFIX=~/.local.
# (MANPAGE=FILE installs FILE instead, skipping the plugin: the install test does, with a debug binary.)
PREFIX ?= /usr/local
MANPAGE ?=
install: build
	$(if $(MANPAGE),,$(SWIFT) package plugin generate-manual)
	./scripts/install.sh "$(BIN)" "$(DESTDIR)$(PREFIX)" "$(or $(MANPAGE),.build/plugins/GenerateManual/outputs/charnn/charnn.1)"

corpora:
	@./corpora/make-shakespeare.sh

# make bench [CORPUS=FILE] [PYTHON=…]: one table of charnn against the PyTorch peer (make peer, or a
# PYTHON with torch) on CORPUS, default the complete works (make corpora): the CPU, its sgemm rate,
# training, sampling (f32/f16/int8), peak memory, 1 vs 2 threads, the goals of issue 11. About 8 minutes
# on a quiet 2-core machine; BENCH_QUICK=1 1–2 minutes, BENCH_SIZES="128 384" picks the models. Written to
# bench-results/ (docs/performance.md explains the table).
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

# The MPI build (docs/distributed.md): `swift build --traits MPI`, in its own scratch directory so that it and
# the default build do not rebuild each other. make mpi-test runs the multi-rank tests under mpirun (2 and 3
# ranks: the collectives, then `charnn train`: equivalence with one process, resume across rank counts,
# faults); make mpi-bench times the gradient allreduce on this machine.
MPI_APT_PACKAGES := openmpi-bin libopenmpi-dev
MPI_BUILD := $(SWIFT) build --traits MPI --scratch-path .build/mpi
MPI_CHECK := .build/mpi/release/charnn-mpi-check
MPI_RUN := OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 mpirun

mpi-deps: deps
	@if pkg-config --exists mpi-c 2>/dev/null && command -v mpirun >/dev/null; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
	  echo "charnn: installing $(MPI_APT_PACKAGES) with apt-get"; \
	  $(SUDO) apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(MPI_APT_PACKAGES) >/dev/null \
	  || { echo "error: could not install $(MPI_APT_PACKAGES); install them and run make mpi again" >&2; exit 1; }; \
	else echo "error: MPI is missing; install Open MPI or MPICH with its development files (pkg-config mpi-c)" >&2; exit 1; fi

mpi: mpi-deps
	$(MPI_BUILD) -c release --product charnn $(CPU_FLAGS)
	$(MPI_BUILD) -c release --product charnn-mpi-check $(CPU_FLAGS)

mpi-test: mpi-deps
	$(MPI_BUILD) --product charnn-mpi-check
	$(MPI_BUILD) --product charnn
	./scripts/mpi-test.sh .build/mpi/debug/charnn-mpi-check .build/mpi/debug/charnn
	./scripts/mpi-test-commands.sh .build/mpi/debug/charnn

# make mpi-bench [MPI_RANKS=2] [MPI_FLOATS=300000,1000000,4000000]
MPI_RANKS ?= 2
MPI_FLOATS ?= 300000,1000000,4000000
mpi-bench: mpi-deps
	$(MPI_BUILD) -c release --product charnn-mpi-check $(CPU_FLAGS)
	$(MPI_RUN) -np $(MPI_RANKS) $(MPI_CHECK) --bench $(MPI_FLOATS)

# Coverage-guided fuzzing (libFuzzer) of the decoders: each target for FUZZ_SECONDS; fails on a
# crash. A separate package (Fuzz/Harness), so `make test` neither builds it nor needs libFuzzer.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= safetensors config vocabulary trainer-state optimizer-state corpus
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" ./Fuzz/run.sh

# make format: rewrites the sources in place with the toolchain's swift-format and the repository's
# .swift-format (line length 120); make lint: reports what it would change, without changing anything.
FORMAT_PATHS := Sources Tests Package.swift
format:
	$(SWIFT) format format --configuration .swift-format --in-place --parallel --recursive $(FORMAT_PATHS)

lint:
	$(SWIFT) format lint --configuration .swift-format --parallel --recursive $(FORMAT_PATHS)

clean:
	rm -rf .build Fuzz/Harness/.build Examples/.build .venv-test
