# clickhouse-backup-plugin: the two commands that matter are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
PYTHON ?= python3
# The release binary is linked by lld with its relative relocations packed (DT_RELR: 10 KiB to
# apply at start instead of 1 MiB of .rela.dyn) and the functions a serving process runs placed
# first (scripts/release.order, from `make order-file`); docs/benchmarks.md says what each saves.
# The Dockerfile builds with the same flags (tests/packaging checks it).
LINK_FLAGS := -Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs \
	-Xlinker --symbol-ordering-file=$(CURDIR)/scripts/release.order -Xlinker --no-warn-symbol-ordering
RELEASE_FLAGS := -c release --static-swift-stdlib $(LINK_FLAGS)
# SwiftPM does not know the order file is an input of the link: relink when it changed.
define build-release
	@if [ -e $(RELEASE_BIN) ] && [ scripts/release.order -nt $(RELEASE_BIN) ]; then rm -f $(RELEASE_BIN); fi
	$(SWIFT) build $(RELEASE_FLAGS)
endef
BIN := .build/debug/clickhouse-backup-plugin
RELEASE_BIN := .build/release/clickhouse-backup-plugin

.PHONY: all deps build release test unit e2e packaging sanitize fuzz fuzz-regression bench bench-runtime bench-callgrind bench-backup bench-cluster bench-catalog order-file demo gen-proto clean

all: build

deps:                 ## install what the build and tests need (apt + pip, with the test stack), idempotent
	WITH_STACK=1 bash scripts/install-deps

build: deps           ## debug build
	$(SWIFT) build

release: deps         ## release build, Swift runtime linked statically
	$(build-release)

# Every step is bounded so a hang fails CI quickly instead of eating its whole budget.
test: build           ## every test: unit, end-to-end, sanitizers, fuzz corpus, packaging
	SWIFT_BACKTRACE=enable=no timeout 900 $(SWIFT) test
	$(MAKE) e2e
	$(MAKE) sanitize
	$(MAKE) fuzz-regression
	$(MAKE) packaging

unit: build
	SWIFT_BACKTRACE=enable=no timeout 900 $(SWIFT) test

e2e: build            ## the real binary through grpcurl and grpcio
	PLUGIN_BIN=$(BIN) timeout 900 $(PYTHON) -m pytest -q Tests/e2e

packaging: release     ## Dockerfile (hadolint, runtime libraries) and Helm chart (render, kubernetes-validate, lint, checkov)
	RELEASE_BIN=$(RELEASE_BIN) timeout 600 $(PYTHON) -m pytest -q Tests/packaging

# The Swift backtracer is switched off under sanitizers: on a failure it would inspect the
# process from a helper thread, trip ASan itself and hang instead of exiting.
SANITIZE_ENV := SWIFT_BACKTRACE=enable=no RUNTIME_TESTS_SANITIZER=1
sanitize: deps        ## runtime tests under AddressSanitizer (+LeakSanitizer), then ThreadSanitizer
	$(SANITIZE_ENV) timeout 900 $(SWIFT) test --disable-xctest --sanitize=address --scratch-path .build-asan --filter RuntimeSuites
	$(SANITIZE_ENV) TSAN_OPTIONS="suppressions=$(CURDIR)/Tests/sanitizers/tsan.supp halt_on_error=1" \
	  timeout 900 $(SWIFT) test --disable-xctest --sanitize=thread --scratch-path .build-tsan --filter RuntimeSuites

fuzz: deps            ## libFuzzer on the decoders for FUZZ_SECONDS (default 60) from the committed corpus
	bash scripts/fuzz run $${FUZZ_SECONDS:-60}

fuzz-regression: deps ## the committed corpus and every past crash, once each
	bash scripts/fuzz regress

bench: bench-runtime bench-backup bench-cluster bench-catalog  ## the benchmarks below; non-zero when a target is missed

bench-runtime:        ## gRPC runtime against gRPC C++ and Python grpcio (prints ratios)
	WITH_BENCH=1 bash scripts/install-deps
	$(build-release)
	$(PYTHON) bench/run.py

order-file: deps      ## regenerate scripts/release.order (callgrind; with `scripts/stack up`, the backup path too)
	rm -f $(RELEASE_BIN)
	$(SWIFT) build $(RELEASE_FLAGS) --product clickhouse-backup-plugin -Xlinker -Map=$(CURDIR)/.build/release.map
	$(PYTHON) scripts/gen-order-file.py --map .build/release.map

bench-callgrind:      ## instructions per call with each runtime feature on (valgrind callgrind), against gRPC C++
	WITH_BENCH=1 bash scripts/install-deps
	$(build-release)
	$(PYTHON) bench/callgrind.py

bench-backup: deps    ## Backup/Restore RPCs against raw BACKUP/RESTORE SQL on the stack (prints ratios)
	$(build-release)
	$(PYTHON) bench/backup.py

bench-cluster: deps   ## 4-shard cluster Backup against 4 concurrent raw BACKUPs; incremental after a 1% change
	$(build-release)
	$(PYTHON) bench/cluster.py

bench-catalog: deps   ## ListBackups and retention at 100, 1,000, 5,000 backups: index against full scan
	$(build-release)
	$(PYTHON) bench/catalog.py

demo: build           ## start the plugin and show a dry-run backup and restore through grpcurl
	bash scripts/demo

gen-proto:            ## regenerate the protobuf-c code and descriptor set from proto/
	bash scripts/gen-proto

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz
