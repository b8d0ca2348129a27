#!/usr/bin/env bash
# Benchmarks our runsvdir side by side with Debian's runit 2.1.2 (each with its
# own runsv), in the same run:
#   1. pickup latency: a service renamed into the directory -> its ./run runs;
#      also after a switch of the `current` link runsvdir's path goes through
#      (Debian's /etc/service), and when the directory it was given appears
#      (tests/it/runsvdir_interop.rs asserts these outcomes, not how soon);
#   2. start-up time of 1000 and of 5000 services (runit stops at 1000);
#   3. idle wake-ups of a tree of 100 services over 60 s (context switches of
#      runsvdir and of all runsv processes, from /proc/PID/status);
#   4. runsvdir's memory (VmRSS, and RssAnon: its own) with 1000 services.
# Start-up is also measured for our runsvdir with runit's runsv ("mixed"),
# which separates runsvdir's share from runsv's.
# Sizes can be changed: LATENCY_RUNS=10 IDLE_SECS=60 SIZES="1000 5000".
# Needs bash (for $EPOCHREALTIME), runit installed (/usr/bin/runsvdir), root
# or enough process slots for 2 x 5000 processes.
set -euo pipefail
cd "$(dirname "$0")/.."
OURS="$(bash scripts/build-release.sh)"
LATENCY_RUNS=${LATENCY_RUNS:-10}
IDLE_SECS=${IDLE_SECS:-60}
SIZES=${SIZES:-"1000 5000"}
WORK=$(mktemp -d /tmp/bench-runsvdir.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# impl -> "runsvdir binary|PATH for its runsv"
declare -A IMPL=(
  [ours]="$OURS/runsvdir|$OURS:/usr/bin:/bin"
  [runit]="/usr/bin/runsvdir|/usr/bin:/bin"
  [mixed]="$OURS/runsvdir|/usr/bin:/bin"
)
[ -x /usr/bin/runsvdir ] || { echo "runit is not installed (apt-get install runit)" >&2; exit 1; }

now() { echo "$EPOCHREALTIME"; }
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'; }

# start IMPL DIR: runsvdir in its own process group; prints its pid.
start() {
  local bin=${IMPL[$1]%%|*} path=${IMPL[$1]##*|}
  PATH="$path" setsid "$bin" "$2" </dev/null >/dev/null 2>"$2.stderr" &
  PIDS+=($!)
  echo $!
}
stop() { kill -KILL -- "-$1" 2>/dev/null || true; sleep 0.5; }

# service DIR NAME: a service whose run appends one line to DIR/../started.
service() {
  mkdir -p "$1/$2"
  printf '#!/bin/sh\necho x >> %s/started\nexec sleep 100000\n' "$(dirname "$1")" > "$1/$2/run"
  chmod +x "$1/$2/run"
}

started_count() { [ -f "$1/started" ] && wc -l < "$1/started" || echo 0; }

latency() {
  local impl=$1 base="$WORK/lat-$1" pid samples=()
  mkdir -p "$base/sv" "$base/stage"
  pid=$(start "$impl" "$base/sv")
  sleep 1
  for i in $(seq "$LATENCY_RUNS"); do
    mkdir -p "$base/stage/s$i"
    printf '#!/bin/bash\necho $EPOCHREALTIME > %s/ran-%s\nexec sleep 100000\n' "$base" "$i" > "$base/stage/s$i/run"
    chmod +x "$base/stage/s$i/run"
    local t0; t0=$(now)
    mv "$base/stage/s$i" "$base/sv/s$i"
    until [ -s "$base/ran-$i" ]; do sleep 0.002; done
    samples+=("$(elapsed_ms "$t0" "$(cat "$base/ran-$i")")")
    # A random phase against runit's 5 s poll, after its 1 s re-check.
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1.5 + 5 * r / 32768 }')"
  done
  stop "$pid"
  printf '%s\n' "${samples[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%s %s\n", a[int((NR + 1) / 2)], a[NR] }'
}

# follow IMPL KIND: ms from a change to the new service's ./run. KIND switch:
# runsvdir watches DIR/service -> sets/current -> one, and current is switched
# to two; appear: runsvdir was given a directory that does not exist yet, and
# it is renamed into place.
follow() {
  local impl=$1 kind=$2 base="$WORK/follow-$1-$2" pid t0 new
  mkdir -p "$base"
  if [ "$kind" = switch ]; then
    mkdir -p "$base/sets/one" "$base/sets/two"
    ln -s one "$base/sets/current"
    ln -s sets/current "$base/service"
    pid=$(start "$impl" "$base/service")
    new=$base/sets/two/b
  else
    pid=$(start "$impl" "$base/later")
    new=$base/stage/b
  fi
  mkdir -p "$new"
  printf '#!/bin/bash\necho $EPOCHREALTIME > %s/ran\nexec sleep 100000\n' "$base" > "$new/run"
  chmod +x "$new/run"
  sleep 1.5
  t0=$(now)
  if [ "$kind" = switch ]; then
    ln -s two "$base/sets/current.new"
    mv -T "$base/sets/current.new" "$base/sets/current"
  else
    mv "$base/stage" "$base/later"
  fi
  until [ -s "$base/ran" ]; do sleep 0.002; done
  elapsed_ms "$t0" "$(cat "$base/ran")"
  stop "$pid"
}

