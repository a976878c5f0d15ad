#!/usr/bin/env bash
# Builds gitfleet's container image without a Docker daemon, reproducibly: the same tree on the same
# machine gives the same digest (fixed mtimes, owners and order in the layer; no timestamps in the
# config).
#
#   scripts/image/build.sh [OUT_DIR]      default: dist/image
#
# Contents (one layer, no shell, no package manager):
#   /app            compiled gitfleet (dist/src), package.json, deploy/crds, deploy/chart (for
#                   `gitfleet bootstrap`), web/dist, production
#                   node_modules (`npm ls --omit=dev`)
#   /usr/bin/node   this machine's Node.js binary, its shared libraries resolved by ldd and copied
#                   with the dynamic loader (Debian's files; see sbom.json for the owning packages)
#   /usr/bin/git    + git-remote-http(s) and their libraries (sources are fetched with git), tar
#   /usr/local/bin  helm and kustomize, the pinned builds of scripts/build-tools.sh
#   /etc            passwd/group with the non-root user gitfleet (65532), CA certificates
# The entrypoint is exec form ([node, main.js]): nothing needs a shell at runtime.
#
# The image is written with crane (go-containerregistry, pinned in scripts/versions.env): pushed to
# $GITFLEET_IMAGE_REGISTRY (host:port, plain HTTP) when set, else to a throw-away `crane registry
# serve`; then pulled as an OCI layout into OUT_DIR/oci, its digest in OUT_DIR/digest, its SBOM in
# OUT_DIR/sbom.json (Debian packages + npm packages).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$(realpath -m "${1:-$repo/dist/image}")
# shellcheck source=../versions.env
source "$repo/scripts/versions.env"
tools_dir=${GITFLEET_TOOLS_DIR:-$HOME/.cache/gitfleet/tools}
crane=$tools_dir/crane-$CRANE_VERSION/bin/crane
helm=$tools_dir/helm-$HELM_VERSION/bin/helm
kustomize=$tools_dir/kustomize-$KUSTOMIZE_VERSION/bin/kustomize
# What gets packaged: dist/ of this tree, or GITFLEET_DIST (e.g. the last commit compiled apart).
dist=${GITFLEET_DIST:-$repo/dist}
for b in "$crane" "$helm" "$kustomize"; do
  [ -x "$b" ] || { echo "image: $b missing: run scripts/build-tools.sh crane helm kustomize" >&2; exit 1; }
done
for c in node git ldd dpkg-query tar gzip; do
  command -v "$c" >/dev/null || { echo "image: '$c' is not on PATH (apt-get install -y nodejs git libc-bin dpkg tar gzip)" >&2; exit 1; }
done
[ -f "$dist/src/cli/main.js" ] || { echo "image: $dist is not built: run 'npx tsc -p tsconfig.build.json' (make build)" >&2; exit 1; }
version=$(node -p "require('$repo/package.json').version")

