#!/bin/bash
# Crash-loop soak: SERVICES services (default 100) whose ./run exits 1 at
# once, each with a ./finish and a log service, under our runsvdir for
# MINUTES minutes (default 10). runsv restarts each about once a second.
# Every SAMPLE seconds (default 30) it prints, over all runsv processes, the
# resident memory (RSS) and proportional set size (PSS) and the open
# descriptors (descriptors the caller leaks into runsvdir count too), and
# runsvdir's own; at the end the first and last samples. Flat numbers mean
# no leak.
#
#   scripts/soak-crashloop.sh [MINUTES] [SERVICES]
#
# Runs as root in a private PID namespace (unshare), niced, so that nothing
# survives it; uses the release build.
set -eu
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
SERVICES=${2:-100}
SAMPLE=${SAMPLE:-30}
cargo build --release --bins >&2
BIN=$PWD/target/release
DIR=$(mktemp -d /tmp/soak-crashloop.XXXXXX)
trap 'kill -9 "$NS" 2>/dev/null || true; wait "$NS" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for i in $(seq 1 "$SERVICES"); do
  s=$DIR/sv/s$i
  mkdir -p "$s/log"
  printf '#!/bin/sh\nexit 1\n' >"$s/run"
  printf '#!/bin/sh\nexit 0\n' >"$s/finish"
  printf '#!/bin/sh\nexec cat >/dev/null\n' >"$s/log/run"
  chmod +x "$s/run" "$s/finish" "$s/log/run"
done
env -i PATH="$BIN:/usr/bin:/bin" nice -n 19 \
  unshare --pid --fork --mount-proc --kill-child "$BIN/runsvdir" "$DIR/sv" \
  </dev/null >/dev/null 2>"$DIR/stderr" &
NS=$!

runsvdir_pid() { cat "/proc/$NS/task/$NS/children" 2>/dev/null | awk '{print $1}'; }
kb() { awk -v k="$2:" '$1 == k {print $2}' "$1" 2>/dev/null || echo 0; }

# One line: elapsed seconds, runsv count, RSS/PSS totals and per-runsv range
# (kB), descriptors per runsv (min-max), runsvdir's RSS and descriptors.
sample() {
  local rd=$1 t=$2 n=0 rss=0 pss=0 rmin=999999 rmax=0 fmin=999999 fmax=0 r p f
  for pid in $(cat "/proc/$rd/task/$rd/children" 2>/dev/null); do
    r=$(kb "/proc/$pid/status" VmRSS)
    p=$(kb "/proc/$pid/smaps_rollup" Pss)
    f=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    [ -n "$r" ] && [ "$f" -gt 0 ] || continue
    n=$((n + 1)) rss=$((rss + r)) pss=$((pss + ${p:-0}))
    [ "$r" -lt "$rmin" ] && rmin=$r
    [ "$r" -gt "$rmax" ] && rmax=$r
    [ "$f" -lt "$fmin" ] && fmin=$f
    [ "$f" -gt "$fmax" ] && fmax=$f
  done
  printf '%6s %6s %9s %9s %7s-%-7s %3s-%-3s %9s %5s\n' "$t" "$n" "$rss" "$pss" "$rmin" "$rmax" \
    "$fmin" "$fmax" "$(kb "/proc/$rd/status" VmRSS)" "$(ls "/proc/$rd/fd" | wc -l)"
}

for _ in $(seq 1 500); do
  RD=$(runsvdir_pid)
  [ -n "$RD" ] && [ "$(wc -w <"/proc/$RD/task/$RD/children")" -ge "$SERVICES" ] && break
  sleep 0.1
done
echo "soak: $SERVICES crash-looping services for $MINUTES min, a sample every $SAMPLE s ($(nproc) cores)"
printf '%6s %6s %9s %9s %15s %7s %9s %5s\n' secs runsv rss_kB pss_kB rss_each_kB fds rsd_rss rsd_fd
START=$(date +%s)
END=$((START + MINUTES * 60))
FIRST=
LAST=
while :; do
  NOW=$(date +%s)
  LINE=$(sample "$RD" $((NOW - START)))
  echo "$LINE"
  [ -z "$FIRST" ] && FIRST=$LINE
  LAST=$LINE
  [ "$NOW" -ge "$END" ] && break
  sleep "$SAMPLE"
done
LINES=$(grep -c . "$DIR/stderr" || true)
echo "first: $FIRST"
echo "last:  $LAST"
echo "stderr lines from runsvdir and its runsv's: $LINES"
