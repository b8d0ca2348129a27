#!/usr/bin/env bash
# Installs runit-rs: the programs, their manual pages, sv's bash completion,
# and optionally the chpst personality links (envdir, envuidgid, pgrphack,
# setuidgid, softlimit, setlock).
#
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--personalities] [--phusion] [--bindir DIR] [--no-build]
#
# my_init and setuser (phusion/baseimage's, without Python) go to PREFIX/sbin;
# --phusion also puts them at /sbin/my_init and /sbin/setuser (under DESTDIR),
# the paths a phusion-based image starts (CMD ["/sbin/my_init"]).
# --prefix /usr/local (default) installs beside any runit; --prefix /usr puts
# the binaries where Debian's runit has them (/usr/bin, /usr/sbin), replacing it.
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
    --no-build) BUILT=$PWD/target/release; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; exit 100 ;;
  esac
done

[ -n "$BUILT" ] || BUILT=$(bash scripts/build-release.sh)
ROOT="$DESTDIR$PREFIX"
install -d "$ROOT/bin" "$ROOT/sbin" "$ROOT/share/man/man8" "$ROOT/share/bash-completion/completions"

for p in runsvdir runsv sv chpst svlogd; do
  install -m 0755 "$BUILT/$p" "$ROOT/bin/$p"
done
# Debian keeps the two administrative tools in sbin.
for p in runsvchdir utmpset; do
  install -m 0755 "$BUILT/$p" "$ROOT/sbin/$p"
done
# phusion/baseimage's programs, compiled.
for p in my_init setuser; do
  if [ -x "$BUILT/$p" ]; then
    install -m 0755 "$BUILT/$p" "$ROOT/sbin/$p"
    if [ "$PHUSION" = yes ]; then
      install -d "$DESTDIR/sbin"
      install -m 0755 "$BUILT/$p" "$DESTDIR/sbin/$p"
    fi
  else
    echo "install.sh: warning: $BUILT/$p is not built; not installed" >&2
  fi
done
for page in man/*.8; do
  [ -e "$page" ] && install -m 0644 "$page" "$ROOT/share/man/man8/"
done
if [ -f scripts/completion/sv.bash ]; then
  install -m 0644 scripts/completion/sv.bash "$ROOT/share/bash-completion/completions/sv"
fi
if [ "$PERSONALITIES" = yes ]; then
  for name in envdir envuidgid pgrphack setuidgid softlimit setlock; do
    ln -sf chpst "$ROOT/bin/$name"
  done
fi
echo "installed runit-rs into $ROOT"
