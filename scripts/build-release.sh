#!/usr/bin/env bash
# Builds the release binaries as static, non-PIE executables: no dynamic
# loader, no relocated libc pages, so each supervisor process keeps only a few
# dozen KiB of private memory (a per-process cost that adds up over 1000 runsv).
# Prints the directory holding the binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=x86_64-unknown-linux-gnu
if [ "$(uname -m)" = x86_64 ]; then
  RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static -C relocation-model=static" \
    cargo build --release --bins --target "$TARGET" >&2
  echo "$PWD/target/$TARGET/release"
else
  cargo build --release --bins >&2
  echo "$PWD/target/release"
fi
