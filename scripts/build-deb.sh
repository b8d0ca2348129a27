#!/usr/bin/env bash
# Builds runit-rs_VERSION_ARCH.deb with dpkg-deb: the multi-call binary as
# /usr/bin/runit-rs and a symbolic link to it at each of Debian runit's paths
# (/usr/bin/{chpst,runsv,runsvdir,sv,svlogd}, /usr/sbin/{runsvchdir,utmpset}),
# the manual pages, sv's bash completion, and control fields that let it
# replace Debian's runit package (Provides, Conflicts, Replaces: runit).
# It does not ship runit's boot scripts (/sbin/runit, /etc/runit): it is the
# supervision suite, not runit-init.
#
#   scripts/build-deb.sh [--bindir DIR] [--out DIR]
#
# --bindir DIR takes runit-rs from DIR (default: build it with
# scripts/build-release.sh); --out DIR is where the .deb goes (default
# target/). Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILT=
OUT=$PWD/target
while [ $# -gt 0 ]; do
  case "$1" in
    --bindir) BUILT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-deb.sh: unknown argument: $1" >&2; exit 100 ;;
  esac
done
command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb not found" >&2; exit 111; }
[ -n "$BUILT" ] || BUILT=$(bash scripts/build-release.sh)

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
# The binary's architecture, from its ELF header (e_machine).
case "$(od -An -tx1 -j18 -N2 "$BUILT/runit-rs" | tr -d ' ')" in
  3e00) ARCH=amd64 ;;
  b700) ARCH=arm64 ;;
  *) ARCH=$(dpkg --print-architecture) ;;
esac
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
chmod 0755 "$STAGE"
mkdir -p "$OUT"

# The files, through the installer: the same layout as `install.sh --prefix /usr`.
bash scripts/install.sh --prefix /usr --destdir "$STAGE" --bindir "$BUILT" >/dev/null
gzip -9n "$STAGE"/usr/share/man/man8/*.8
install -d "$STAGE/usr/share/doc/runit-rs"
{
  echo "runit-rs: a Rust reimplementation of runit 2.1.2's supervision suite."
  echo "License: BSD-3-Clause"
} > "$STAGE/usr/share/doc/runit-rs/copyright"
chmod 0644 "$STAGE/usr/share/doc/runit-rs/copyright"

install -d "$STAGE/DEBIAN"
SIZE=$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: runit-rs
Version: $VERSION
Architecture: $ARCH
Maintainer: runit-rs developers <runit-rs@localhost>
Installed-Size: $SIZE
Section: admin
Priority: optional
Provides: runit
Conflicts: runit
Replaces: runit
Description: drop-in Rust reimplementation of runit's supervision suite
 runsvdir, runsv, sv, chpst, svlogd, runsvchdir and utmpset, compatible with
 runit 2.1.2, as one static multi-call binary (/usr/bin/runit-rs) with a
 symbolic link at each program's usual path.
CONTROL
DEB=$OUT/runit-rs_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
