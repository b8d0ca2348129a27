# $1 svlogd. PID 1 of a private PID namespace, as root. svlogd runs as uid
# $2 with RLIMIT_NPROC 3 while two other processes of that uid run, with a
# processor (`!cat`) and a rotation every 300 bytes: every fork for the
# processor fails until one of them is gone. Prints what happened, then
# every line of the log directory once, sorted.
L=$1; U=$2
waitfor() { i=0; while ! eval "$1" >/dev/null 2>&1; do i=$((i+1)); [ $i -gt 1000 ] && return 1; sleep 0.02; done; }
as_user() { exec setpriv --reuid=$U --regid=$U --clear-groups "$@"; }
mkdir d; printf 's300\n!exec cat\n' > d/config; chown -R $U:$U d
as_user sleep 1007 & H1=$!
as_user sleep 1007 & H2=$!
waitfor '[ "$(pgrep -c -u $U)" = 2 ]'
mkfifo in
(as_user prlimit --nproc=3 $L d <in 2>svlogd.err) & LP=$!
exec 3>in
seq 1 200 >&3
waitfor 'grep -q "unable to fork for processor" svlogd.err'; echo "fork failed: $?"
kill $H1; wait $H1
waitfor '[ -z "$(ls d | grep "\.u$")" ] && ls d | grep -q "\.s$"'; echo "processed once a process is gone: $?"
seq 201 300 >&3
exec 3>&-
wait $LP; echo "svlogd exit $?"
kill $H2
sed 's/ d: .*/ d: .../' svlogd.err | sort -u
cat d/*.s d/current | sort -n | uniq -c | awk '$1 != 1 { bad++ } END { print NR " lines, " bad + 0 " not exactly once" }'
