# $1 runsvdir, $2 its soft RLIMIT_NOFILE. PID 1 of a private PID namespace.
# runsvdir starts with too few descriptors to open its directory, says so,
# and, as runit's, scans again once the directory's mtime changes (a touch):
# by then the limit is raised and the service starts. Prints what happened.
R=$1; N=$2
waitfor() { i=0; while ! eval "$1" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 500 ] && return 1; sleep 0.02; done; }
mkdir -p sv/a; printf '#!/bin/sh\nexec sleep 1015\n' > sv/a/run; chmod +x sv/a/run
touch -d '-10 sec' sv
prlimit --nofile=$N:1024 $R sv 2>runsvdir.err & P=$!
waitfor 'grep -q "unable to open directory" runsvdir.err'; echo "warned: $?"
prlimit --pid $P --nofile=1024:1024
touch -d '-5 sec' sv
waitfor 'pgrep -f "^sleep 1015"'; echo "started once the directory changed: $?"
sort -u runsvdir.err
