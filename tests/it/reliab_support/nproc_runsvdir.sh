# $1 runsvdir. PID 1 of a private PID namespace, as root. runsvdir runs as
# uid $2 with RLIMIT_NPROC 3 while two other processes of that uid run:
# runsvdir cannot fork runsv; once one is gone runsv cannot fork the
# service; once both are gone everything runs, once.
R=$1; U=$2
waitfor() { i=0; while ! eval "$1" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 1000 ] && return 1; sleep 0.02; done; }
as_user() { exec setpriv --reuid=$U --regid=$U --clear-groups "$@"; }
mkdir -p sv/s; printf '#!/bin/sh\nexec sleep 1008\n' > sv/s/run; chmod +x sv/s/run; chown -R $U:$U sv
as_user sleep 1006 & H1=$!
as_user sleep 1006 & H2=$!
waitfor '[ "$(pgrep -c -u $U)" = 2 ]'
as_user prlimit --nproc=3 $R sv 2>err & RP=$!
waitfor 'grep -q "unable to fork for" err'; echo "runsvdir's fork failed: $?"
kill $H1; wait $H1
waitfor 'grep -q "unable to fork, sleeping" err'; echo "runsv's fork failed: $?"
kill $H2; wait $H2
waitfor 'pgrep -f "^sleep 1008"'; echo "service started: $?"
echo "runsv: $(pgrep -c -x runsv), service: $(pgrep -c -f '^sleep 1008')"
kill -9 $RP
sort -u err | sed 's/[0-9][0-9]*/N/g'
