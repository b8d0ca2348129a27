# $1 runsv, $2 sv, $3 full|ro. PID 1 of a private PID and mount namespace.
R=$1; SV=$2; MODE=$3
rm -rf s; mkdir -p s/supervise; printf '#!/bin/sh\nexec sleep 1004\n' > s/run; chmod +x s/run
mount -t tmpfs -o size=64k,nr_inodes=64 tmpfs s/supervise || exit 9
$R s 2>runsv.err & RP=$!
waitfor() { i=0; while ! eval "$1" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 250 ] && return 1; sleep 0.02; done; }
st() { $SV status ./s | sed 's/[0-9][0-9]*/N/g'; }
svpid() { $SV status ./s | sed -n 's/^run: .*(pid \([0-9]*\)).*/\1/p'; }
waitfor '$SV status ./s | grep -q "^run:"'
P1=$(pgrep -f "^sleep 1004")
if [ $MODE = full ]; then
  mkdir s/supervise/fill; i=0; while touch s/supervise/fill/$i 2>/dev/null; do i=$((i+1)); done
  dd if=/dev/zero of=s/supervise/fill/0 bs=4k 2>/dev/null
else
  mount --bind s/supervise s/supervise && mount -o remount,bind,ro s/supervise
fi
$SV down ./s; echo "sv down: $?"
waitfor '! kill -0 $P1'; echo "service stopped: $?"
echo "status while faulty: $(st)"
printf u > s/supervise/control; echo "u sent: $?"
waitfor 'pgrep -f "^sleep 1004"'; echo "service started again: $?"
if [ $MODE = full ]; then rm -r s/supervise/fill; else umount s/supervise; fi
waitfor '[ "$(svpid)" = "$(pgrep -f "^sleep 1004")" ]'; echo "status right again without a change: $?"
$SV -w 5 restart ./s | sed 's/[0-9][0-9]*/N/g'
echo "status names the service: $([ "$(svpid)" = "$(pgrep -f "^sleep 1004")" ] && echo yes)"
$SV -w 5 exit ./s >/dev/null; wait $RP; echo "runsv exit $?"
sed 's/[0-9][0-9]*/N/g' runsv.err
