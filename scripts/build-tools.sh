#!/usr/bin/env bash
# Builds the pinned third-party tools (scripts/versions.env) from the Go module proxy into a
# versioned cache, skipping what is already built.
#
#   scripts/build-tools.sh            build everything missing
#   scripts/build-tools.sh NAME...    build only these (etcd kubernetes kwok helm kustomize gitea)
#   scripts/build-tools.sh flux       optional, never built by default (bench/peers only): Flux's
#                                     source-controller and kustomize-controller, CRDs in share/crds
#   scripts/build-tools.sh argocd     optional, never built by default (bench/peers --peers argocd):
#                                     Argo CD's one binary (application-controller, repo-server by
#                                     argv[0]), CRDs in share/crds; ~2,200 packages, tens of minutes
#   scripts/build-tools.sh --print    print the bin directory of every tool (after building)
#   scripts/build-tools.sh --check    exit 1 naming what is missing, build nothing
#
# Cache: ${GITFLEET_TOOLS_DIR:-~/.cache/gitfleet/tools}/<name>-<version>/bin/
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
tools_dir=${GITFLEET_TOOLS_DIR:-$HOME/.cache/gitfleet/tools}
mode=build
only=()
for arg in "$@"; do
  case "$arg" in
    --print) mode=print ;;
    --check) mode=check ;;
    etcd|kubernetes|kwok|helm|kustomize|gitea|crane|distribution|mailpit) only+=("$arg") ;;
    flux) only+=(flux-source-controller flux-kustomize-controller) ;;
    flux-source-controller|flux-kustomize-controller|argocd) only+=("$arg") ;;
    *) echo "usage: $0 [--print|--check] [etcd|kubernetes|kwok|helm|kustomize|gitea|sops|mailpit|flux|argocd]..." >&2; exit 2 ;;
  esac
done
wanted() { [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $1 "* ]]; }

# name|version|files the build leaves in <name>-<version>/
tools=(
  "etcd|$ETCD_VERSION|bin/etcd"
  "kubernetes|$KUBERNETES_VERSION|bin/kube-apiserver bin/kube-controller-manager bin/kube-scheduler"
  "kwok|$KWOK_VERSION|bin/kwok stages/pod-ready.yaml stages/node-heartbeat.yaml"
  "helm|$HELM_VERSION|bin/helm"
  "kustomize|$KUSTOMIZE_VERSION|bin/kustomize"
  "crane|$CRANE_VERSION|bin/crane"
  "gitea|$GITEA_VERSION|bin/gitea share/templates/base/head.tmpl"
  "sops|$SOPS_VERSION|bin/sops"
  "distribution|$DISTRIBUTION_VERSION|bin/registry"
  "mailpit|$MAILPIT_VERSION|bin/mailpit"
)
# Optional tools: considered only when named (so `make test`, `make demo` and .ci/run never build them).
for o in "${only[@]}"; do
  case "$o" in
    flux-source-controller) tools+=("$o|$FLUX_SOURCE_CONTROLLER_VERSION|bin/source-controller share/crds/source.toolkit.fluxcd.io_gitrepositories.yaml") ;;
    flux-kustomize-controller) tools+=("$o|$FLUX_KUSTOMIZE_CONTROLLER_VERSION|bin/kustomize-controller share/crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml") ;;
    argocd) tools+=("$o|$ARGOCD_VERSION|bin/argocd bin/argocd-application-controller bin/argocd-repo-server share/crds/application-crd.yaml") ;;
  esac
done

is_built() { # name version files...
  local dir="$tools_dir/$1-$2"; shift 2
  for b in "$@"; do [ -e "$dir/$b" ] || return 1; done
}

missing=()
for t in "${tools[@]}"; do
  IFS='|' read -r name ver bins <<<"$t"
  wanted "$name" || continue
  # shellcheck disable=SC2086
  is_built "$name" "$ver" $bins || missing+=("$name")
done

