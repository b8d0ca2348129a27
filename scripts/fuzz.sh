#!/bin/sh
# Runs every fuzz target in fuzz/ for SECONDS each (default 60), one at a
# time, niced, and reports the executions each got and whether it crashed.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
# Corpora grow in fuzz/corpus/TARGET (seeded from fuzz/seeds/TARGET when it
# exists), crashing inputs land in fuzz/artifacts/TARGET, logs in fuzz/logs.
# Exit status: 0 when no target crashed, 1 otherwise.
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../fuzz" || exit 2
targets=${*:-$(cargo +nightly fuzz list)}
nice -n 19 cargo +nightly fuzz build >/dev/null 2>&1 || {
    echo "fuzz.sh: build failed: cargo +nightly fuzz build" >&2
    exit 2
}
# Run the built binaries directly: editing the sources while a long run
# goes on then changes nothing until the next build.
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bindir=target/$triple/release
mkdir -p logs
status=0
total=0
printf '%-16s %12s %8s  %s\n' target executions seconds result
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    seeds=
    [ -d "seeds/$t" ] && seeds="seeds/$t"
    log="logs/$t.log"
    start=$(date +%s)
    # shellcheck disable=SC2086
    nice -n 19 "$bindir/$t" -artifact_prefix="artifacts/$t/" \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 "corpus/$t" $seeds >"$log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    total=$((total + took))
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc): see fuzz/$log and fuzz/artifacts/$t"
        status=1
    fi
    printf '%-16s %12s %8s  %s\n' "$t" "${runs:-?}" "$took" "$result"
done
echo "total: ${total}s"
exit $status
