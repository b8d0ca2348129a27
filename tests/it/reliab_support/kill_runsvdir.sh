# $1 runsvdir. PID 1 of a private PID namespace. SIGKILL of runsvdir: its
# runsv's keep supervising; a new runsvdir starts nothing twice.
R=$1
waitfor() { i=0; while ! eval "$1" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 1000 ] && return 1; sleep 0.02; done; }
for s in a b c; do mkdir -p sv/$s; printf '#!/bin/sh\nexec sleep 1011\n' > sv/$s/run; chmod +x sv/$s/run; done
$R sv 2>err1 & R1=$!
waitfor '[ "$(pgrep -c -f "^sleep 1011")" = 3 ]'; echo "services up: $?"
services=$(pgrep -f "^sleep 1011" | sort | tr '\n' ' ')
runsvs=$(pgrep -x runsv | sort | tr '\n' ' ')
kill -9 $R1; wait $R1
$R sv 2>err2 & R2=$!
for s in a b c; do waitfor "grep -q 'runsv $s: fatal' err2"; done
echo "runsv's still there: $([ "$(pgrep -x runsv -P 1 | sort | tr '\n' ' ')" = "$runsvs" ] && echo yes)"
echo "services unchanged: $([ "$(pgrep -f '^sleep 1011' | sort | tr '\n' ' ')" = "$services" ] && echo yes)"
kill -9 $R2
sed 's/[0-9][0-9]*/N/g' err2 | sort -u
