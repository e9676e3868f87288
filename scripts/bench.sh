#!/usr/bin/env bash
# Benchmark `archlens inspect` on a large local image against plain `gzip -dc` / `zstd -dc` of the same layers.
# The image (about 750 MB uncompressed, ~30,000 files, thousands of real ELF files) is copied from this machine's
# /usr/bin, /usr/lib/gcc, /usr/libexec, /usr/lib/python3*, /usr/share/{doc,man}, plus a layer of whiteouts.
#
# Usage: scripts/bench.sh [--rebuild] [--no-archlens] [--no-registry] [--only-plain]
#   --rebuild      rebuild the image even if target/bench/layout exists
#   --no-archlens  only build the image and time the decompressors (useful before `inspect` exists)
#   --no-registry  skip the registry half (docker-registry on loopback, skopeo push, curl | gzip -dc)
#   --only-plain   only the uncompressed-layers rows (header listing, docker-archive, plain OCI layout)
# ARCHLENS_BIN=path uses that binary instead of running `cargo build --release` first.
# Output: target/bench/layout with refs `gzip` and `zstd` (same layers, two compressions), then a table of wall
# time and peak RSS (GNU time -v); then the same image with plain tar layers (a docker-archive and an OCI layout,
# written by skopeo) against a header-only listing (scripts/tar_headers.py), then the many-small-files images.
# Needs: python3 >= 3.11, zstd, gzip, skopeo, GNU time (apt-get install time), cargo.
# The image depends on what this machine has installed: compare runs on the same machine only.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/target/bench
LAYOUT=$BENCH/layout
STAGE=$BENCH/stage
REBUILD=0 ARCHLENS=1 REGISTRY=1 FULL=1
for arg in "$@"; do
  case $arg in
    --rebuild) REBUILD=1 ;;
    --no-archlens) ARCHLENS=0 ;;
    --no-registry) REGISTRY=0 ;;
    --only-plain) FULL=0 REGISTRY=0 ;;
    *) echo "usage: $0 [--rebuild] [--no-archlens] [--no-registry] [--only-plain]" >&2; exit 2 ;;
  esac
done

fail() { echo "bench.sh: error: $*" >&2; exit 1; }
[ -x /usr/bin/time ] || fail "GNU time is missing; install it with: apt-get install time"
command -v zstd >/dev/null || fail "zstd is missing; install it with: apt-get install zstd"
command -v gzip >/dev/null || fail "gzip is missing; install it with: apt-get install gzip"

# name:source dirs (copied to the same paths in the image)
LAYERS=(
  "bin:/usr/bin"
  "toolchain:/usr/lib/gcc /usr/libexec"
  "python:/usr/lib/python3 /usr/lib/python3.11"
  "docs:/usr/share/doc /usr/share/man"
)

