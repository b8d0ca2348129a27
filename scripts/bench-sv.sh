#!/usr/bin/env bash
# Benchmarks our sv side by side with runit's (Debian's /usr/bin/sv), in the
# same run and on the same services:
#   1. `sv status` over 1, 100 and 1000 services (fake service directories
#      with a valid supervise/status and an `ok` FIFO held open by one helper);
#   2. wall time of `sv -w 10 stop`, `start` and `restart` on a real service
#      (supervised by our runsv) that reacts within a few milliseconds;
#   3. wall time of `sv -w 10 shutdown` (until runsv has exited), and of
#      `sv -w 1 down` on a service that ignores TERM (until the timeout
#      report; runit: its third poll, 1.26 s). The tests (tests/it/sv_wait.rs)
#      assert the outcomes only; how soon is measured here.
# Prints mean times and the ratio runit/ours (above 1: ours is faster).
#
# Usage: scripts/bench-sv.sh [ITERATIONS]   (release build is made first)
#        BENCH_DYNAMIC=1 scripts/bench-sv.sh  (also a dynamically linked sv)
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-20}
theirs=/usr/bin/sv
[ -x "$theirs" ] || { echo "runit's sv is not installed ($theirs)"; exit 1; }
# The binaries scripts/install.sh ships (static).
BIN="$(bash scripts/build-release.sh)"
ours=$BIN/sv
runsv=$BIN/runsv
# BENCH_DYNAMIC=1 also measures a dynamically linked sv (cargo's default).
dynamic=
if [ -n "${BENCH_DYNAMIC:-}" ]; then
  cargo build --release -q --bin sv
  dynamic=$PWD/target/release/sv
fi

work=$(mktemp -d /tmp/bench-sv.XXXXXX)
helper=
supervisor=
groups=()
cleanup() {
  [ -n "$helper" ] && kill "$helper" 2>/dev/null || true
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  [ -n "$supervisor" ] && SVDIR=$work/real "$ours" exit a >/dev/null 2>&1 || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now_ns() { date +%s%N; }

# pair_ms A B ARGS...: mean wall times (ms) of A ARGS and B ARGS over
# $iterations runs, alternating the two so that load changes hit both alike.
pair_ms() {
  local a=$1 b=$2 ta=0 tb=0 s m e
  shift 2
  for ((i = 0; i < iterations; i++)); do
    s=$(now_ns); "$a" "$@" >/dev/null; m=$(now_ns); "$b" "$@" >/dev/null; e=$(now_ns)
    ta=$((ta + m - s)); tb=$((tb + e - m))
  done
  awk -v a=$ta -v b=$tb -v n="$iterations" 'BEGIN { printf "%.3f %.3f\n", a / n / 1e6, b / n / 1e6 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# --- 1. status over many services -----------------------------------------
# A record: running pid 4242 since the epoch, want up, state run.
record() { printf '\x40\x00\x00\x00\x00\x00\x00\x0a\x00\x00\x00\x00\x92\x10\x00\x00\x00u\x00\x01'; }
mkdir -p "$work/sv"
for ((n = 0; n < 1000; n++)); do
  d=$work/sv/s$n/supervise
  mkdir -p "$d"
  record >"$d/status"
  mkfifo "$d/ok" "$d/control"
done
# One helper keeps every `ok` FIFO open for reading, as 1000 runsvs would.
(
  ulimit -n 4096
  for ((n = 0; n < 1000; n++)); do exec {fd}<>"$work/sv/s$n/supervise/ok"; done
  exec sleep 100000
) &
helper=$!
until "$ours" status "$work/sv/s999" >/dev/null 2>&1; do sleep 0.01; done

export SVDIR=$work/sv
printf '%-28s %12s %12s %8s\n' "benchmark" "runit (ms)" "ours (ms)" "ratio"
for count in 1 100 1000; do
  names=()
  for ((n = 0; n < count; n++)); do names+=("s$n"); done
  read -r t o < <(pair_ms "$theirs" "$ours" status "${names[@]}")
  printf '%-28s %12s %12s %8s\n' "status, $count services" "$t" "$o" "$(ratio "$t" "$o")"
  if [ -n "$dynamic" ]; then
    read -r t o < <(pair_ms "$theirs" "$dynamic" status "${names[@]}")
    printf '%-28s %12s %12s %8s\n' "  (dynamic build)" "$t" "$o" "$(ratio "$t" "$o")"
  fi
done

# --- 2. waits on a real service ---------------------------------------------
mkdir -p "$work/real/a"
printf '#!/bin/sh\nexec sleep 1000\n' >"$work/real/a/run"
chmod +x "$work/real/a/run"
(cd "$work/real" && exec "$runsv" a) </dev/null >/dev/null 2>&1 &
supervisor=$!
export SVDIR=$work/real
until "$ours" status a 2>/dev/null | grep -q '^run:'; do sleep 0.01; done

# runsv delays a start that comes less than a second after the last one;
# wait that out so that only sv's own waiting is measured.
settle() { sleep 1.1; }
one_ms() {
  local start end
  start=$(now_ns)
  "$@" >/dev/null
  end=$(now_ns)
  awk -v t=$((end - start)) 'BEGIN { printf "%.3f", t / 1e6 }'
}
rounds=${WAIT_ROUNDS:-3}
for cmd in stop start restart; do
  tt=0 to=0
  for ((r = 0; r < rounds; r++)); do
    for who in theirs ours; do
      prog=$theirs; [ "$who" = ours ] && prog=$ours
      # Bring the service to the state the command starts from.
      case $cmd in
        start) "$ours" -w 10 stop a >/dev/null ;;
        *) "$ours" -w 10 start a >/dev/null ;;
      esac
      settle
      ms=$(one_ms "$prog" -w 10 "$cmd" a)
      if [ "$who" = ours ]; then to=$(awk -v a="$to" -v b="$ms" 'BEGIN{print a+b}'); else tt=$(awk -v a="$tt" -v b="$ms" 'BEGIN{print a+b}'); fi
    done
  done
  t=$(awk -v a="$tt" -v n="$rounds" 'BEGIN { printf "%.3f", a / n }')
  o=$(awk -v a="$to" -v n="$rounds" 'BEGIN { printf "%.3f", a / n }')
  printf '%-28s %12s %12s %8s\n' "sv -w 10 $cmd" "$t" "$o" "$(ratio "$t" "$o")"
