#!/usr/bin/env bash
# Installs runit-rs: the one multi-call binary (runit-rs) with a symbolic link
# for every program at Debian runit's places (bin/runsvdir, bin/runsv, bin/sv,
# bin/chpst, bin/svlogd, sbin/runsvchdir, sbin/utmpset), the manual pages,
# sv's bash completion, and optionally the chpst personality links (envdir,
# envuidgid, pgrphack, setuidgid, softlimit, setlock).
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--personalities] [--phusion] [--bindir DIR] [--no-build]
#
# my_init and setuser (phusion/baseimage's, without Python) go to PREFIX/sbin;
# --phusion also puts them at /sbin/my_init and /sbin/setuser (under DESTDIR),
# the paths a phusion-based image starts (CMD ["/sbin/my_init"]).
# --prefix /usr/local (default) installs beside any runit; --prefix /usr puts
# the programs where Debian's runit has them (/usr/bin, /usr/sbin), replacing it.
# --bindir DIR takes runit-rs from DIR instead of building it.
set -euo pipefail
cd "$(dirname "$0")/.."

PREFIX=/usr/local
DESTDIR=
PERSONALITIES=no
PHUSION=no
BUILT=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --destdir) DESTDIR=$2; shift 2 ;;
    --destdir=*) DESTDIR=${1#*=}; shift ;;
    --personalities) PERSONALITIES=yes; shift ;;
    --phusion) PHUSION=yes; shift ;;
    --bindir) BUILT=$2; shift 2 ;;
    --no-build) BUILT=$PWD/target/release-multicall; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 100 ;;
  esac
done

[ -n "$BUILT" ] || BUILT=$(bash scripts/build-release.sh)
MULTI=$BUILT/runit-rs
[ -x "$MULTI" ] || { echo "install.sh: $MULTI not found" >&2; exit 111; }
ROOT="$DESTDIR$PREFIX"
install -d "$ROOT/bin" "$ROOT/sbin" "$ROOT/share/man/man8" "$ROOT/share/bash-completion/completions"

install -m 0755 "$MULTI" "$ROOT/bin/runit-rs"
# Symbolic links: each program runs with its own name as argv[0] (ps, pkill -f
# and usage lines read as with runit), and replacing runit-rs updates them all.
# The list comes from the binary itself (lib/cli/multicall.rs).
for path in $("$MULTI" --list); do
  case "$path" in
    bin/*) ln -sfn runit-rs "$ROOT/$path" ;;
    *) ln -sfn ../bin/runit-rs "$ROOT/$path" ;;
  esac
done
if [ "$PERSONALITIES" = yes ]; then
  for name in $("$MULTI" --personalities); do
    ln -sfn runit-rs "$ROOT/bin/$name"
  done
fi
# phusion/baseimage's programs, compiled: my_init and setuser are in
# PREFIX/sbin with the others; --phusion adds the paths the images use.
if [ "$PHUSION" = yes ]; then
  install -d "$DESTDIR/sbin"
  for p in my_init setuser; do
    ln -sfn "..$PREFIX/bin/runit-rs" "$DESTDIR/sbin/$p"
  done
fi
for page in man/*.8; do
  [ -e "$page" ] && install -m 0644 "$page" "$ROOT/share/man/man8/"
done
if [ -f scripts/completion/sv.bash ]; then
  install -m 0644 scripts/completion/sv.bash "$ROOT/share/bash-completion/completions/sv"
fi
echo "installed runit-rs into $ROOT"