if [ "$mode" = check ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing tool builds: ${missing[*]} (run: scripts/build-tools.sh)" >&2; exit 1
  fi
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  command -v go >/dev/null || { echo "build-tools: 'go' is not on PATH; install Go >= 1.26 (https://go.dev/doc/install) and re-run scripts/build-tools.sh" >&2; exit 1; }
  gov=$(go env GOVERSION); gominor=$(echo "$gov" | sed -E 's/^go1\.([0-9]+).*/\1/')
  [ "$gominor" -ge 26 ] || { echo "build-tools: $gov is too old; Kubernetes $KUBERNETES_VERSION needs Go >= 1.26" >&2; exit 1; }
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
  export GOPROXY=${GOPROXY:-https://proxy.golang.org}
  export GOMODCACHE=${GOMODCACHE_OVERRIDE:-$HOME/.cache/gitfleet/gomod}
  # Linking kube-apiserver takes ~2 GB; two links at once is fine on 24 GiB, more is not needed.
  export GOMAXPROCS=${GOMAXPROCS:-$(nproc)}
fi

step=0
build() { # name version
  local name=$1 ver=$2 out="$tools_dir/$1-$2" work
  work=$(mktemp -d "${TMPDIR:-/tmp}/gitfleet-build-$name.XXXXXX")
  trap 'rm -rf "$work"' RETURN
  local t0=$SECONDS
  step=$((step + 1))
  echo "[$step/${#missing[@]}] building $name $ver (log: $work/build.log)"
  mkdir -p "$work/bin"
  ( cd "$work" && "build_$name" "$ver" ) >"$work/build.log" 2>&1 || {
    echo "build-tools: building $name $ver failed; last lines of the log:" >&2
    tail -n 40 "$work/build.log" >&2
    return 1
  }
  rm -rf "$out.tmp" && mkdir -p "$out.tmp" && mv "$work/bin" "$out.tmp/bin"
  [ -d "$work/stages" ] && mv "$work/stages" "$out.tmp/stages"
  [ -d "$work/share" ] && mv "$work/share" "$out.tmp/share"
  rm -rf "$out" && mv "$out.tmp" "$out"
  echo "    done in $((SECONDS - t0))s: $(cd "$out" && ls bin/* stages/* 2>/dev/null | tr '\n' ' ')"
}

wrapper() { go mod init wrapper.local/"$1" >/dev/null 2>&1; }

build_etcd() {
  wrapper etcd
  go mod edit -require="go.etcd.io/etcd/server/v3@$1"
  go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$1" -o bin/etcd go.etcd.io/etcd/server/v3
  bin/etcd --version
}

build_kubernetes() {
  local v=$1 staging=v0.${1#v1.} minor; minor=$(echo "$1" | cut -d. -f2)
  wrapper k8s
  go mod edit -require="k8s.io/kubernetes@$v"
  local upstream; upstream=$(go mod download -json "k8s.io/kubernetes@$v" | grep '"GoMod"' | cut -d'"' -f4)
  # k8s.io/kubernetes requires its staging modules at v0.0.0 with local-path replaces, which do not
  # apply to a dependency: point each at its published v0.<minor>.<patch> instead.
  local gol; gol=$(grep -E '^go ' "$upstream" | awk '{print $2}'); go mod edit -go="$gol"
  grep -E '^\s+k8s\.io/[a-z0-9-]+ => \./staging/' "$upstream" | awk '{print $1}' | while read -r m; do
    go mod edit -replace="$m=$m@$staging"
  done
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  # One binary at a time keeps peak memory at one link.
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    echo "--- $c"; go build -trimpath -ldflags "$ld" -o "bin/$c" "k8s.io/kubernetes/cmd/$c"
  done
  bin/kube-apiserver --version
}

build_kwok() {
  wrapper kwok
  go mod edit -require="sigs.k8s.io/kwok@$1"
  go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$1" -o bin/kwok sigs.k8s.io/kwok/cmd/kwok
  bin/kwok --version
  # kwok v0.8 has no built-in stages: ship the upstream "fast" node and pod stages beside it.
  local src; src=$(go mod download -json "sigs.k8s.io/kwok@$1" | grep '"Dir"' | cut -d'"' -f4)
  mkdir -p stages
  cp "$src/kustomize/stage/node/fast/node-initialize.yaml" "$src/kustomize/stage/node/heartbeat/node-heartbeat.yaml" \
     "$src"/kustomize/stage/pod/fast/pod-{ready,complete,delete}.yaml stages/
  chmod 644 stages/*
}

build_helm() {
  wrapper helm
  go mod edit -require="helm.sh/helm/v3@$1"
  local kmin; kmin=$(echo "$KUBERNETES_VERSION" | cut -d. -f2)
  go build -trimpath -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$1 -X helm.sh/helm/v3/internal/version.gitTreeState=clean \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$kmin \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$kmin" \
    -o bin/helm helm.sh/helm/v3/cmd/helm
  bin/helm version --short
}

build_kustomize() {
  wrapper kustomize
  go mod edit -require="sigs.k8s.io/kustomize/kustomize/v5@$1"
  go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kustomize/api/provenance.version=$1" -o bin/kustomize sigs.k8s.io/kustomize/kustomize/v5
  bin/kustomize version
}

build_crane() {
  wrapper crane
  go mod edit -require="github.com/google/go-containerregistry@$1"
  go build -trimpath -ldflags "-s -w" -o bin/crane github.com/google/go-containerregistry/cmd/crane
  bin/crane version
}

# Mailpit: the real SMTP server (STARTTLS, auth) the email notification tests send to; its HTTP API
# reads what arrived.
build_mailpit() {
  wrapper mailpit
  go mod edit -require="github.com/axllent/mailpit@$1"
  go build -trimpath -ldflags "-s -w -X github.com/axllent/mailpit/config.Version=$1" -o bin/mailpit github.com/axllent/mailpit
  bin/mailpit version --no-release-check
}

# CNCF distribution: the OCI registry the Helm/OCI source tests push charts and artifacts to.
build_distribution() {
  wrapper distribution
  go mod edit -require="github.com/distribution/distribution/v3@$1"
  local upstream; upstream=$(go mod download -json "github.com/distribution/distribution/v3@$1" | grep '"GoMod"' | cut -d'"' -f4)
  go mod edit -go="$(grep -E '^go ' "$upstream" | awk '{print $2}')"
  go build -trimpath -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$1" -o bin/registry github.com/distribution/distribution/v3/cmd/registry
  bin/registry --version
}

build_sops() {
  wrapper sops
  go mod edit -require="github.com/getsops/sops/v3@$1"
  go build -trimpath -ldflags "-s -w" -o bin/sops github.com/getsops/sops/v3/cmd/sops
  bin/sops --version --disable-version-check
}

build_gitea() {
  command -v gcc >/dev/null || { echo "gitea needs a C compiler for SQLite: apt-get install -y gcc libc6-dev" >&2; return 1; }
  wrapper gitea
  go mod edit -require="code.gitea.io/gitea@$1"
  local upstream; upstream=$(go mod download -json "code.gitea.io/gitea@$1" | grep '"GoMod"' | cut -d'"' -f4)
  go mod edit -go="$(grep -E '^go ' "$upstream" | awk '{print $2}')"
  # Upstream's version-pinning replaces do not apply to a dependency: copy them.
  grep -E '^replace [^ ]+ => [^ ]+ v' "$upstream" | awk '{print "-replace="$2"="$4"@"$5}' | while read -r r; do go mod edit "$r"; done
  grep -E '^exclude ' "$upstream" | awk '{print "-exclude="$2"@"$3}' | while read -r r; do go mod edit "$r"; done
  CGO_ENABLED=1 go build -trimpath -tags 'sqlite sqlite_unlock_notify' -ldflags "-s -w -X main.Version=${1#v}" -o bin/gitea code.gitea.io/gitea
  # Without the frontend build (bindata) Gitea reads its templates and options from disk.
  local src; src=$(go mod download -json "code.gitea.io/gitea@$1" | grep '"Dir"' | cut -d'"' -f4)
  mkdir -p share && cp -r "$src/templates" "$src/options" "$src/public" share/ && chmod -R u+w share
  bin/gitea --version
}

# Copies an upstream go.mod's module-version replaces and its excludes (ignored in a dependency) into
# the wrapper; local-path replaces (`=> ./api`) are dropped, so the required version of that module
# resolves from the proxy.
copy_replaces() { # upstream-go.mod
  go mod edit -json "$1" | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s);
      for (const r of j.Replace ?? []) {
        if (!r.New.Version) continue;
        const old = r.Old.Version ? `${r.Old.Path}@${r.Old.Version}` : r.Old.Path;
        console.log(`-replace=${old}=${r.New.Path}@${r.New.Version}`);
      }
      for (const e of j.Exclude ?? []) console.log(`-exclude=${e.Path}@${e.Version}`);
    });' | while read -r r; do go mod edit "$r"; done
}

# Flux controllers: module root is the main package; CRDs ship in the module zip.
build_flux() { # module version binary
  local mod=$1 ver=$2 bin=$3
  wrapper "$bin"
  go mod edit -require="$mod@$ver"
  local upstream; upstream=$(go mod download -json "$mod@$ver" | grep '"GoMod"' | cut -d'"' -f4)
  go mod edit -go="$(grep -E '^go ' "$upstream" | awk '{print $2}')"
  copy_replaces "$upstream"
  go build -trimpath -ldflags "-s -w" -o "bin/$bin" "$mod" || return 1
  local src; src=$(go mod download -json "$mod@$ver" | grep '"Dir"' | cut -d'"' -f4)
  mkdir -p share/crds && cp "$src"/config/crd/bases/*.yaml share/crds/ && chmod 644 share/crds/* || return 1
  [ -x "bin/$bin" ] && ls share/crds
}
build_flux-source-controller() { build_flux github.com/fluxcd/source-controller "$1" source-controller; }
build_flux-kustomize-controller() { build_flux github.com/fluxcd/kustomize-controller "$1" kustomize-controller; }

# Argo CD: one binary whose argv[0] picks the component (cmd/main.go); the components bench/peers
# runs are links to it. Its go.mod pins k8s.io/* by replace, which a dependency ignores: copied.
build_argocd() { # version
  local mod=github.com/argoproj/argo-cd/v3 ver=$1
  wrapper argocd
  go mod edit -require="$mod@$ver"
  local upstream; upstream=$(go mod download -json "$mod@$ver" | grep '"GoMod"' | cut -d'"' -f4)
  go mod edit -go="$(grep -E '^go ' "$upstream" | awk '{print $2}')"
  copy_replaces "$upstream"
  go build -trimpath -ldflags "-s -w -X $mod/common.version=${ver#v}" -o bin/argocd "$mod/cmd" || return 1
  ln -s argocd bin/argocd-application-controller && ln -s argocd bin/argocd-repo-server || return 1
  local src; src=$(go mod download -json "$mod@$ver" | grep '"Dir"' | cut -d'"' -f4)
  mkdir -p share/crds && cp "$src"/manifests/crds/*-crd.yaml share/crds/ && chmod 644 share/crds/* || return 1
  bin/argocd-application-controller version 2>/dev/null | head -1 || true
  ls share/crds
}

for t in "${tools[@]}"; do
  IFS='|' read -r name ver bins <<<"$t"
  wanted "$name" || continue
  # shellcheck disable=SC2086
  is_built "$name" "$ver" $bins || build "$name" "$ver"
done

if [ "$mode" = print ]; then
  for t in "${tools[@]}"; do IFS='|' read -r name ver _ <<<"$t"; echo "$tools_dir/$name-$ver/bin"; done
else
  [ ${#missing[@]} -eq 0 ] && echo "build-tools: all tools built ($tools_dir)"
fi
exit 0
