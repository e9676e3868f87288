#!/usr/bin/env bash
# Rebuild the demo images in assets/demo (one OCI layout, one ref name per case) from their sources.
# Recipe: compile assets/demo/src/server.c for each case, take real runtime files from Debian packages, a wheel
# from PyPI and packages from npm, stage one directory per layer, then run scripts/ocibuild.py on
# assets/demo/src/spec.json. Needs: gcc, aarch64-linux-gnu-gcc, apt-get + dpkg-deb, pip, npm, python3 >= 3.11.
# Downloads are cached in target/demo-build/ (override with DEMO_CACHE=...). Usage: scripts/build-demo.sh
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${DEMO_CACHE:-$ROOT/target/demo-build}
STAGE=$CACHE/stage
SRC=$ROOT/assets/demo/src
OUT=$ROOT/assets/demo

# Pinned so the demo's bytes only change when we mean them to; bump here and rebuild.
WHEEL_SPEC="ujson==5.10.0"
NPM_PKGS=("@node-rs/crc32@1.10.8" "@node-rs/crc32-linux-arm64-gnu@1.10.8")
# -s strips symbols; the build id stays, as in real release builds.
CFLAGS=(-Os -s)

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: $1 is missing; install it with: $2" >&2; exit 1; }
}
need gcc "apt-get install gcc"
need aarch64-linux-gnu-gcc "apt-get install gcc-aarch64-linux-gnu"
need dpkg-deb "apt-get install dpkg (a Debian host is needed)"
need apt-get "a Debian host is needed"
need pip "apt-get install python3-pip"
need npm "apt-get install npm"
need python3 "apt-get install python3"

# shellcheck source=scripts/fixtures/apt-download.sh
source "$ROOT/scripts/fixtures/apt-download.sh"
apt_private_init "$CACHE"
mapfile -t DEBS < <(deb_fetch "$CACHE" libc6:amd64 libc6:arm64 busybox-static:arm64 musl:amd64)
X=$CACHE/extract
rm -rf "$X" "$STAGE"
for deb in "${DEBS[@]}"; do
  name=$(basename "$deb" .deb)
  deb_extract "$deb" "$X/$name"
done
xdir() { ls -d "$X/$1"_*"_$2"; }

# Like distroless, record each package in /var/lib/dpkg/status.d/ from its real control file.
dpkg_record() { # DEB STAGE_DIR
  mkdir -p "$2/var/lib/dpkg/status.d"
  { dpkg-deb -f "$1"; echo "Status: install ok installed"; } > "$2/var/lib/dpkg/status.d/$(dpkg-deb -f "$1" Package)"
}
copyright() { # PKG EXTRACT_DIR STAGE_DIR
  install -D -m 644 "$2/usr/share/doc/$1/copyright" "$3/usr/share/doc/$1/copyright"
}
deb_of() { printf '%s\n' "${DEBS[@]}" | grep "/$1_.*_$2.deb"; }

# glibc: the loader and libc.so.6 only, at Debian's paths (the /lib64 and /lib symlinks included).
L=$(xdir libc6 amd64); S=$STAGE/glibc-amd64
install -D -m 755 "$L/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$S/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
install -D -m 644 "$L/lib/x86_64-linux-gnu/libc.so.6" "$S/lib/x86_64-linux-gnu/libc.so.6"
mkdir -p "$S/lib64" && ln -s /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$S/lib64/ld-linux-x86-64.so.2"
copyright libc6 "$L" "$S"; dpkg_record "$(deb_of libc6 amd64)" "$S"

L=$(xdir libc6 arm64); S=$STAGE/glibc-arm64
install -D -m 755 "$L/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1" "$S/lib/aarch64-linux-gnu/ld-linux-aarch64.so.1"
install -D -m 644 "$L/lib/aarch64-linux-gnu/libc.so.6" "$S/lib/aarch64-linux-gnu/libc.so.6"
ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 "$S/lib/ld-linux-aarch64.so.1"
copyright libc6 "$L" "$S"; dpkg_record "$(deb_of libc6 arm64)" "$S"

