# The two commands README.md promises on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
NPM_STAMP := node_modules/.package-lock.json

.PHONY: deps tools ui build lint typecheck test unit e2e demo bench bench-peers bench-limit bench-cli image manifests clean

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund

deps: $(NPM_STAMP)

## tools: build the pinned third-party tools (etcd, kube-*, kwok, helm, kustomize) into ~/.cache
tools:
	scripts/build-tools.sh

## ui: build the web UI (React + Vite) into web/dist, which the hub serves at /; skipped when up to date
UI_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json
web/dist/index.html: $(NPM_STAMP) $(UI_SOURCES)
	npx vite build web --logLevel warn

ui: web/dist/index.html

build: deps ui
	npx tsc -p tsconfig.build.json

typecheck: deps
	npx tsc -p tsconfig.json --noEmit
	npx tsc -p web/tsconfig.json --noEmit

lint: deps
	npx eslint .
	npx prettier --check .

## test: type check, lint, then unit and e2e tests against real clusters and a real Git server
test: deps tools typecheck lint ui
	npx vitest run

unit: deps
	npx vitest run --project unit

e2e: deps tools ui
	npx vitest run --project e2e

## demo: a local fleet (clusters + Git server + controllers) that stays up until Ctrl-C
demo: deps ui
	scripts/build-tools.sh etcd kubernetes kwok helm kustomize
	npx tsx scripts/demo.ts

bench: deps tools ui
	npx tsx bench/harness/main.ts
	npx tsx bench/sync/main.ts
	npx tsx bench/ui/main.ts
	$(MAKE) bench-limit bench-peers

## bench-peers: gitfleet side by side with Flux (builds Flux's controllers once; see bench/README.md)
bench-peers: deps tools
	scripts/build-tools.sh flux
	npx tsx bench/peers/main.ts

bench-limit: deps tools
	npx tsx bench/limit/main.ts

## image: gitfleet's OCI image, daemonless (crane), into dist/image (layout, digest, SBOM)
image: build
	scripts/build-tools.sh crane helm kustomize
	scripts/image/build.sh

## manifests: re-render deploy/manifests and the chart's CRDs from deploy/chart/gitfleet
manifests:
	deploy/render.sh

bench-cli: deps tools
	npx tsx bench/cli/main.ts

clean:
	rm -rf dist web/dist .gitfleet-run
