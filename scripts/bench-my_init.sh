#!/usr/bin/env bash
# Benchmarks our my_init against phusion's (Python) in the same run, both as
# PID 1 of a private PID and mount namespace over a private /etc, both over
# the same runsvdir/runsv/sv:
#   - boot: from starting the namespace to every one of N services running
#     (each run script marks itself up, then execs sleep);
#   - stop: from SIGTERM to PID 1 (what `docker stop` sends) to its exit;
#   - memory: PID 1's PSS (/proc/PID/smaps_rollup) once everything runs.
# Twice: over Debian's runit (/usr/bin) and over ours (bind-mounted over
# /usr/bin/runsvdir, runsv and sv inside the namespace). Prints medians and
# the ratios reference/ours, and a baseline: runsvdir itself as PID 1 (the
# namespace, the supervision tree and the kernel's teardown, which neither
# my_init can go below); "own" ratios compare what each my_init adds to it.
# Root only (namespaces, bind mounts).
#
# The stop comes 1.2 s after the last service started: runit's runsv sleeps a
# second after a service that lived less than one, and a stop right after
# boot would measure that (about 1 s for either my_init over Debian's runit).
#
#   scripts/bench-my_init.sh [--services N] [--runs R] [--bindir DIR]
#
# --bindir: where our my_init, runsvdir, runsv and sv are (default: the static
# release build of scripts/build-release.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=12
RUNS=7
BUILT=
while [ $# -gt 0 ]; do
  case "$1" in
    --services) SERVICES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --bindir) BUILT=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-my_init.sh: unknown argument: $1" >&2; exit 100 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench-my_init.sh: needs root (namespaces)" >&2; exit 100; }
[ -n "$BUILT" ] || BUILT=$(bash scripts/build-release.sh)
BUILT=$(cd "$BUILT" && pwd)
REFERENCE=$PWD/../shared/reference/phusion/my_init
[ -f "$REFERENCE" ] || { echo "bench-my_init.sh: $REFERENCE is missing" >&2; exit 111; }
[ -x /usr/bin/python3 ] || { echo "bench-my_init.sh: /usr/bin/python3 is missing" >&2; exit 111; }

exec /usr/bin/python3 - "$BUILT" "$REFERENCE" "$SERVICES" "$RUNS" <<'EOF'
import os, shutil, signal, statistics, subprocess, sys, tempfile, time

built, reference, nservices, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ours = [os.path.join(built, "my_init")]
theirs = ["/usr/bin/python3", "-u", reference]
top = tempfile.mkdtemp(prefix="bench-my_init-")
SETTLE = 1.2  # seconds the services run before the stop

def make_etc(path):
    os.makedirs(path)
    for f in ["passwd", "group", "ld.so.cache", "nsswitch.conf"]:
        if os.path.exists("/etc/" + f):
            shutil.copy("/etc/" + f, path)
    os.makedirs(path + "/container_environment")
    for k, v in [("LANG", "C.UTF-8"), ("TZ", "UTC"), ("APP_MODE", "production")]:
        with open(path + "/container_environment/" + k, "w") as fh:
            fh.write(v)
    os.makedirs(path + "/up")
    for i in range(nservices):
        d = "%s/service/s%02d" % (path, i)
        os.makedirs(d)
        with open(d + "/run", "w") as fh:
            fh.write("#!/bin/sh\n: > /etc/up/s%02d\nexec sleep 100000\n" % i)
        os.chmod(d + "/run", 0o755)
    # runsvdir does not trust a directory modified in the current second and
    # looks again a second later; the tree is as old as an image's.
    past = time.time() - 10
    os.utime(path + "/service", (past, past))

def pid1_of(unshare_pid):
    path = "/proc/%d/task/%d/children" % (unshare_pid, unshare_pid)
    while True:
        try:
            kids = open(path).read().split()
        except OSError:
            kids = []
        if kids:
            return int(kids[0])
        time.sleep(0.0002)

def pss_kb(pid):
    for line in open("/proc/%d/smaps_rollup" % pid):
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0

def one(argv, our_runit, n):
    etc = os.path.join(top, "etc%d" % n)
    make_etc(etc)
    mounts = 'mount --bind "$1" /etc'
    if our_runit:
        for p in ["runsvdir", "runsv", "sv"]:
            mounts += ' && mount --bind %s/%s /usr/bin/%s' % (built, p, p)
    cmd = ["/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "--mount",
           "--propagation", "private", "/bin/sh", "-c",
           mounts + ' && cd / && shift && exec /usr/bin/env -i "$@"', "sh", etc,
           "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG=C.UTF-8"] + argv
    up = [os.path.join(etc, "up", "s%02d" % i) for i in range(nservices)]
    t0 = time.perf_counter()
    errlog = open(os.path.join(top, "stderr%d" % n), "w+")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=errlog)

    def fail(why):
        try:
            os.kill(pid1, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        errlog.seek(0)
        raise SystemExit("%s: %s\nits stderr:\n%s" % (argv[-1], why, errlog.read()))

    pid1 = pid1_of(p.pid)
    deadline = t0 + 30
    while not all(os.path.exists(u) for u in up):
        if time.perf_counter() > deadline:
            fail("services did not all start within 30 s")
        time.sleep(0.0002)
    boot = time.perf_counter() - t0
    pss = pss_kb(pid1)
    # A docker stop comes to services that have run a while: runit's runsv
    # sleeps a second after a service that lived less than one, which would
    # measure that sleep instead of the stop.
    time.sleep(max(0.0, t0 + boot + SETTLE - time.perf_counter()))
    t1 = time.perf_counter()
    try:
        os.kill(pid1, signal.SIGTERM)
    except OSError:
        fail("PID 1 exited before the SIGTERM")
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        fail("PID 1 did not exit within 60 s of SIGTERM")
    stop = time.perf_counter() - t1
    errlog.close()
    shutil.rmtree(etc, ignore_errors=True)
    return boot, stop, pss

def bench(label, argv, our_runit, counter, baseline=None):
    results = []
    for _ in range(runs):
        counter[0] += 1
        results.append(one(argv, our_runit, counter[0]))
    boot = statistics.median(r[0] for r in results) * 1000
    stop = statistics.median(r[1] for r in results) * 1000
    pss = statistics.median(r[2] for r in results)
    extra = ""
    if baseline:
        extra = "   (own: boot %+.1f ms, stop %+.1f ms)" % (boot - baseline[0], stop - baseline[1])
    print("  %-10s boot %8.1f ms   stop %8.1f ms   PID 1 PSS %7d KiB%s" % (label, boot, stop, pss, extra))
    return boot, stop, pss

counter = [0]
print("my_init: %d services, median of %d runs" % (nservices, runs))
try:
    for runit_label, our_runit in [("Debian's runit", False), ("our runit", True)]:
        print("over %s:" % runit_label)
        b = bench("runsvdir", ["/usr/bin/runsvdir", "-P", "/etc/service"], our_runit, counter)
        r = bench("reference", theirs, our_runit, counter, b)
        o = bench("ours", ours, our_runit, counter, b)
        print("  ratio (reference/ours): boot %.1fx   stop %.1fx   memory %.1fx" %
              (r[0] / o[0], r[1] / o[1], r[2] / max(o[2], 1)))
        def own(i):
            if r[i] - b[i] <= 1 or o[i] - b[i] <= 1:
                return "n/a (within noise of the baseline)"
            return "%.1fx" % ((r[i] - b[i]) / (o[i] - b[i]))
        print("  own ratio (over the runsvdir baseline): boot %s   stop %s" % (own(0), own(1)))
finally:
    shutil.rmtree(top, ignore_errors=True)
EOF
