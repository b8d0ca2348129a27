#!/usr/bin/env bash
# Starts the demo supervision tree under scripts/demo/service with runsvdir
# (a copy of it, in a temporary directory), and shows how to look at it with
# sv. Ctrl-C stops it all; `--once` starts, shows the status, stops
# everything and exits 0 (the tests run that).
# RUNIT_RS_BIN=dir uses the binaries in dir instead of a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -n "${RUNIT_RS_BIN:-}" ]; then
  BIN=$RUNIT_RS_BIN
else
  cargo build --release --bins >&2
  BIN="$PWD/target/release"
fi
export PATH="$BIN:$PATH"

DEMO=$(mktemp -d /tmp/runit-rs-demo.XXXXXX)
cp -R scripts/demo/service "$DEMO/service"

# --graceful: on SIGTERM runsvdir stops every service (finish scripts run,
# logs get everything) and waits for them before it exits. -P: each runsv in
# its own session. The last argument is runsvdir's readproctitle log: see it
# with `ps -o args= -p PID`.
runsvdir --graceful=5 -P "$DEMO/service" "log: $(printf '%.0s.' $(seq 60))" &
RUNSVDIR=$!
cleanup() {
  trap - EXIT INT TERM
  kill -TERM "$RUNSVDIR" 2>/dev/null || true
  wait "$RUNSVDIR" 2>/dev/null || true
  rm -rf "$DEMO"
}
trap cleanup EXIT
trap 'exit 0' INT TERM

for _ in $(seq 200); do
  [ -s "$DEMO/service/clock/log/main/current" ] && [ -e "$DEMO/service/sleeper/supervise/stat" ] && break
  sleep 0.05
done
echo "demo tree: $DEMO/service (runsvdir pid $RUNSVDIR)"
echo "look at it with: sv status $DEMO/service/*"
echo "the clock's log: tail -f $DEMO/service/clock/log/main/current"
sv status "$DEMO"/service/* || true
tail -n 2 "$DEMO/service/clock/log/main/current"
[ "${1:-}" = "--once" ] && exit 0
echo "Ctrl-C to stop."
while :; do sleep 5; sv status "$DEMO"/service/* || true; done
