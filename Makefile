# pgtls_exporter: `make demo` shows it working, `make test` runs every test.
GO      ?= go
BIN     := bin/pgtls_exporter
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build deps test test-stress vet staticcheck fmt-check bench bench-http fuzz demo clean

all: build

# Build information for `version`, the start-up log and pgtls_exporter_build_info.
# Outside a git checkout the empty ones fall back to what Go embeds (internal/buildinfo).
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION   ?= $(shell git rev-parse HEAD 2>/dev/null)$(shell git diff --quiet HEAD -- 2>/dev/null || echo -modified)
BRANCH     ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null)
BUILD_DATE ?= $(shell date -u +%Y%m%d-%H:%M:%S)
BUILD_USER ?= $(shell id -un)@$(shell uname -n)
VERSION_PKG := github.com/prometheus/common/version
LDFLAGS ?=
GO_LDFLAGS = $(LDFLAGS) -X $(VERSION_PKG).Version=$(VERSION) -X $(VERSION_PKG).Revision=$(REVISION) \
	-X $(VERSION_PKG).Branch=$(BRANCH) -X $(VERSION_PKG).BuildDate=$(BUILD_DATE) -X $(VERSION_PKG).BuildUser=$(BUILD_USER)

build:
	CGO_ENABLED=0 $(GO) build $(GO_BUILDFLAGS) -ldflags "$(GO_LDFLAGS)" -o $(BIN) .

deps:
	./scripts/install-deps.sh
	$(GO) mod download

vet:
	$(GO) vet ./...

# Pinned, so that every machine reports the same findings.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

staticcheck:
	$(GO) run $(STATICCHECK) ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: deps fmt-check vet staticcheck
	$(GO) test -count=1 -timeout 40m ./...

# The suite N times with one busy CPU worker per core alongside.
N ?= 3
test-stress: deps
	./scripts/test-stress.sh $(N)

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 -timeout 60m ./collector/ ./internal/server/ ./probe/ ./internal/renew/ | tee bench.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da bench.txt

# The real binary over HTTP, as Prometheus scrapes it, next to floors
# measured in the same run (see internal/benchhttp).
bench-http: deps build
	$(GO) build -o bin/benchhttp ./internal/benchhttp
	bin/benchhttp -bin $(BIN) $(BENCH_HTTP_FLAGS)

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseBundle$$' -fuzztime 30s ./internal/certs/
	$(GO) test -run '^$$' -fuzz '^FuzzVerify$$' -fuzztime 30s ./internal/libpq/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./internal/config/
	$(GO) test -run '^$$' -fuzz '^FuzzDSN$$' -fuzztime 30s ./internal/config/
	$(GO) test -run '^$$' -fuzz '^FuzzParsePgBouncerTLS$$' -fuzztime 30s ./internal/sessions/
	$(GO) test -run '^$$' -fuzz '^FuzzSSLResponse$$' -fuzztime 30s ./probe/
	$(GO) test -run '^$$' -fuzz '^FuzzProbeReply$$' -fuzztime 30s ./probe/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./internal/pghba/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./internal/pgbini/

# The demo replaces the recipe's shell (exec), so that Ctrl-C, or SIGTERM to
# make (which make passes on), reaches it and it stops everything it started.
DEMO_BIN := bin/pgtls-demo

demo: deps build
	$(GO) build -o $(DEMO_BIN) ./internal/demo
	exec $(DEMO_BIN) --bin $(BIN) --dir demo-run $(DEMO_FLAGS)

clean:
	rm -rf bin demo-run bench.txt
