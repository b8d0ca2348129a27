#!/bin/sh
# Exec overhead of chpst: N runs of a trivial program through ours (release
# build) and Debian's, plain and with the usual options. Prints seconds and
# the ratio ours/runit. Usage: scripts/bench-chpst.sh [N]
set -e
n=${1:-2000}
cd "$(dirname "$0")/.."
ours="$(bash scripts/build-release.sh 2>/dev/null)/chpst"
theirs=/usr/bin/chpst
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/env"
for i in 1 2 3 4 5 6 7 8; do echo "value $i" > "$work/env/VAR$i"; done
chmod 777 "$work"
run() { # bin args...
    bin=$1; shift
    start=$(date +%s.%N)
    i=0
    while [ $i -lt "$n" ]; do "$bin" "$@" /bin/true; i=$((i + 1)); done
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
for opts in "" "-u nobody -e $work/env -o 100 -n 1 -L $work/lk"; do
    t_ours=$(run "$ours" $opts)
    t_theirs=$(run "$theirs" $opts)
    printf '%-40s ours %6.2fs  runit %6.2fs  ratio %.2f\n' "chpst ${opts:-(none)}" "$t_ours" "$t_theirs" "$(echo "$t_ours / $t_theirs" | bc -l)"
done
ls -l "$ours" "$theirs" | awk '{print $5, $NF}'
