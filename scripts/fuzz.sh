#!/usr/bin/env bash
# Runs every fuzz target (or those named) for N seconds each, one after another, for people:
#   scripts/fuzz.sh [-t SECONDS] [TARGET...]      (default 30 s, all targets)
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Crashes land in
# fuzz/artifacts/<target>/; minimise one (`cargo +nightly fuzz tmin TARGET FILE`), fix the
# bug with a unit test, and copy the input to fuzz/regressions/<target>/ so the normal
# `cargo test` replays it (tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=30
if [ "${1:-}" = "-t" ]; then secs=$2; shift 2; fi
[ -d fuzz/corpus ] || fuzz/seed.sh
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then mapfile -t targets < <(cargo +nightly fuzz list); fi
cargo +nightly fuzz build -O
failed=()
logs=$(mktemp -d)
summary=()
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "== $t (${secs}s)"
    # The checked-in regressions are read as extra seeds; new inputs go to the corpus.
    extra=()
    [ -d "fuzz/regressions/$t" ] && extra=("fuzz/regressions/$t")
    start=$(date +%s)
    rc=0
    cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" "${extra[@]}" -- \
        -max_total_time="$secs" -jobs=1 -workers=1 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 > "$logs/$t" 2>&1 || rc=$?
    tail -n 3 "$logs/$t"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$t" | tail -n 1)
    result=ok
    if [ "$rc" -ne 0 ]; then
        failed+=("$t"); result="CRASH (rc $rc)"
        # The cause (panic message or sanitizer report) comes long before the input's dump.
        grep -m 8 -E -A 3 'panicked|ERROR: AddressSanitizer|ERROR: libFuzzer|SUMMARY' "$logs/$t" >&2 || true
        tail -n 25 "$logs/$t" >&2
    fi
    summary+=("$(printf '%-18s %12s execs %6s s  %s' "$t" "${execs:-?}" "$(( $(date +%s) - start ))" "$result")")
done
printf '%s\n' "${summary[@]}"
rm -rf "$logs"
if [ ${#failed[@]} -gt 0 ]; then
    echo "crashed: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "no crashes in ${#targets[@]} targets"
