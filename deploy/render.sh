#!/usr/bin/env bash
# Renders the plain manifests in deploy/manifests/ from the chart (kubectl apply -f users' path).
# test/e2e/install-chart.e2e.test.ts fails when they differ from the chart: re-run this after editing it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/versions.env
source "$here/../scripts/versions.env"
helm=${HELM:-${GITFLEET_TOOLS_DIR:-$HOME/.cache/gitfleet/tools}/helm-$HELM_VERSION/bin/helm}
[ -x "$helm" ] || { echo "render: helm not found; run scripts/build-tools.sh helm" >&2; exit 1; }
mkdir -p "$here/manifests"
# The chart carries a copy of the CRDs (generated from src/api into deploy/crds): a symlink would
# not survive `helm package` warnings-free.
rm -rf "$here/chart/gitfleet/crds" && cp -r "$here/crds" "$here/chart/gitfleet/crds"
"$helm" template gitfleet "$here/chart/gitfleet" --namespace gitfleet-system >"$here/manifests/hub.yaml" 2>/dev/null
"$helm" template gitfleet "$here/chart/gitfleet" --namespace gitfleet-system --set mode=agent \
  --set agent.hubUrl=https://HUB_URL --set agent.cluster=CLUSTER_NAME >"$here/manifests/agent.yaml" 2>/dev/null
echo "rendered $here/manifests/hub.yaml $here/manifests/agent.yaml"
