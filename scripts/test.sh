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
  # tests/rootfs.rs: a static shell for the minimal root filesystem.
  [ -x /bin/busybox ] || need+=(busybox-static)
  # phusion's my_init and setuser (the references) are Python 3 scripts;
  # the my_init tests run them in PID namespaces (unshare, nsenter).
  [ -x /usr/bin/python3 ] || need+=(python3)
  command -v unshare >/dev/null 2>&1 && command -v nsenter >/dev/null 2>&1 || need+=(util-linux)
  # ps and pgrep: the my_init tests and the fault-injection scenarios.
  { command -v ps && command -v pgrep; } >/dev/null 2>&1 || need+=(procps)
  # fuzz/: libfuzzer-sys compiles libFuzzer (checked, not run, in CI).
  command -v c++ >/dev/null 2>&1 || need+=(g++)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    apt-get update -qq
    # No recommends: runit-run would try to become the machine's init.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# Guard rails: formatting, and clippy with every warning an error (the lints
# are in Cargo.toml and lib/lib.rs).
cargo fmt --check
cargo clippy --all-targets -- -D warnings
# The library's documentation, links included (what a maintainer reads).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
# The fuzz targets drive the library's internals (runsv's Effects, the
# parsers): they must keep compiling as those change. Running them is
# scripts/fuzz.sh's job (nightly, cargo-fuzz); libfuzzer-sys builds C++.
cargo check --quiet --manifest-path fuzz/Cargo.toml
cargo build --bins
# The release's one static file, for tests/rootfs.rs (20-60 s on 2 cores).
# If it cannot be built, the rest still runs and rootfs.rs says why.
if RUNIT_RS_RELEASE_DIR=$(bash scripts/build-release.sh); then
  export RUNIT_RS_RELEASE_DIR
else
  echo "test.sh: the release build failed; tests/rootfs.rs will fail in CI" >&2
  export RUNIT_RS_RELEASE_DIR=/nonexistent  # never an older build
fi
# A differential test whose reference (Debian's runit, python3, installed
# above) or prerequisite (root, unshare, groff, busybox, dpkg) is missing fails
# instead of skipping (tests/it/reference.rs).
# RUNIT_RS_REQUIRE_REFERENCE=0 allows the skips.
export RUNIT_RS_REQUIRE_REFERENCE="${RUNIT_RS_REQUIRE_REFERENCE:-1}"
# phusion's my_init and setuser (the references for ours) are no package: they
# are the workplace's unmodified copy, beside the repository or at
# RUNIT_RS_PHUSION_DIR. Without them the my_init tests check ours alone.
phusion=
for d in "${RUNIT_RS_PHUSION_DIR:-}" ../shared/reference/phusion /work/shared/reference/phusion; do
  if [ -n "$d" ] && [ -f "$d/my_init" ]; then phusion=$(cd "$d" && pwd); break; fi
done
if [ -n "$phusion" ]; then
  echo "test.sh: phusion's my_init and setuser: $phusion"
  export RUNIT_RS_PHUSION_DIR="$phusion"
else
  echo "test.sh: WARNING: phusion's my_init and setuser are not here" \
    "(../shared/reference/phusion, RUNIT_RS_PHUSION_DIR): the my_init and" \
    "setuser tests check ours without comparing" >&2
fi
# The unit tests, then the one integration test binary (tests/it/), four
# tests at a time; tests/it/README.md says which ones run alone.
cargo test --no-fail-fast -- --test-threads="${TEST_THREADS:-4}"
