#!/usr/bin/env bash
# Builds the release: one static, non-PIE multi-call binary, runit-rs, that is
# every program of the suite (lib/cli/multicall.rs). Static and non-PIE: no
# dynamic loader and no relocated libc pages, so each supervisor process keeps
# only a few dozen KiB of private memory, and the one file's text is shared by
# every process of the tree.
#
# libc: musl (x86_64-unknown-linux-musl) when that target is installed or
# `rustup target add` can install it; static glibc otherwise. Says which on
# stderr.
#
# Prints a directory holding runit-rs and a symbolic link to it for every
# program and chpst personality (runsv -> runit-rs, ...), ready to run from
# there (the bench scripts do) or to install (scripts/install.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

ARCH=$(uname -m)
MUSL=$ARCH-unknown-linux-musl
GNU=$ARCH-unknown-linux-gnu
TARGET=$GNU
LIBC="static glibc"
# RUNIT_RS_LIBC=glibc forces the glibc build.
musl_installed() {
  [ -d "$(rustc --print sysroot)/lib/rustlib/$MUSL/lib" ]
}
if [ "${RUNIT_RS_LIBC:-musl}" = musl ]; then
  if musl_installed ||
     { command -v rustup >/dev/null 2>&1 && rustup target add "$MUSL" >&2; }; then
    TARGET=$MUSL
    LIBC="static musl"
  fi
fi
# crt-static is musl's default and makes glibc's build static; the explicit
# --target keeps both flags off build scripts and proc-macros.
RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
  cargo build --release --bin runit-rs --target "$TARGET" >&2

BUILT=$PWD/target/$TARGET/release/runit-rs
OUT=$PWD/target/release-multicall
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$BUILT" "$OUT/runit-rs"
for path in $("$OUT/runit-rs" --list) $("$OUT/runit-rs" --personalities); do
  ln -s runit-rs "$OUT/${path##*/}"
done
echo "built $OUT/runit-rs for $TARGET ($LIBC): $(stat -c %s "$OUT/runit-rs") bytes" >&2
echo "$OUT"
