# heapsnap — build, demo, test. Every target installs what it needs when it is missing.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

WASM_TARGET := wasm32-unknown-unknown
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/"/, "", $$3); print $$3}' Cargo.lock)
WASM_RAW := target/$(WASM_TARGET)/release/heapsnap.wasm
PKG := www/pkg
DEMO_DIR := www/demo
PORT ?= 8000
PYTHON ?= python3

.PHONY: help build wasm native demo demo-data serve test test-rust test-python test-e2e bench dist fuzz clean \
	tools-wasm tools-node tools-python tools-browser tools-debugger

help:
	@echo "make demo   build, write demo snapshots from a leaking process, serve the page on 127.0.0.1:$(PORT)"
	@echo "make test   every test suite (Rust, capture script, headless-Chromium end to end)"
	@echo "make build  the wasm page into www/ and the native CLI target/release/heapsnap"
	@echo "make dist   dist/heapsnap.html: the analyzer in one file that works offline from file://"
	@echo "make bench  benchmarks, side by side with the baselines"

# --- tools ------------------------------------------------------------------

tools-wasm:
	@rustup target list --installed | grep -qx $(WASM_TARGET) || rustup target add $(WASM_TARGET)
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
		echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 3 minutes)"; \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

tools-node: node_modules/.package-lock.json

tools-python:
	@$(PYTHON) -m pytest --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check pytest
	@$(PYTHON) -c "import waitress" 2>/dev/null || $(PYTHON) -m pip install --quiet --disable-pip-version-check waitress
	@$(PYTHON) -c "import numpy" 2>/dev/null || $(PYTHON) -m pip install --quiet --disable-pip-version-check numpy

tools-debugger:
	@command -v lldb >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq lldb gdb >/dev/null; }

tools-browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }

# --- build -----------------------------------------------------------------

build: wasm native

native:
	cargo build --release --bin heapsnap

wasm: tools-wasm tools-node www/heapsnap.py
	RUSTFLAGS="-C target-feature=+simd128" cargo build --release --lib --target $(WASM_TARGET)
	wasm-bindgen --target web --no-typescript --out-dir $(PKG) $(WASM_RAW)
	npx --no-install wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
		--enable-sign-ext --enable-mutable-globals -o $(PKG)/heapsnap_bg.wasm $(PKG)/heapsnap_bg.wasm
	@ls -l $(PKG)/heapsnap_bg.wasm | awk '{print "wasm size:", $$5, "bytes"}'

# The page offers the capture script for download, next to itself.
www/heapsnap.py: capture-script/heapsnap.py
	cp $< $@

dist: wasm
	wasm-bindgen --target no-modules --no-typescript --out-dir target/dist-pkg $(WASM_RAW)
	npx --no-install wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int \
		--enable-sign-ext --enable-mutable-globals -o target/dist-pkg/heapsnap_bg.wasm target/dist-pkg/heapsnap_bg.wasm
	node tools/build-dist.mjs target/dist-pkg

# --- demo ------------------------------------------------------------------

$(DEMO_DIR)/manifest.json: examples/leaky_service.py capture-script/heapsnap.py
	rm -rf $(DEMO_DIR)
	$(PYTHON) examples/leaky_service.py --out $(DEMO_DIR) --batches 3

demo-data: $(DEMO_DIR)/manifest.json

demo: build demo-data serve

serve: tools-node
	node tools/serve.mjs www $(PORT)

# --- tests -----------------------------------------------------------------

test: test-rust test-python test-e2e
	@echo "all test suites passed"

test-rust:
	cargo test --all-targets
	cargo test --doc

test-python: tools-python tools-debugger native
	$(PYTHON) -m pytest -q tests/python

test-e2e: wasm dist demo-data tools-browser tools-node
	@for f in www/*.js tools/*.mjs tools/dist/*.js bench/*.mjs; do node --check "$$f" || exit 1; done
	node --test --test-reporter=spec tests/e2e/

# --- fuzzing ----------------------------------------------------------------

FUZZ_SECONDS ?= 60

fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
	mkdir -p crate/fuzz/target-corpus
	cd crate/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run parse target-corpus corpus/parse -- -max_total_time=$(FUZZ_SECONDS)

# --- benchmarks --------------------------------------------------------------

bench: wasm native tools-node tools-debugger tools-browser
	$(PYTHON) bench/run.py

clean:
	cargo clean
	rm -rf $(PKG) $(DEMO_DIR) dist node_modules
