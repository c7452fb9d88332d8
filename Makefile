# Trellis: a GraphQL BFF gateway over REST and gRPC services.
# `make run` starts the sample services and the gateway; `make test` runs every test.

GO      ?= go
BIN     := $(CURDIR)/bin
PROTOS  := $(wildcard proto/*/v1/*.proto)

.PHONY: all build run test lint generate proto gqlgen check-generated tools fuzz clean

all: build

## build: compile the gateway and the sample services into bin/: static (CGO_ENABLED=0, no ELF interpreter,
## no shared libraries) and -trimpath (no build machine paths), as the container image ships them;
## cmd/gateway's TestBinaries builds with this target and checks both
build:
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/gateway ./cmd/gateway
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/demo-services ./cmd/demo-services

## image: the container image (Dockerfile, FROM scratch): the static gateway and the build machine's CA
## certificates in bin/image/, the build context; needs docker (or podman: DOCKER=podman), pulls nothing
DOCKER ?= docker
IMAGE  ?= trellis-gateway:dev
CA_CERTS ?= /etc/ssl/certs/ca-certificates.crt
.PHONY: image image-context
image: image-context
	$(DOCKER) build -f Dockerfile -t $(IMAGE) $(BIN)/image
image-context: build
	mkdir -p $(BIN)/image
	cp $(BIN)/gateway $(BIN)/image/gateway
	cp $(CA_CERTS) $(BIN)/image/ca-certificates.crt

## run: start the sample services and the gateway on http://127.0.0.1:8080/graphql (Ctrl-C stops all)
run: build
	@scripts/run.sh $(BIN)

## test: lint, check that generated code is fresh, run every test with the race detector (beside a
## throw-away redis-server for the shared stores: scripts/with-redis.sh), the short fuzz runs, the alert
## rules' tests and the Helm chart's check
test: lint check-generated check-alerts helm-check
	@scripts/ensure-chromium.sh
	scripts/with-redis.sh $(GO) test -race -count=1 ./...
	@$(MAKE) --no-print-directory fuzz-short

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

## generate: regenerate protobuf and gqlgen code (committed; CI checks it is fresh)
generate: proto gqlgen

tools:
	@scripts/ensure-protoc.sh
	GOBIN=$(BIN) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc

proto: tools
	PATH="$(BIN):$$PATH" protoc --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative $(PROTOS)

gqlgen:
	$(GO) run ./cmd/gqlgen

GENERATED := proto graph/generated graph/model resolvers

## check-generated: fail when the generated code differs from what `make generate` makes of its sources
## (compared with the working tree, so local edits are fine as long as they were regenerated; the
## protoc version the .pb.go headers record is ignored, since it comes from the OS package)
check-generated:
	@snap=$$(mktemp -d) && trap 'rm -rf "$$snap"' EXIT && \
	for d in $(GENERATED); do mkdir -p "$$snap/$$d" && cp -R "$$d/." "$$snap/$$d"; done && \
	$(MAKE) --no-print-directory generate >/dev/null && \
	for d in $(GENERATED); do diff -r -u -I "^//[[:space:]]*protoc[[:space:]]*v[0-9]" "$$snap/$$d" "$$d" || \
		{ echo "generated code in $$d was stale; 'make generate' has now updated it: review and commit it"; exit 1; }; done

## fuzz: run each fuzz target briefly
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list 'Fuzz.*' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 10s $$pkg || exit 1; \
		done; \
	done

## fuzz-short: the HTTP surface's fuzz targets (request decoding and its one-pass path, the whole handler, the limits, variable coercion), in turn,
## FUZZ_SHORT_EXECS inputs each (a few seconds each). A count, not a duration: go1.26's fuzz coordinator
## can fail a duration-bounded run with a spurious "context deadline exceeded" at the deadline
## (golang/go#75804, fixed in go1.27), which found nothing and would fail make test.
.PHONY: fuzz-short
FUZZ_SHORT := FuzzDecodeBody FuzzDecodeOperationOnePass FuzzDecodeQueryString FuzzGraphQLHandler FuzzLimits FuzzCoerceVariables
FUZZ_SHORT_EXECS ?= 30000
fuzz-short:
	@for f in $(FUZZ_SHORT); do $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZ_SHORT_EXECS)x ./graph || exit 1; done

clean:
	rm -rf $(BIN)

## check-alerts: promtool check rules + unit tests of ops/prometheus (skipped with one line without promtool and root)
.PHONY: check-alerts
check-alerts:
	@scripts/check-alerts.sh
## graphiql: rebuild the embedded GraphiQL bundle (graph/graphiql/dist, committed) from the npm packages
## pinned in graph/graphiql/web/package-lock.json; needs node and npm, `go build` does not
.PHONY: graphiql
graphiql:
	cd graph/graphiql/web && npm ci --no-audit --no-fund && node build.mjs

.PHONY: bench
## bench: measure the gateway against the hand-written floor with wrk, a few minutes (README, "Benchmarks");
## results in bench/results/. BENCHFLAGS passes flags, e.g. BENCHFLAGS='-duration 5s -rounds 1'
bench: build
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y wrk >/dev/null 2>&1; } || \
		{ echo "make bench needs wrk: apt-get install wrk (as root)"; exit 1; }
	$(GO) build -o $(BIN)/bench ./cmd/bench
	$(BIN)/bench run -bin $(BIN) $(BENCHFLAGS)

## helm-check: `helm lint --strict` of deploy/helm/trellis, then deploy/helm's test (its own module, so the
## Kubernetes API types stay out of the gateway's): renders the chart with several values and decodes
## every object strictly into its k8s.io/api type, and checks each rendered config file with
## `gateway config validate`. helm is built once from the Go module proxy into bin/.
HELM_VERSION ?= v3.22.0
HELM := $(BIN)/helm-$(HELM_VERSION)/helm
.PHONY: helm-check
$(HELM):
	GOBIN=$(dir $(HELM)) $(GO) install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)
helm-check: $(HELM) build
	@out=$$($(HELM) lint --strict --quiet deploy/helm/trellis 2>&1) || { echo "$$out"; exit 1; }
	cd deploy/helm && HELM=$(HELM) GATEWAY=$(BIN)/gateway $(GO) test -count=1 ./...
