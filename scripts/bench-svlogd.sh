#!/bin/bash
# Throughput of svlogd: ours against Debian's runit svlogd and `cat > file`,
# side by side in one run, on the same disk.
#
#   scripts/bench-svlogd.sh [MB]      (default 400 MB of input per case)
#   BASELINE=path/to/svlogd scripts/bench-svlogd.sh [MB]
#                                     adds a row for another build of ours
#                                     (e.g. a static glibc one), same run
#
# Cases: 100-byte and 1000-byte lines; the default config (no config file:
# rotation every 1,000,000 bytes, 10 old files), -tt, and rotation every
# 100 kB. For each: MB/s, lines/s and CPU seconds per GB (user+sys of the
# consumer), then the ratios ours/runit and ours/cat. Each case also checks
# that our log directory is identical to runit's (TAI64N names normalised).
set -eu
MB=${1:-400}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OURS="$(bash "$ROOT/scripts/build-release.sh" 2>/dev/null)/svlogd"
RUNIT=/usr/bin/svlogd
[ -x "$RUNIT" ] || { echo "Debian's svlogd is not installed" >&2; exit 1; }
W=$(mktemp -d /var/tmp/bench-svlogd.XXXXXX)
trap 'rm -rf "$W"' EXIT

make_input() { # $1 = line length (with newline), $2 = file
    python3 - "$1" "$2" "$MB" <<'PY'
import sys
n, path, mb = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
pad = b"abcdefghijklmnopqrstuvwxyz0123456789 " * (n // 10 + 2)
block = b"".join(b"%09d " % i + pad[: n - 11] + b"\n" for i in range(max(1, 4_000_000 // n)))
with open(path, "wb") as f:
    left = mb * 1_000_000
    while left > 0:
        f.write(block[:left])
        left -= len(block)
PY
}

# run NAME CONSUMER... : prints "wall user sys" for the consumer
run() {
    local out=$W/$1
    rm -rf "$out"; mkdir -p "$out/d"
    [ -n "$CONFIG" ] && printf "$CONFIG" > "$out/d/config"
    shift
    sync
    (cd "$out" && cat "$INPUT" | /usr/bin/time -f "%e %U %S" -o "$out/time" "$@" >/dev/null)
    cat "$out/time"
}

normalise() { # a log directory's file list with sizes, TAI64N names masked, and a content hash
    (cd "$1" && for f in $(ls | sort); do
        case $f in @*) echo "@${f:25} $(stat -c %s "$f")";; current) echo "current $(stat -c %s "$f")";; esac
    done; cat $(ls | grep -E '^@' | sort) current 2>/dev/null |
        sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]{14} /STAMP /' | md5sum)
}

fmt_row() { # name wall cpu bytes lines
    awk -v n="$1" -v w="$2" -v c="$3" -v b="$4" -v l="$5" 'BEGIN {
        if (w < 0.001) w = 0.001
        printf "  %-8s %8.1f MB/s %12.0f lines/s %7.2f CPU s/GB  (%.2f s)\n", n, b/w/1e6, l/w, c/(b/1e9), w }'
}

printf '%s MB per case; %s\n' "$MB" "$(date -u)"
for LEN in 100 1000; do
    INPUT=$W/in$LEN
    make_input $LEN "$INPUT"
    BYTES=$(stat -c %s "$INPUT")
    LINES=$(( BYTES / LEN ))
    for CASE in default tt rotate; do
        ARGS=""; CONFIG=""
        case $CASE in
            tt) ARGS="-tt";;
            rotate) CONFIG='s100000\n';;
        esac
        echo "== $LEN-byte lines, $CASE ($([ -n "$ARGS" ] && echo "args $ARGS, ")config '${CONFIG:-none}')"
        read -r rw ru rs < <(run runit $RUNIT $ARGS d)
        read -r ow ou os < <(run ours $OURS $ARGS d)
        read -r cw cu cs < <(CONFIG="" run cat sh -c 'exec cat > d/out')
        if [ -n "${BASELINE:-}" ]; then
            read -r bw bu bs < <(run baseline "$BASELINE" $ARGS d)
        fi
        rc=$(echo "$ru + $rs" | bc); oc=$(echo "$ou + $os" | bc); cc=$(echo "$cu + $cs" | bc)
        fmt_row runit "$rw" "$rc" "$BYTES" "$LINES"
        fmt_row ours "$ow" "$oc" "$BYTES" "$LINES"
        [ -z "${BASELINE:-}" ] || fmt_row baseline "$bw" "$(echo "$bu + $bs" | bc)" "$BYTES" "$LINES"
        fmt_row cat "$cw" "$cc" "$BYTES" "$LINES"
        awk -v r="$rw" -v o="$ow" -v c="$cw" -v rc="$rc" -v oc="$oc" 'BEGIN {
            if (o < 0.001) o = 0.001
            printf "  ratios: speed ours/runit %.1fx, ours/cat %.2fx; CPU per GB ours/runit %.2f\n", r/o, c/o, (rc > 0 ? oc/rc : 0) }'
        if [ "$(normalise "$W/runit/d")" = "$(normalise "$W/ours/d")" ]; then
            echo "  files: identical to runit's"
        else
            echo "  files: DIFFERENT from runit's"
        fi
    done
    rm -f "$INPUT"
done