done

# --- 3. shutdown, and a timeout ------------------------------------------------
# add_ms TOTAL MS: TOTAL + MS.
add_ms() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
# any_ms CMD...: wall time of CMD in ms, whatever its exit code.
any_ms() {
  local start end
  start=$(now_ns)
  "$@" >/dev/null || true
  end=$(now_ns)
  awk -v t=$((end - start)) 'BEGIN { printf "%.3f", t / 1e6 }'
}
mkdir -p "$work/real/b" "$work/real/t"
printf '#!/bin/sh\nexec sleep 1000\n' >"$work/real/b/run"
printf "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n" >"$work/real/t/run"
chmod +x "$work/real/b/run" "$work/real/t/run"
# One runsv (in its own process group) for the stubborn service t.
(cd "$work/real" && exec setsid "$runsv" t) </dev/null >/dev/null 2>&1 &
groups+=($!)
until "$ours" status t 2>/dev/null | grep -q '^run:'; do sleep 0.01; done
ts=0 os=0 tt=0 ot=0
for ((r = 0; r < rounds; r++)); do
  for who in theirs ours; do
    prog=$theirs; [ "$who" = ours ] && prog=$ours
    # shutdown: a fresh runsv for b each time.
    (cd "$work/real" && exec setsid "$runsv" b) </dev/null >/dev/null 2>&1 &
    pid=$!
    groups+=("$pid")
    until "$ours" status b 2>/dev/null | grep -q '^run:'; do sleep 0.01; done
    settle
    ms=$(any_ms "$prog" -w 10 shutdown b)
    wait "$pid" 2>/dev/null || true
    if [ "$who" = ours ]; then os=$(add_ms "$os" "$ms"); else ts=$(add_ms "$ts" "$ms"); fi
    # timeout: want up again, then a down that TERM cannot bring about.
    "$ours" up t >/dev/null
    ms=$(any_ms "$prog" -w 1 down t)
    if [ "$who" = ours ]; then ot=$(add_ms "$ot" "$ms"); else tt=$(add_ms "$tt" "$ms"); fi
  done
done
for row in "shutdown $ts $os" "down-timeout $tt $ot"; do
  read -r what a b <<<"$row"
  t=$(awk -v a="$a" -v n="$rounds" 'BEGIN { printf "%.3f", a / n }')
  o=$(awk -v a="$b" -v n="$rounds" 'BEGIN { printf "%.3f", a / n }')
  label="sv -w 10 shutdown"; [ "$what" = down-timeout ] && label="sv -w 1 down (timeout)"
  printf '%-28s %12s %12s %8s\n' "$label" "$t" "$o" "$(ratio "$t" "$o")"
done
