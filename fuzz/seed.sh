#!/usr/bin/env bash
# Seeds fuzz/corpus/<target>/ from the repository's real fixtures (assets/demo, tests/fixtures).
# The corpora are not committed (see .gitignore); rerun this after a fresh checkout.
# Needs jq, tar, sha256sum and zstd. Usage: fuzz/seed.sh  (from anywhere)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus="$root/fuzz/corpus"
det="$root/tests/fixtures/detect"
demo="$root/assets/demo"
blobs="$demo/blobs/sha256"

put() { # put TARGET FILE...: copy files in
    local t=$1; shift
    mkdir -p "$corpus/$t"
    cp "$@" "$corpus/$t/"
}
text() { # text TARGET NAME CONTENT: write one seed (printf %b escapes)
    mkdir -p "$corpus/$1"
    printf '%b' "$3" > "$corpus/$1/$2"
}
line() { # line TARGET NAME FIRST-LINE FILE: FIRST-LINE, a newline, then FILE's bytes
    mkdir -p "$corpus/$1"
    { printf '%s\n' "$3"; cat "$4"; } > "$corpus/$1/$2"
}

put detect_elf "$det"/hello-* "$det"/static-* "$det"/libarchlens-arm64.so "$det"/go-hello-arm64 \
    "$det"/_speedups.cpython-311-*.so "$det"/bufferutil-linux-x64.node
put detect_go "$det"/go-hello-arm64
put detect_foreign "$det"/_speedups.cp311-win_amd64.pyd "$det"/fsevents.node \
    "$det"/esbuild-darwin-arm64.head "$det"/bufferutil-win32-x64.node
line detect_python manylinux _speedups.cpython-311-x86_64-linux-gnu.so "$det/WHEEL.manylinux-x86_64"
line detect_python musllinux /site-packages/MarkupSafe-2.1.5.dist-info/WHEEL "$det/WHEEL.musllinux-aarch64"
line detect_python pyd _speedups.cp311-win_amd64.pyd "$det/WHEEL.manylinux-x86_64"
line detect_node crc32 /app/node_modules/@node-rs/crc32-linux-arm64-gnu/crc32.linux-arm64-gnu.node \
    "$det/crc32-linux-arm64-gnu.package.json"
line detect_node prebuild /app/node_modules/bufferutil/prebuilds/linux-x64/node.napi.node \
    "$demo/src/package.json"
