#!/usr/bin/env bash
# Builds every kustomization under deploy/k8s with `kubectl kustomize` and validates what it makes against the
# Kubernetes schemas (kubernetes-validate, strict). No cluster needed. Used by .ci/run; the suite does the same
# (tests/deploy/test_k8s.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
KUBERNETES_VERSION=${KUBERNETES_VERSION:-1.30.0}
command -v kubectl >/dev/null || { echo "check.sh: kubectl is missing (bash scripts/setup.sh installs it as root)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for dir in deploy/k8s/base deploy/k8s/overlays/*/; do
    name=$(basename "$dir")
    kubectl kustomize "$dir" >"$out/$name.yaml"
    .venv/bin/kubernetes-validate --strict --quiet -k "$KUBERNETES_VERSION" "$out/$name.yaml"
    echo "$dir: $(grep -c '^kind:' "$out/$name.yaml") resources, valid for Kubernetes $KUBERNETES_VERSION"
done
