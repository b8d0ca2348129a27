#!/usr/bin/env bash
# Builds runit-rs and runs a small demo service under runsv, then shows how to
# look at it with sv. Ctrl-C (or `--once`, used by the tests) stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bins >&2
BIN="$PWD/target/release"
export PATH="$BIN:$PATH"

DEMO=$(mktemp -d /tmp/runit-rs-demo.XXXXXX)
mkdir -p "$DEMO/clock/log"
cat > "$DEMO/clock/run" <<'RUN'
#!/bin/sh
exec 2>&1
while :; do echo "tick $(date +%T)"; sleep 1; done
RUN
cat > "$DEMO/clock/log/run" <<'RUN'
#!/bin/sh
exec cat >> ./current
RUN
chmod +x "$DEMO/clock/run" "$DEMO/clock/log/run"

runsv "$DEMO/clock" &
RUNSV=$!
cleanup() { sv exit "$DEMO/clock" >/dev/null 2>&1 || true; wait "$RUNSV" 2>/dev/null || true; rm -rf "$DEMO"; }
trap cleanup EXIT
trap 'exit 0' INT TERM

for _ in $(seq 100); do [ -s "$DEMO/clock/log/current" ] && break; sleep 0.05; done
echo "demo service directory: $DEMO/clock"
echo "try: SVDIR=$DEMO $BIN/sv status clock"
sv status "$DEMO/clock"
tail -n 1 "$DEMO/clock/log/current"
[ "${1:-}" = "--once" ] && exit 0
echo "Ctrl-C to stop."
while :; do sleep 5; sv status "$DEMO/clock"; done