stage_layers() {
  rm -rf "$STAGE" && mkdir -p "$STAGE"
  local entry name src
  for entry in "${LAYERS[@]}"; do
    name=${entry%%:*}
    mkdir -p "$STAGE/$name"
    for src in ${entry#*:}; do
      [ -d "$src" ] || continue
      mkdir -p "$STAGE/$name$(dirname "$src")"
      # Hard links when on the same filesystem: no copy, no extra disk. Sockets/devices are skipped.
      cp -al "$src" "$STAGE/$name$(dirname "$src")/" 2>/dev/null || cp -a "$src" "$STAGE/$name$(dirname "$src")/"
    done
    find "$STAGE/$name" ! -type f ! -type d ! -type l -delete
  done
  # A last layer that deletes things, so whiteouts are part of the work.
  mkdir -p "$STAGE/cleanup/usr/share"
}

write_spec() {
  python3 - "$BENCH/spec.json" "${LAYERS[@]}" <<'PY'
import json, sys
out, names = sys.argv[1], [e.split(":", 1)[0] for e in sys.argv[2:]] + ["cleanup"]
layers, images = {}, {}
for comp, level in (("gzip", 6), ("zstd", 3)):
    for n in names:
        spec = {"tree": n, "compression": comp, "level": level, "created_by": f"COPY {n} /"}
        if n == "cleanup":
            spec |= {"whiteouts": ["/usr/share/doc/bash"], "opaque": ["/usr/share/man/man8"]}
        layers[f"{n}-{comp}"] = spec
    images[comp] = {"platform": "linux/amd64", "layers": [f"{n}-{comp}" for n in names],
                    "config": {"Entrypoint": ["/usr/bin/bash"], "Env": ["PATH=/usr/bin:/bin"]}}
json.dump({"epoch": 1735689600, "layers": layers, "images": images,
           "refs": {"gzip": "gzip", "zstd": "zstd"}}, open(out, "w"), indent=1)
PY
}

if [ "$REBUILD" = 1 ] || [ ! -f "$LAYOUT/index.json" ]; then
  echo "bench.sh: staging layers from this machine into $STAGE"
  stage_layers
  write_spec
  echo "bench.sh: building $LAYOUT (gzip -6 and zstd -3 copies; takes a few minutes)"
  python3 "$ROOT/scripts/ocibuild.py" build "$BENCH/spec.json" --base "$STAGE" --out "$LAYOUT"
  rm -rf "$STAGE"
fi

# Layer blob paths of one ref, in order.
layer_blobs() {
  python3 - "$LAYOUT" "$1" <<'PY'
import json, sys
root, ref = sys.argv[1], sys.argv[2]
index = json.load(open(f"{root}/index.json"))
desc = next(m for m in index["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == ref)
manifest = json.load(open(f"{root}/blobs/sha256/{desc['digest'][7:]}"))
for layer in manifest["layers"]:
    print(f"{root}/blobs/sha256/{layer['digest'][7:]}")
PY
}
largest() { ls -S "$@" | head -1; }

# Runs a command under GNU time; prints "wall_seconds max_rss_kb".
measure_quiet() {
  local log=$BENCH/time.log
  /usr/bin/time -v -o "$log" "$@" >/dev/null 2>"$BENCH/stderr.log" || {
    echo "bench.sh: command failed: $* (stderr in $BENCH/stderr.log)" >&2; tail -5 "$BENCH/stderr.log" >&2; return 1; }
  python3 - "$log" <<'PY'
import sys
wall = rss = 0.0
for line in open(sys.argv[1]):
    key, _, value = line.strip().rpartition(": ")
    if key.startswith("Elapsed (wall clock) time"):
        parts = [float(p) for p in value.split(":")]
        wall = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
    elif key == "Maximum resident set size (kbytes)":
        rss = float(value)
print(f"{wall:.2f} {rss:.0f}")
PY
}
# Each measurement as it is made (on stderr), so a run cut short still shows what it measured.
measure() {
  local out
  out=$(measure_quiet "$@") || return 1
  echo "bench.sh: measured ${out% *} s, ${out#* } KiB: $*" >&2
  echo "$out"
}

mapfile -t GZ < <(layer_blobs gzip)
mapfile -t ZS < <(layer_blobs zstd)
# Also warms the page cache, so the timings below compare decompression and not disk reads.
UNCOMPRESSED=$(gzip -dc "${GZ[@]}" | wc -c)
cat "${ZS[@]}" >/dev/null
echo "bench.sh: image: ${#GZ[@]} layers, $((UNCOMPRESSED / 1048576)) MiB uncompressed;" \
  "gzip $(du -cm "${GZ[@]}" | tail -1 | cut -f1) MiB, zstd $(du -cm "${ZS[@]}" | tail -1 | cut -f1) MiB"

declare -A RESULT
if [ "$FULL" = 1 ]; then
  RESULT[gzip_largest]=$(measure gzip -dc "$(largest "${GZ[@]}")")
  RESULT[gzip_all]=$(measure gzip -dc "${GZ[@]}")
  RESULT[zstd_largest]=$(measure zstd -dc "$(largest "${ZS[@]}")")
  RESULT[zstd_all]=$(measure zstd -dc "${ZS[@]}")
fi

if [ "$ARCHLENS" = 1 ]; then
  if [ -n "${ARCHLENS_BIN:-}" ]; then
    BIN=$ARCHLENS_BIN
  else
    echo "bench.sh: cargo build --release"
    (cd "$ROOT" && cargo build --release --quiet) || fail "cargo build --release failed"
    BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/archlens
  fi
  [ -x "$BIN" ] || fail "$BIN was not built"
  if [ "$FULL" = 1 ]; then
    RESULT[archlens_gzip]=$(measure "$BIN" inspect "oci:$LAYOUT:gzip" --format json --no-cache) || fail "archlens inspect failed on the gzip image"
    RESULT[archlens_zstd]=$(measure "$BIN" inspect "oci:$LAYOUT:zstd" --format json --no-cache) || fail "archlens inspect failed on the zstd image"
  fi

  # The same gzip image served by a real registry (Debian's docker-registry on loopback):
  # archlens end to end against curl | gzip -dc of the same blobs, then a cached second run.
  if [ "$REGISTRY" = 1 ]; then
    command -v docker-registry >/dev/null || fail "docker-registry is missing; install it with: apt-get install docker-registry"
    command -v skopeo >/dev/null || fail "skopeo is missing; install it with: apt-get install skopeo"
    command -v curl >/dev/null || fail "curl is missing; install it with: apt-get install curl"
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    REG=$BENCH/registry
    rm -rf "$REG" && mkdir -p "$REG/data"
    printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
      "$REG/data" "$PORT" > "$REG/config.yml"
    docker-registry serve "$REG/config.yml" >"$REG/log" 2>&1 &
    REG_PID=$!
    trap 'kill $REG_PID 2>/dev/null || true' EXIT
    for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/v2/" >/dev/null && break; sleep 0.2; done
    echo "bench.sh: pushing the gzip image to 127.0.0.1:$PORT with skopeo"
    skopeo copy --quiet --dest-tls-verify=false "oci:$LAYOUT:gzip" "docker://127.0.0.1:$PORT/bench:gzip" \
      || fail "skopeo could not push to the local registry (log: $REG/log)"
    URLS=()
    for blob in "${GZ[@]}"; do URLS+=("http://127.0.0.1:$PORT/v2/bench/blobs/sha256:$(basename "$blob")"); done
    curl_gzip() { for u in "$@"; do curl -fsS "$u" | gzip -dc >/dev/null || return 1; done; }
    export -f curl_gzip
    RESULT[curl_gzip]=$(measure bash -c 'curl_gzip "$@"' _ "${URLS[@]}") || fail "curl | gzip -dc failed"
    RESULT[registry_cold]=$(measure "$BIN" inspect "127.0.0.1:$PORT/bench:gzip" --format json --no-cache) \
      || fail "archlens inspect failed on the registry image"
    CACHE_DIR=$(mktemp -d)
    XDG_CACHE_HOME=$CACHE_DIR "$BIN" inspect "127.0.0.1:$PORT/bench:gzip" --format json >/dev/null \
      || fail "archlens inspect (filling the cache) failed"
    RESULT[registry_warm]=$(XDG_CACHE_HOME=$CACHE_DIR measure "$BIN" inspect "127.0.0.1:$PORT/bench:gzip" --format json) \
      || fail "archlens inspect (cached) failed"
    rm -rf "$CACHE_DIR"
    kill $REG_PID 2>/dev/null || true
  fi
fi

# Uncompressed layers (issue 10): the gzip image as `docker save` writes it (plain tar layers, skopeo's
# docker-archive), against a header-only listing of the same layers; and the same plain layers as an OCI layout,
# whose blobs nothing has verified yet, so archlens streams and hashes every byte of them.
if [ "$ARCHLENS" = 1 ]; then
  command -v skopeo >/dev/null || fail "skopeo is missing; install it with: apt-get install skopeo"
  ARCHIVE=$BENCH/docker-archive.tar PLAIN=$BENCH/plain
  if [ "$REBUILD" = 1 ] || [ ! -f "$ARCHIVE" ] || [ ! -f "$PLAIN/index.json" ]; then
    echo "bench.sh: writing $ARCHIVE and $PLAIN (uncompressed layers) with skopeo"
    rm -rf "$ARCHIVE" "$PLAIN"
    skopeo copy --quiet "oci:$LAYOUT:gzip" "docker-archive:$ARCHIVE:bench:plain" || fail "skopeo could not write $ARCHIVE"
    skopeo copy --quiet "docker-archive:$ARCHIVE" "oci:$PLAIN:plain" || fail "skopeo could not write $PLAIN"
  fi
  cat "$ARCHIVE" >/dev/null && find "$PLAIN" -type f -exec cat {} + >/dev/null
  RESULT[tar_headers]=$(measure python3 "$ROOT/scripts/tar_headers.py" "$ARCHIVE") || fail "the header listing failed"
  RESULT[archlens_docker]=$(measure "$BIN" inspect "docker-archive:$ARCHIVE" --format json --no-cache) \
    || fail "archlens inspect failed on $ARCHIVE"
  RESULT[archlens_plain_oci]=$(measure "$BIN" inspect "oci:$PLAIN:plain" --format json --no-cache) \
    || fail "archlens inspect failed on $PLAIN"
fi

row() { # LABEL KEY [BASELINE_KEY]
  local wall rss ratio=""
  read -r wall rss <<<"${RESULT[$2]:-- -}"
  [ "$wall" = "-" ] && return
  if [ -n "${3:-}" ]; then
    ratio=$(python3 -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{a/b:.2f}x' if b else '-')" "$wall" "${RESULT[$3]%% *}")
  fi
  printf '%-36s %9s s %9s MiB %10s\n' "$1" "$wall" "$((rss / 1024))" "$ratio"
}
if [ "$FULL" = 1 ]; then
echo
printf '%-36s %11s %13s %10s\n' "what" "wall" "peak RSS" "vs all"
fi
row "gzip -dc largest layer (1 core)" gzip_largest
row "gzip -dc all layers (1 core)" gzip_all
row "archlens inspect, gzip image" archlens_gzip gzip_all
row "zstd -dc largest layer (1 core)" zstd_largest
row "zstd -dc all layers (1 core)" zstd_all
row "archlens inspect, zstd image" archlens_zstd zstd_all
row "curl | gzip -dc, registry blobs" curl_gzip
row "archlens inspect, registry, cold" registry_cold curl_gzip
row "archlens inspect, registry, cached" registry_warm curl_gzip
if [ "$ARCHLENS" = 1 ]; then
  echo
  printf '%-36s %11s %13s %10s\n' "uncompressed layers (same files)" "wall" "peak RSS" "vs headers"
  row "header-only listing (tarfile, seeks)" tar_headers
  row "archlens inspect, docker-archive" archlens_docker tar_headers
  row "archlens inspect, OCI layout, plain" archlens_plain_oci tar_headers
fi

# Memory per file (issue 10): one gzip layer of N small files plus one real ELF (scripts/manyfiles.py), read by
# `inspect` (no cache; then a cold and a warm cache) and by the explorer (a pty, tree expanded, peak from /proc).
if [ "$ARCHLENS" = 1 ] && [ "$FULL" = 1 ]; then
  for n in 200000 1000000; do
    dir=$BENCH/files-$n
    if [ "$REBUILD" = 1 ] || [ ! -f "$dir/index.json" ]; then
      echo "bench.sh: generating $dir ($n files; a few minutes for a million)"
      python3 "$ROOT/scripts/manyfiles.py" "$n" "$dir"
    fi
    RESULT[files_$n]=$(measure "$BIN" inspect "oci:$dir:files" --format json --no-cache) || fail "inspect failed on $dir"
    CACHE_DIR=$(mktemp -d)
    RESULT[files_${n}_cold]=$(XDG_CACHE_HOME=$CACHE_DIR measure "$BIN" inspect "oci:$dir:files" --format json) \
      || fail "inspect (filling the cache) failed on $dir"
    RESULT[files_${n}_warm]=$(XDG_CACHE_HOME=$CACHE_DIR measure "$BIN" inspect "oci:$dir:files" --format json) \
      || fail "inspect (cached) failed on $dir"
    rm -rf "$CACHE_DIR"
    RESULT[explorer_$n]=$(python3 "$ROOT/scripts/bench_explorer.py" "$BIN" "oci:$dir:files" f0000000.txt) \
      || fail "the explorer did not show the expanded tree of $dir"
    echo "bench.sh: measured ${RESULT[explorer_$n]% *} s, ${RESULT[explorer_$n]#* } KiB: explorer, $n files" >&2
  done
  echo
  printf '%-36s %11s %13s %10s\n' "many small files (+1 ELF)" "wall" "peak RSS" "vs 200k"
  row "inspect, 200,000 files" files_200000
  row "inspect, 1,000,000 files" files_1000000 files_200000
  row "inspect, 1,000,000, cache cold" files_1000000_cold
  row "inspect, 1,000,000, cache warm" files_1000000_warm
  row "explorer, 200,000 files, expanded" explorer_200000
  row "explorer, 1,000,000, expanded" explorer_1000000 explorer_200000
fi

# Terminal UI speed (first frame, key to frame on a 200,000-file tree); numbers go to docs/tui.md.
if [ "$ARCHLENS" = 1 ] && [ "$FULL" = 1 ]; then
  echo
  echo "terminal UI (tests/ui_bench.rs, release build):"
  (cd "$ROOT" && cargo test --release --quiet --test ui_bench -- --ignored --nocapture --test-threads=1 2>&1) \
    | grep -oE '(first frame|build 200|build the file tree|open the|key to frame|peak memory).*' || fail "the UI benchmark failed"
fi

# Fleet audit (issue 14): `archlens audit` of a generated registry (400 images in 40 repositories sharing base
# layers, tests/support_registry/fleet.rs): images per second, and bytes pulled against the images' sizes.
if [ "$REGISTRY" = 1 ]; then
  echo
  echo "fleet audit (tests/audit.rs, release build):"
  (cd "$ROOT" && cargo test --release --quiet --test audit bench_fleet_audit -- --ignored --nocapture 2>&1) \
    | grep -oE 'audit fleet:.*' || fail "the audit benchmark failed"
fi
