#!/usr/bin/env bash
# Installs or locates the real services the registry and ECR tests run against:
# Debian's docker-registry, skopeo and htpasswd (apache2-utils), and moto's server in a
# venv under target/. Idempotent: a second run only checks. Prints KEY=VALUE lines
# (DOCKER_REGISTRY=..., SKOPEO=..., HTPASSWD=..., MOTO_SERVER=...) that tests may eval, and
# DOCKERD=/PODMAN= (empty when docker.io/podman are not installed; scripts/test.sh installs them).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/moto-venv"

need_apt=()
command -v docker-registry >/dev/null 2>&1 || need_apt+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need_apt+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || need_apt+=(apache2-utils)
if ((${#need_apt[@]})); then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
    else
        echo "missing: ${need_apt[*]}; install them with: sudo apt-get install ${need_apt[*]}" >&2
        exit 1
    fi
fi

if [ ! -x "$venv/bin/moto_server" ]; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q 'moto[server]>=5' >&2
fi

echo "DOCKER_REGISTRY=$(command -v docker-registry)"
echo "SKOPEO=$(command -v skopeo)"
echo "HTPASSWD=$(command -v htpasswd)"
echo "MOTO_SERVER=$venv/bin/moto_server"
echo "DOCKERD=$(command -v dockerd || true)"
echo "PODMAN=$(command -v podman || true)"
