# inferbench: `make run` runs the main job on its embedded default; `make test`
# runs vet and the race-enabled tests of every package. Go fetches what go.mod
# names; nothing else needs installing by hand.

GO ?= go
BIN := bin/inferbench
# go-nvml's cgo bindings use deprecated NVML declarations on purpose.
export CGO_CFLAGS := -Wno-deprecated-declarations

.PHONY: run test build bench fuzz vet fmt clean

build:
	$(GO) build -o $(BIN) ./cmd/inferbench

run: build
	./$(BIN) run

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt needed: run gofmt -w"; exit 1; }

test: vet
	$(GO) test -race -count=1 ./...
	$(GO) test -count=1 -run '^(TestCalibration|TestFittedProfiles|TestTraceMetricIsPredict)$$' ./accel/sim

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Every fuzz target for FUZZTIME each (default 60s); `make test` runs only the seed corpora.
fuzz:
	FUZZTIME=$(or $(FUZZTIME),60s) scripts/fuzz.sh

clean:
	rm -rf bin
