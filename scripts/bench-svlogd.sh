#!/bin/bash
# Throughput of svlogd against what the disk allows, side by side in one run,
# on the same (real) disk: ours, Debian's runit svlogd, and the ceiling.
#
#   scripts/bench-svlogd.sh [MB] [REPS]   (default 300 MB of input, 3 runs)
#
# Input: 100-byte lines through a pipe (`cat FILE | consumer`). Cases:
#   default  no config: rotation at 1,000,000 bytes (fsync, rename), 10 kept
#   tt       the same with -tt (26 more bytes per line written)
#   norot    config `s0`: one file, fsynced at the end
# Ceilings: `loop`, a small C program built here that does nothing but the
# same writes, fsyncs, renames and unlinks (files of the sizes svlogd makes;
# for -tt it writes the stamped size), and for norot also
# `dd bs=1M conv=fsync`. Each row: MB/s of input and CPU seconds per GB of
# input (user+sys of the consumer), the median of REPS runs. OURS_BEFORE=path
# adds a row for an older build of ours. Each case also checks that our log
# directory holds the same files as Debian's (TAI64N names normalised).
set -eu
MB=${1:-300}
REPS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OURS=${OURS:-"$(bash "$ROOT/scripts/build-release.sh" 2>/dev/null)/svlogd"}
OURS_BEFORE=${OURS_BEFORE:-}
RUNIT=/usr/bin/svlogd
[ -x "$RUNIT" ] || { echo "Debian's svlogd is not installed" >&2; exit 1; }
# /var/tmp: on the root filesystem here (not a tmpfs); shown below.
W=$(mktemp -d /var/tmp/bench-svlogd.XXXXXX)
trap 'rm -rf "$W"' EXIT

