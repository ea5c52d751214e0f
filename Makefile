# pgtls_exporter: `make demo` shows it working, `make test` runs every test.
GO      ?= go
BIN     := bin/pgtls_exporter
export PATH := $(PATH):/usr/local/go/bin

.PHONY: all build deps test vet staticcheck fmt-check bench fuzz demo clean

all: build

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	CGO_ENABLED=0 $(GO) build -ldflags "-X github.com/prometheus/common/version.Version=$(VERSION)" -o $(BIN) .

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
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 6 -timeout 60m ./collector/ ./internal/server/ ./probe/ ./internal/renew/ | tee bench.txt
	$(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da bench.txt

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParseBundle$$' -fuzztime 30s ./internal/certs/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 30s ./internal/config/
	$(GO) test -run '^$$' -fuzz '^FuzzDSN$$' -fuzztime 30s ./internal/config/
	$(GO) test -run '^$$' -fuzz '^FuzzParsePgBouncerTLS$$' -fuzztime 30s ./internal/sessions/
	$(GO) test -run '^$$' -fuzz '^FuzzSSLResponse$$' -fuzztime 30s ./probe/
	$(GO) test -run '^$$' -fuzz '^FuzzProbeReply$$' -fuzztime 30s ./probe/

demo: deps build
	$(GO) run ./internal/demo --bin $(BIN) --dir demo-run $(DEMO_FLAGS)

clean:
	rm -rf bin demo-run bench.txt
