#!/usr/bin/env bash
# Runs every archlens test. Installs or locates what the tests need first:
#   - Debian packages: docker-registry (a real registry), skopeo and umoci (real OCI clients),
#     zstd, tmux, apache2-utils (htpasswd), cross compilers for fixture recipes, qemu-user-static
#     (runs arm64 entrypoints to confirm verdicts), docker.io and podman (real local engines);
#   - moto (ECR's API) in a virtualenv under target/;
#   - third-party test images under target/fixtures/ (Debian packages, PyPI wheels, npm addons).
# Then runs `cargo test` over the whole crate (extra arguments go to cargo test), then
# fuzzes every target briefly (cargo-fuzz, nightly; ARCHLENS_FUZZ_SECONDS, 0 skips).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for pair in docker-registry:docker-registry skopeo:skopeo umoci:umoci zstd:zstd tmux:tmux \
    htpasswd:apache2-utils aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu \
    arm-linux-gnueabihf-gcc:gcc-arm-linux-gnueabihf qemu-aarch64-static:qemu-user-static; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "test.sh: installing ${need_pkgs[*]} with apt-get" >&2
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
        echo "test.sh: need root (or sudo) to run: apt-get install ${need_pkgs[*]}" >&2
        exit 1
    fi
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# The local-engine tests (tests/engine.rs) start their own dockerd and podman service on private
# sockets; they need Debian's docker.io and podman.
engine_pkgs=()
command -v dockerd >/dev/null 2>&1 || engine_pkgs+=(docker.io)
command -v podman >/dev/null 2>&1 || engine_pkgs+=(podman)
if [ ${#engine_pkgs[@]} -gt 0 ]; then
    echo "test.sh: installing ${engine_pkgs[*]} with apt-get" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${engine_pkgs[@]}" >/dev/null
fi

if [ -x scripts/services.sh ]; then
    scripts/services.sh
fi
if [ -x scripts/fixtures/images.sh ]; then
    scripts/fixtures/images.sh
fi

# The validators of docs/deploy/ (tests/deploy.rs runs scripts/validate_deploy.py with this venv):
# Kubernetes schemas, botocore's AWS Batch model, parliament for the IAM policies.
deploy_venv="${CARGO_TARGET_DIR:-target}/deploy-venv"
if ! "$deploy_venv/bin/python" -c 'import kubernetes_validate, parliament, botocore' 2>/dev/null; then
    echo "test.sh: installing kubernetes-validate, parliament and botocore into $deploy_venv" >&2
    python3 -m venv "$deploy_venv"
    "$deploy_venv/bin/pip" install -q 'kubernetes-validate>=1.30' 'parliament>=1.6' 'botocore>=1.34'
fi

# The OCI layout builder behind the demo and fixture images has its own tests.
python3 -m unittest discover -s scripts -p 'test_*.py'

# Tests locate the tools themselves and fail (never skip) with an install hint when one is missing.
cargo test --all-targets "$@"

# ---- fuzzing (docs/fuzzing.md): every target for a few seconds, seeded from the fixtures.
# The fuzz crate builds archlens without the AWS SDK (`default-features = false`).
fuzz_secs=${ARCHLENS_FUZZ_SECONDS:-5}
if [ "$fuzz_secs" != 0 ]; then
    rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
    command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
    scripts/fuzz.sh -t "$fuzz_secs"
fi