work=$(mktemp -d "${TMPDIR:-/tmp}/gitfleet-image.XXXXXX")
cleanup() { [ -n "${reg_pid:-}" ] && kill "$reg_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
root=$work/rootfs
# /dev and /proc are mount points the runtime fills.
mkdir -p "$root"/{app,usr/bin,usr/local/bin,usr/lib/git-core,etc/ssl/certs,tmp,var/cache/gitfleet,dev,proc}

# --- gitfleet itself
cp -r "$dist/src" "$root/app/src.tmp" && mkdir -p "$root/app/dist" && mv "$root/app/src.tmp" "$root/app/dist/src"
find "$root/app/dist" -name '*.map' -delete
cp "$repo/package.json" "$root/app/"
mkdir -p "$root/app/deploy" && cp -r "$repo/deploy/crds" "$root/app/deploy/crds"
mkdir -p "$root/app/deploy/chart" && cp -r "$repo/deploy/chart/gitfleet" "$root/app/deploy/chart/gitfleet"
[ -d "$repo/web/dist" ] && mkdir -p "$root/app/web" && cp -r "$repo/web/dist" "$root/app/web/dist"
npm_pkgs=()
while IFS= read -r dir; do
  [ "$dir" = "$repo" ] && continue
  rel=${dir#"$repo"/}
  mkdir -p "$root/app/$(dirname "$rel")" && cp -r "$dir" "$root/app/$rel"
  npm_pkgs+=("$rel")
done < <(cd "$repo" && npm ls --omit=dev --all --parseable 2>/dev/null)

# --- binaries and the shared libraries they load (ldd), with the loader
# tar: a checkout is `git archive | tar -x` (src/engine/source/checkout.ts); without it every render
# fails with "cannot run tar".
bins=(/usr/bin/node /usr/bin/git /usr/lib/git-core/git-remote-http /usr/lib/git-core/git-remote-https /usr/bin/tar)
libs=()
for b in "${bins[@]}"; do
  cp -L "$b" "$root$b"
  while read -r lib; do libs+=("$lib"); done < <(ldd "$b" | awk '/=> \//{print $3} $1 ~ /^\//{print $1}')
done
mapfile -t libs < <(printf '%s\n' "${libs[@]}" | sort -u)
for l in "${libs[@]}"; do mkdir -p "$root$(dirname "$l")" && cp -L "$l" "$root$l"; done
cp "$helm" "$kustomize" "$root/usr/local/bin/"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/" 2>/dev/null || true
printf 'root:x:0:0:root:/root:/sbin/nologin\ngitfleet:x:65532:65532:gitfleet:/tmp:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\ngitfleet:x:65532:\n' >"$root/etc/group"
chmod 1777 "$root/tmp"

# --- SBOM: the Debian package of every copied system file, and every npm package
{
  echo '{"image":"gitfleet","version":"'"$version"'","debian":['
  for f in "${bins[@]}" "${libs[@]}" /etc/ssl/certs/ca-certificates.crt; do
    real=$(readlink -f "$f"); pkg=$( (dpkg -S "$f" 2>/dev/null || dpkg -S "$real" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null || echo unknown:) | head -1 | cut -d: -f1)
    # The CA bundle is generated by update-ca-certificates, so no package lists it as its file.
    [ "$f" = /etc/ssl/certs/ca-certificates.crt ] && pkg=ca-certificates
    [ "$pkg" = unknown ] && ver='' || ver=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
    echo "{\"file\":\"$f\",\"package\":\"$pkg\",\"version\":\"$ver\"},"
  done | sed '$ s/,$//'
  echo '],"npm":['
  for p in "${npm_pkgs[@]}"; do
    node -p "const p=require('$repo/$p/package.json'); JSON.stringify({name:p.name,version:p.version,license:p.license??null})"
    echo ','
  done | sed '$ d'
  echo '],"tools":[{"name":"helm","version":"'"$("$helm" version --short)"'"},{"name":"kustomize","version":"'"$("$kustomize" version)"'"}]}'
} | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify(JSON.parse(s),null,2)))' >"$work/sbom.json"
cp "$work/sbom.json" "$root/app/sbom.json"

# --- one reproducible layer: sorted, fixed mtime, numeric owners (files root-owned and read-only
# to the runtime user; only /tmp and the cache are writable, and those are volumes in the chart)
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -cf "$work/layer.tar" .
gzip -n "-${GITFLEET_IMAGE_GZIP:-9}" <"$work/layer.tar" >"$work/layer.tar.gz"

# --- the image, via a registry (crane writes images to registries or tarballs)
registry=${GITFLEET_IMAGE_REGISTRY:-}
if [ -z "$registry" ]; then
  port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
  "$crane" registry serve --address "127.0.0.1:$port" >"$work/registry.log" 2>&1 &
  reg_pid=$!
  registry=127.0.0.1:$port
  for _ in $(seq 100); do curl -sf "http://$registry/v2/" >/dev/null && break; sleep 0.1; done
fi
ref=$registry/gitfleet:$version
"$crane" append --insecure --oci-empty-base -f "$work/layer.tar.gz" -t "$ref" >/dev/null
"$crane" mutate --insecure "$ref" -t "$ref" \
  --entrypoint /usr/bin/node,/app/dist/src/cli/main.js --cmd version --user 65532:65532 --workdir /app \
  --env PATH=/usr/local/bin:/usr/bin --env HOME=/tmp --env NODE_ENV=production \
  --env GITFLEET_HELM=/usr/local/bin/helm --env GITFLEET_KUSTOMIZE=/usr/local/bin/kustomize \
  --exposed-ports 8080/tcp,8081/tcp --set-platform linux/amd64 \
  -l org.opencontainers.image.title=gitfleet -l org.opencontainers.image.version="$version" \
  -l org.opencontainers.image.source=https://github.com/gitfleet/gitfleet >/dev/null
digest=$("$crane" digest --insecure "$ref")
rm -rf "$out" && mkdir -p "$out"
"$crane" pull --insecure --format oci "$ref" "$out/oci"
cp "$work/sbom.json" "$out/sbom.json"
echo "$digest" >"$out/digest"
echo "$ref" >"$out/ref"
echo "image $ref@$digest ($(du -sh "$work/layer.tar.gz" | cut -f1) compressed; OCI layout $out/oci; SBOM $out/sbom.json)"