startup() {
  local impl=$1 n=$2 base="$WORK/start-$1-$2" pid t0 t1 count last=0 stable=0
  mkdir -p "$base/sv"
  for i in $(seq "$n"); do service "$base/sv" "s$i"; done
  t0=$(now)
  pid=$(start "$impl" "$base/sv")
  # Done when all have started, or when nothing new started for 8 s.
  while :; do
    count=$(started_count "$base")
    [ "$count" -ge "$n" ] && break
    if [ "$count" = "$last" ]; then stable=$((stable + 1)); else stable=0; last=$count; fi
    [ "$stable" -ge 80 ] && break
    sleep 0.1
  done
  t1=$(now)
  [ "$count" -ge "$n" ] || t1=NaN
  local rss=""
  # VmRSS counts shared library pages too; RssAnon is runsvdir's own memory.
  [ "$n" = 1000 ] && rss=$(awk '/^VmRSS/ { r = $2 } /^RssAnon/ { a = $2 } END { print r "/" a }' "/proc/$pid/status")
  stop "$pid"
  if [ "$t1" = NaN ]; then echo "$count - $rss"; else echo "$count $(elapsed_ms "$t0" "$t1") $rss"; fi
}

ctxt() { # sum of context switches of the given pids
  local total=0 p v n
  for p in "$@"; do
    v=$(awk '/^voluntary_ctxt_switches/ { v = $2 } /^nonvoluntary_ctxt_switches/ { n = $2 } END { print v + n }' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + v))
  done
  echo "$total"
}

idle() {
  local impl=$1 base="$WORK/idle-$1" pid runsvs
  mkdir -p "$base/sv"
  for i in $(seq 100); do service "$base/sv" "s$i"; done
  pid=$(start "$impl" "$base/sv")
  until [ "$(started_count "$base")" -ge 100 ]; do sleep 0.1; done
  sleep 3
  runsvs=$(cat "/proc/$pid/task/$pid/children")
  local d0 r0 d1 r1
  d0=$(ctxt "$pid"); r0=$(ctxt $runsvs)
  sleep "$IDLE_SECS"
  d1=$(ctxt "$pid"); r1=$(ctxt $runsvs)
  stop "$pid"
  awk -v d=$((d1 - d0)) -v r=$((r1 - r0)) -v s="$IDLE_SECS" 'BEGIN { printf "%.1f %.1f\n", d * 60 / s, (d + r) * 60 / s }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0) print "inf"; else printf "%.1fx", b / a }'; }

echo "== pickup latency ($LATENCY_RUNS services renamed in, ms from rename to ./run)"
read -r lo_med lo_max < <(latency ours)
read -r lr_med lr_max < <(latency runit)
printf '  ours:  median %s ms, max %s ms\n  runit: median %s ms, max %s ms\n  runit/ours (median): %s\n' \
  "$lo_med" "$lo_max" "$lr_med" "$lr_max" "$(ratio "$lo_med" "$lr_med")"

for kind in switch appear; do
  echo "== $kind: ms from the change to the new service's ./run (one sample)"
  printf '  ours:  %s ms\n  runit: %s ms\n' "$(follow ours "$kind")" "$(follow runit "$kind")"
done

echo "== idle wake-ups, tree of 100 services, over $IDLE_SECS s (per minute)"
idle ours > "$WORK/idle-ours.txt" &
idle runit > "$WORK/idle-runit.txt" &
wait
read -r io_dir io_all < "$WORK/idle-ours.txt"
read -r ir_dir ir_all < "$WORK/idle-runit.txt"
printf '  ours:  runsvdir %s, whole tree %s\n  runit: runsvdir %s, whole tree %s\n' "$io_dir" "$io_all" "$ir_dir" "$ir_all"

for n in $SIZES; do
  echo "== start-up of $n services (ms until every ./run ran)"
  read -r so_count so_ms so_rss < <(startup ours "$n")
  read -r sr_count sr_ms sr_rss < <(startup runit "$n")
  read -r sm_count sm_ms _ < <(startup mixed "$n")
  printf '  ours:  %s of %s started in %s ms\n  runit: %s of %s started in %s ms\n' "$so_count" "$n" "$so_ms" "$sr_count" "$n" "$sr_ms"
  printf '  our runsvdir with runit'"'"'s runsv: %s of %s started in %s ms\n' "$sm_count" "$n" "$sm_ms"
  [ "$sr_ms" != - ] && printf '  runit/ours: %s\n' "$(ratio "$so_ms" "$sr_ms")"
  if [ -n "$so_rss" ]; then
    printf '  runsvdir memory with %s services (VmRSS/RssAnon): ours %s kB, runit %s kB (ours/runit: %s / %s)\n' \
      "$n" "$so_rss" "$sr_rss" "$(ratio "${sr_rss%/*}" "${so_rss%/*}")" "$(ratio "${sr_rss#*/}" "${so_rss#*/}")"
  fi
done