put detect_jar "$det"/*.jar
put detect_pkgdb "$det/dpkg-status" "$det/apk-installed" "$det"/status.d/*
put detect_script "$demo/src/docker-entrypoint.sh"
text detect_script env '#!/usr/bin/env -S python3 -u\nprint(1)\n'
text detect_script crlf '#!/bin/bash\r\necho hi\r\n'

# Layers: the demo's gzip layers, and one small layer also as plain tar and as zstd.
mkdir -p "$corpus/scan_layer" "$corpus/verdict_e2e"
small=()
for f in "$blobs"/*; do
    [ "$(head -c2 "$f" | od -An -tx1 | tr -d ' \n')" = 1f8b ] || continue
    h=$(basename "$f")
    cp "$f" "$corpus/scan_layer/$h"
    line verdict_e2e "$h" /usr/local/bin/server "$f"
    if [ "$(stat -c %s "$f")" -lt 4096 ]; then small+=("$h"); fi
done
line verdict_e2e entrypoint-sh "/usr/local/bin/docker-entrypoint.sh run" "$blobs/${small[0]}"
gzip -dc "$blobs/${small[0]}" > "$corpus/scan_layer/plain.tar"
zstd -q -f "$corpus/scan_layer/plain.tar" -o "$corpus/scan_layer/plain.tar.zst"

# Documents: every JSON blob of the demo (manifests, indexes, configs) and index.json.
for f in "$blobs"/*; do
    [ "$(head -c1 "$f")" = '{' ] && put oci_manifest "$f"
done
put oci_manifest "$demo/index.json"
for f in "$blobs"/*; do text oci_digest "$(basename "$f")" "sha256:$(basename "$f")"; done
text oci_digest sha512 "sha512:$(printf x | sha512sum | cut -d' ' -f1)"
text oci_platform amd64 'linux/amd64\nlinux/amd64/v2'
text oci_platform arm64 'linux/arm64/v8\nlinux/arm64'
text oci_platform arm 'linux/arm/v7\nlinux/arm/v6'
text oci_platform windows 'windows/amd64\nwindows/amd64'
text oci_platform mac 'darwin/arm64\nlinux/arm64'
text source_reference hub 'alpine'
text source_reference tagged 'docker.io/library/alpine:3.19'
text source_reference digest "ghcr.io/org/app@sha256:${small[0]}"
text source_reference port 'localhost:5000/team/app:v1'
text source_reference ecr '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest'
text source_reference oci 'oci:assets/demo:good'
text source_reference archive 'docker-archive:image.tar:app:latest'
text registry_headers bearer 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'
text registry_headers basic 'Basic realm="Registry Realm"'
text registry_headers link '</v2/_catalog?last=b&n=100>; rel="next"'
text registry_token token '{"token":"abc","expires_in":300}'
text registry_token access '{"access_token":"xyz"}'
auth=$(printf 'alice:s3cret' | base64)
text docker_config auths "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"$auth\"},\"127.0.0.1:5000\":{\"username\":\"bob\",\"password\":\"pw\"}}}"
text docker_config helpers '{"credHelpers":{"ghcr.io":"gh"},"credsStore":"desktop","auths":{"ghcr.io":{}}}'

# Archives: one small image (a demo config, the demo's small layers) as docker save and
# as oci-archive, so the fuzzer starts from tarballs that read to the end.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
config=$(jq -r '.config.digest' "$blobs/c04c85cd15206470b89c1eac59c69a71f62f5fcab38f965b28abcdd12af7d4af" | cut -d: -f2)
mkdir -p "$work/docker" "$work/oci/blobs/sha256"
cp "$blobs/$config" "$work/docker/config.json"
layers=$(printf '"%s.tar.gz",' "${small[@]}")
for h in "${small[@]}"; do cp "$blobs/$h" "$work/docker/$h.tar.gz"; done
printf '[{"Config":"config.json","RepoTags":["demo:latest"],"Layers":[%s]}]' "${layers%,}" \
    > "$work/docker/manifest.json"
mkdir -p "$corpus/docker_archive" "$corpus/oci_archive"
tar -C "$work/docker" -cf "$corpus/docker_archive/demo.tar" .
tar -C "$work/docker" -cf "$corpus/docker_archive/plain-names.tar" manifest.json config.json "${small[@]/%/.tar.gz}"

descs=""
for h in "${small[@]}"; do
    cp "$blobs/$h" "$work/oci/blobs/sha256/"
    descs+=$(printf '{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},' \
        "$h" "$(stat -c %s "$blobs/$h")")
done
cp "$blobs/$config" "$work/oci/blobs/sha256/"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$config" "$(stat -c %s "$blobs/$config")" "${descs%,}" > "$work/manifest.json"
m=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
cp "$work/manifest.json" "$work/oci/blobs/sha256/$m"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"demo"}}]}' \
    "$m" "$(stat -c %s "$work/manifest.json")" > "$work/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$work/oci/oci-layout"
tar -C "$work/oci" -cf "$corpus/oci_archive/demo.tar" .
tar -C "$work/oci" -cf "$corpus/oci_archive/no-dot.tar" oci-layout index.json blobs

# Regression inputs are seeds too: the fuzzer starts from what once broke.
if [ -d "$root/fuzz/regressions" ]; then
    for d in "$root"/fuzz/regressions/*/; do
        t=$(basename "$d")
        mkdir -p "$corpus/$t"
        cp "$d"* "$corpus/$t/" 2>/dev/null || true
    done
fi
echo "seeded $(find "$corpus" -type f | wc -l) inputs under $corpus"