L=$(xdir busybox-static arm64); S=$STAGE/busybox-arm64
install -D -m 755 "$L/bin/busybox" "$S/bin/busybox"
ln -s busybox "$S/bin/sh"
copyright busybox-static "$L" "$S"; dpkg_record "$(deb_of busybox-static arm64)" "$S"

# musl as Alpine lays it out: the loader is a real file (Debian ships it as a symlink to libc.so).
L=$(xdir musl amd64); S=$STAGE/musl-amd64
install -D -m 755 "$L/lib/x86_64-linux-musl/libc.so" "$S/lib/ld-musl-x86_64.so.1"
ln -s ld-musl-x86_64.so.1 "$S/lib/libc.musl-x86_64.so.1"
copyright musl "$L" "$S"; dpkg_record "$(deb_of musl amd64)" "$S"

# Our programs.
install -d "$STAGE/server-amd64/usr/local/bin" "$STAGE/server-arm64/usr/local/bin" "$STAGE/app-glibc/app"
gcc "${CFLAGS[@]}" -o "$STAGE/server-amd64/usr/local/bin/server" "$SRC/server.c"
aarch64-linux-gnu-gcc "${CFLAGS[@]}" -o "$STAGE/server-arm64/usr/local/bin/server" "$SRC/server.c"
cp "$STAGE/server-amd64/usr/local/bin/server" "$STAGE/app-glibc/app/server"
install -D -m 755 "$SRC/docker-entrypoint.sh" "$STAGE/entrypoint-sh/usr/local/bin/docker-entrypoint.sh"

# Python: an aarch64 manylinux wheel installed (unzipped, dist-info included) into an amd64 image.
mkdir -p "$CACHE/wheels"
if ! ls "$CACHE/wheels/"ujson-*aarch64*.whl >/dev/null 2>&1; then
  pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
    --platform manylinux2014_aarch64 -d "$CACHE/wheels" "$WHEEL_SPEC" \
    || { echo "error: pip could not download $WHEEL_SPEC for manylinux aarch64 (PyPI reachable?)" >&2; exit 1; }
fi
S=$STAGE/python-app
install -D -m 644 "$SRC/app.py" "$S/app/app.py"
python3 -m zipfile -e "$(ls "$CACHE/wheels/"ujson-*aarch64*.whl)" "$S/usr/local/lib/python3.11/site-packages/"
# zipfile -e keeps the archive's modes only partly; make them what pip would install.
find "$S" -type d -exec chmod 755 {} + && find "$S" -type f -exec chmod 644 {} +

# Node: a napi-rs package whose only binding is the linux-arm64-gnu one, in an amd64 image.
mkdir -p "$CACHE/npm"
S=$STAGE/node-app
install -D -m 644 "$SRC/package.json" "$S/app/package.json"
install -D -m 644 "$SRC/index.js" "$S/app/index.js"
for spec in "${NPM_PKGS[@]}"; do
  name=${spec%@*}
  tgz="$CACHE/npm/$(echo "${name#@}" | tr / -)-${spec##*@}.tgz"
  if [ ! -f "$tgz" ]; then
    (cd "$CACHE/npm" && npm pack --silent "$spec" >/dev/null) \
      || { echo "error: npm pack $spec failed (npm registry reachable?)" >&2; exit 1; }
  fi
  mkdir -p "$S/app/node_modules/$name"
  tar -xzf "$tgz" -C "$S/app/node_modules/$name" --strip-components=1 --no-same-owner
done
find "$S" -type d -exec chmod 755 {} + && find "$S" -type f -exec chmod 644 {} +

python3 "$ROOT/scripts/ocibuild.py" build "$SRC/spec.json" --base "$STAGE" --out "$OUT"
python3 "$ROOT/scripts/ocibuild.py" verify "$OUT"
echo "demo layout written to $OUT ($(du -sh "$OUT/blobs" | cut -f1) of blobs)"