cat >"$W/loop.c" <<'C'
/* The ceiling: read stdin, append to `current`; every SIZE bytes fsync it,
 * chmod 0744, rename it to a fresh @….s, open a new current and unlink the
 * oldest beyond KEEP. SIZE 0: one file, fsynced at the end. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
static char buf[1 << 20];
static int opencur(void) {
    int fd = open("current", O_WRONLY | O_APPEND | O_CREAT, 0644);
    if (fd < 0) { perror("open"); exit(1); }
    return fd;
}
int main(int argc, char **argv) {
    long size = argc > 1 ? atol(argv[1]) : 0, keep = argc > 2 ? atol(argv[2]) : 10;
    long cur = 0, files = 0;
    int fd = opencur();
    char name[64];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n <= 0) break;
        char *p = buf;
        while (n > 0) {
            long k = n;
            if (size && size - cur < k) k = size - cur;
            ssize_t w = write(fd, p, k);
            if (w < 0) { perror("write"); exit(1); }
            cur += w; p += w; n -= w;
            if (size && cur >= size) {
                fsync(fd); fchmod(fd, 0744); close(fd);
                snprintf(name, sizeof name, "@%024ld.s", files++);
                rename("current", name);
                if (files > keep) {
                    snprintf(name, sizeof name, "@%024ld.s", files - 1 - keep);
                    unlink(name);
                }
                fd = opencur();
                cur = 0;
            }
        }
    }
    fsync(fd); fchmod(fd, 0744); close(fd);
    return 0;
}
C
cc -O2 -o "$W/ceiling" "$W/loop.c"

make_input() { # $1 = line length (with newline), $2 = file, $3 = number of lines
    python3 - "$1" "$2" "$3" <<'PY'
import sys
n, path, lines = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
pad = b"abcdefghijklmnopqrstuvwxyz0123456789 " * (n // 10 + 2)
per = 40000
block = b"".join(b"%09d " % i + pad[: n - 11] + b"\n" for i in range(per))
with open(path, "wb") as f:
    left = lines
    while left > 0:
        k = min(left, per)
        f.write(block[: k * n])
        left -= k
PY
}

# run NAME INPUT CONSUMER... : prints "wall user sys" for the consumer
run() {
    local out=$W/$1 input=$2
    shift 2
    rm -rf "$out"; mkdir -p "$out/d"
    [ -n "$CONFIG" ] && printf "$CONFIG" >"$out/d/config"
    sync
    (cd "$out" && cat "$input" | /usr/bin/time -f "%e %U %S" -o "$out/time" "$@" >/dev/null 2>&1)
    tail -n 1 "$out/time"
}

normalise() { # a log directory's file list with sizes, TAI64N names masked, and a content hash
    (cd "$1" && for f in $(ls | sort); do
        case $f in @*) echo "@${f:25} $(stat -c %s "$f")";; current) echo "current $(stat -c %s "$f")";; esac
    done; cat $(ls | grep -E '^@' | sort) current 2>/dev/null |
        sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}_[0-9:.]{14} /STAMP /' | md5sum)
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

LINES=$(( MB * 1000000 / 100 ))
BYTES=$(( LINES * 100 ))
IN=$W/in100; IN_TT=$W/in126
make_input 100 "$IN" "$LINES"
make_input 126 "$IN_TT" "$LINES"
printf '%s MB of 100-byte lines per run, median of %s runs; %s\n' "$MB" "$REPS" "$(date -u)"
printf 'disk: %s\n' "$(df -T "$W" | awk 'NR == 2 { print $1, $2, $7 }')"
printf 'load before: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
for CASE in default tt norot; do
    ARGS=""; CONFIG=""; LOOP_IN=$IN; LOOP_ARGS="999100 10"
    case $CASE in
        tt) ARGS="-tt"; LOOP_IN=$IN_TT; LOOP_ARGS="999054 10";;
        norot) CONFIG='s0\n'; LOOP_ARGS="0";;
    esac
    echo "== $CASE ($([ -n "$ARGS" ] && echo "args $ARGS, ")config '${CONFIG:-none}')"
    names="ours runit loop"
    [ -n "$OURS_BEFORE" ] && names="before $names"
    [ $CASE = norot ] && names="$names dd"
    declare -A MBS CPU
    for n in $names; do MBS[$n]=""; CPU[$n]=""; done
    for rep in $(seq 1 "$REPS"); do
        # A different order in each run, so that no program always follows
        # the same one (the disk is still busy with what came before).
        all=($names)
        k=$(( (rep - 1) % ${#all[@]} ))
        order="${all[*]:k} ${all[*]:0:k}"
        for n in $order; do
            case $n in
                ours) t=$(run ours "$IN" "$OURS" $ARGS d);;
                before) t=$(run before "$IN" "$OURS_BEFORE" $ARGS d);;
                runit) t=$(run runit "$IN" "$RUNIT" $ARGS d);;
                loop) t=$(CONFIG="" run loop "$LOOP_IN" sh -c "cd d && exec $W/ceiling $LOOP_ARGS");;
                dd) t=$(CONFIG="" run dd "$IN" dd of=d/current bs=1M conv=fsync);;
            esac
            read -r w u s <<<"$t"
            MBS[$n]+="$(awk -v b="$BYTES" -v w="$w" 'BEGIN { if (w < 0.001) w = 0.001; print b / w / 1e6 }') "
            CPU[$n]+="$(awk -v b="$BYTES" -v u="$u" -v s="$s" 'BEGIN { print (u + s) / (b / 1e9) }') "
        done
    done
    for n in $names; do
        m=$(tr ' ' '\n' <<<"${MBS[$n]}" | grep . | median)
        c=$(tr ' ' '\n' <<<"${CPU[$n]}" | grep . | median)
        printf '  %-7s %8.1f MB/s %7.2f CPU s/GB   (runs: %s)\n' "$n" "$m" "$c" "${MBS[$n]% }"
        eval "M_$n=$m"
    done
    ref=$M_loop; [ $CASE = norot ] && ref=$M_dd
    awk -v o="$M_ours" -v r="$ref" -v d="$M_runit" -v c="$CASE" 'BEGIN {
        printf "  ours = %.0f%% of the %s, %.1fx Debian'"'"'s\n", 100 * o / r, (c == "norot" ? "dd conv=fsync" : "loop"), o / d }'
    if [ "$(normalise "$W/runit/d")" = "$(normalise "$W/ours/d")" ]; then
        echo "  files: identical to runit's"
    else
        echo "  files: DIFFERENT from runit's"
    fi
    unset MBS CPU
done
printf 'load after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
