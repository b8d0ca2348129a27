#!/usr/bin/env bash
# Runs the whole test suite: unit tests, and integration tests that start real
# processes, many of them side by side with Debian's runit.
# As root on a Debian machine it first installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  [ -x /usr/bin/runsv ] || need+=(runit)
  command -v groff >/dev/null 2>&1 || need+=(groff-base)
  # pgrep, for the fault-injection scenarios (tests/reliab_support).
  command -v pgrep >/dev/null 2>&1 || need+=(procps)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    # No recommends: runit-run would try to become the machine's init.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

cargo build --bins
cargo test --no-fail-fast -- --test-threads="${TEST_THREADS:-4}"
