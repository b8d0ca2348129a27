# $1 runsv, $2 sv. PID 1 of a private PID namespace, as root. runsv runs as
# uid $3 with RLIMIT_NPROC 3 while two other processes of that uid run:
# every fork fails until one of them is gone.
R=$1; SV=$2; U=$3
waitfor() { i=0; while ! eval "$1" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 1000 ] && return 1; sleep 0.02; done; }
as_user() { exec setpriv --reuid=$U --regid=$U --clear-groups "$@"; }
mkdir -p s; printf '#!/bin/sh\nexec sleep 1005\n' > s/run; chmod +x s/run; chown -R $U:$U s
as_user sleep 1006 & H1=$!
as_user sleep 1006 & H2=$!
waitfor '[ "$(pgrep -c -u $U)" = 2 ]'
as_user prlimit --nproc=3 $R s 2>runsv.err & RP=$!
waitfor 'grep -q fork runsv.err'; echo "fork failed: $?"
$SV down ./s
i=0; until od -An -c -j17 -N1 s/supervise/status | grep -q d; do i=$((i+1)); [ $i -gt 100 ] && break; sleep 0.02; done
echo "d seen within 2 s: $([ $i -le 100 ] && echo yes || echo no)"
$SV up ./s
kill $H1; wait $H1
waitfor 'pgrep -f "^sleep 1005"'; echo "started once a process is gone: $?"
$SV -w 7 status ./s | sed 's/[0-9][0-9]*/N/g'
$SV -w 7 exit ./s >/dev/null; wait $RP; echo "runsv exit $?"
kill $H2
sort -u runsv.err
