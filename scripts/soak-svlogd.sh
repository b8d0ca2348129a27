#!/bin/bash
# The full-size runs of svlogd's no-loss checks:
# - ten million numbered lines through our svlogd with rotation every 1 MB
#   and a processor, once quietly and once under a storm of SIGALRM and
#   SIGHUP; every line must be there exactly once, in order (the test suite
#   runs the same checks with 300,000 lines);
# - svlogd SIGKILLed KILLS times under runsv while a service writes numbered
#   lines into its log pipe: lines lost and repeated per kill, ours (under our
#   runsv) and Debian's (under Debian's runsv). Ours must lose none.
#
#   scripts/soak-svlogd.sh [LINES] [KILLS]
set -eu
cd "$(dirname "$0")/.."
export SVLOGD_NOLOSS_LINES=${1:-10000000}
export SVLOGD_KILLS=${2:-20}
cargo build --release --bins
cargo test --release --test it svlogd_noloss:: -- --nocapture --test-threads=1
cargo test --release --test it svlogd_kill:: -- --nocapture --test-threads=1 2>&1 |
    grep -E '^kill-|^test |test result'
