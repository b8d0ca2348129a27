#!/bin/bash
# The full-size no-loss run: ten million numbered lines through our svlogd
# with rotation every 1 MB and a processor, once quietly and once under a
# storm of SIGALRM and SIGHUP; every line must be there exactly once, in
# order. (The test suite runs the same checks with 300,000 lines.)
#
#   scripts/soak-svlogd.sh [LINES]
set -eu
cd "$(dirname "$0")/.."
export SVLOGD_NOLOSS_LINES=${1:-10000000}
cargo build --release --bins
cargo test --release --test svlogd_noloss -- --nocapture --test-threads=1
