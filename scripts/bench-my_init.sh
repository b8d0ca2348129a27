#!/usr/bin/env bash
# Benchmarks our my_init against phusion's (Python) in the same run, both as
# PID 1 of a private PID and mount namespace over a private /etc, both over
# the same runsvdir/runsv/sv:
#   - boot: from the exec of PID 1 to every one of N services running (each
#     run script creates a file, then execs sleep);
#   - stop: from SIGTERM to PID 1 (what `docker stop` sends) to its exit;
#   - memory: PID 1's PSS (/proc/PID/smaps_rollup) once everything runs;
#   - CPU of the stop, when a cgroup CPU accounting file can be made
#     (cgroup v1 cpuacct, or v2 cpu.stat): every process of the namespace,
#     and PID 1 alone (moved into a cgroup of its own once booted). On a
#     2-core machine a stop of 12 services is CPU-bound, so this says what
#     each init costs more steadily than the wall time.
# Twice: over Debian's runit (/usr/bin) and over ours (bind-mounted over
# /usr/bin/runsvdir, runsv and sv inside the namespace). Prints medians and
# the ratios reference/ours, and a baseline: runsvdir itself as PID 1 (the
# supervision tree and the kernel's teardown, which neither my_init can go
# below); "own" ratios compare what each my_init adds to it. The three are
# run in turn, round after round, so that a change in the machine's load
# falls on all of them.
#
# How it measures, so that nothing but the init is counted and nothing is
# rounded: the clock starts when the namespace's shell, its bind mounts done
# (a few ms each: not the init's), creates a marker just before it execs PID
# 1; every start is seen through inotify on the directory the markers go to
# (no polling, which would also take CPU from the tree on a small machine);
# the exit of PID 1 through a pidfd. The trees (each run's private /etc) are
# made on tmpfs (/dev/shm) by default: runsv creates a dozen files per
# service, and on a disk file system shared with busy neighbours inode
# allocation alone (ext4's search past recently deleted inodes, seen with
# perf) added 20-30 ms to every boot, the same for both inits, that no init
# can remove; --tmpdir DIR puts them elsewhere (a container's /etc is
# usually on overlayfs). Root only (namespaces, bind mounts).
#
# The stop comes 1.2 s after the last service started: runit's runsv sleeps a
# second after a service that lived less than one, and a stop right after
# boot would measure that (about 1 s for either my_init over Debian's runit).
#
#   scripts/bench-my_init.sh [--services N] [--runs R] [--bindir DIR]
#                            [--tmpdir DIR] [--only debian|ours]
#
# --bindir: where our my_init, runsvdir, runsv and sv are (default: the static
# release build of scripts/build-release.sh). --only: one runit, not both.
# BENCH_VERBOSE=1 also prints every run's times.
set -euo pipefail
cd "$(dirname "$0")/.."

SERVICES=12
RUNS=7
BUILT=
TMPBASE=/dev/shm
ONLY=
while [ $# -gt 0 ]; do
  case "$1" in
    --services) SERVICES=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --bindir) BUILT=$2; shift 2 ;;
    --tmpdir) TMPBASE=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,44p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-my_init.sh: unknown argument: $1" >&2; exit 100 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench-my_init.sh: needs root (namespaces)" >&2; exit 100; }
[ -n "$BUILT" ] || BUILT=$(bash scripts/build-release.sh)
BUILT=$(cd "$BUILT" && pwd)
REFERENCE=
for d in "${RUNIT_RS_PHUSION_DIR:-}" ../shared/reference/phusion /work/shared/reference/phusion; do
  if [ -n "$d" ] && [ -f "$d/my_init" ]; then REFERENCE=$(cd "$d" && pwd)/my_init; break; fi
done
[ -n "$REFERENCE" ] || REFERENCE=$PWD/../shared/reference/phusion/my_init
[ -f "$REFERENCE" ] || { echo "bench-my_init.sh: $REFERENCE is missing" >&2; exit 111; }
[ -x /usr/bin/python3 ] || { echo "bench-my_init.sh: /usr/bin/python3 is missing" >&2; exit 111; }

[ -d "$TMPBASE" ] || TMPBASE=${TMPDIR:-/tmp}
exec /usr/bin/python3 - "$BUILT" "$REFERENCE" "$SERVICES" "$RUNS" "$TMPBASE" "$ONLY" <<'EOF'
import ctypes, os, select, shutil, signal, statistics, struct, subprocess, sys, tempfile, time

built, reference, nservices, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ours = [os.path.join(built, "my_init")]
theirs = ["/usr/bin/python3", "-u", reference]
top = tempfile.mkdtemp(prefix="bench-my_init-", dir=sys.argv[5])
SETTLE = 1.2  # seconds the services run before the stop
libc = ctypes.CDLL(None, use_errno=True)
IN_CREATE = 0x100

def accounting():
    """A cgroup whose CPU use can be read: (directory, reader), or None."""
    tries = [("/sys/fs/cgroup/cpuacct", lambda d: int(open(d + "/cpuacct.usage").read()))]
    def v2(d):
        for line in open(d + "/cpu.stat"):
            if line.startswith("usage_usec "):
                return int(line.split()[1]) * 1000
        raise OSError("no usage_usec")
    tries += [("/sys/fs/cgroup/unified", v2), ("/sys/fs/cgroup", v2)]
    for root, read in tries:
        d = os.path.join(root, "bench-my_init-%d" % os.getpid())
        try:
            os.mkdir(d)
            os.mkdir(d + "/pid1")
            read(d)
            read(d + "/pid1")
            return d, read
        except OSError:
            for x in (d + "/pid1", d):
                try:
                    os.rmdir(x)
                except OSError:
                    pass
    return None

CGROUP = accounting()

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

def watch(path):
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, path.encode(), IN_CREATE) < 0:
        raise SystemExit("bench-my_init.sh: inotify: %s" % os.strerror(ctypes.get_errno()))
    return fd

def created(fd, deadline):
    """Names created in the watched directory, and when they were seen."""
    left = deadline - time.perf_counter()
    if left <= 0 or not select.select([fd], [], [], left)[0]:
        return [], None
    buf = os.read(fd, 65536)
    seen = time.perf_counter()
    names, i = [], 0
    while i < len(buf):
        _, _, _, n = struct.unpack_from("iIII", buf, i)
        names.append(buf[i + 16:i + 16 + n].rstrip(b"\0").decode())
        i += 16 + n
    return names, seen

def children(pid):
    try:
        return [int(c) for c in open("/proc/%d/task/%d/children" % (pid, pid)).read().split()]
    except OSError:
        return []

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
           mounts + ' && cd / && : > /etc/up/.start && shift && exec /usr/bin/env -i "$@"',
           "sh", etc,
           "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LANG=C.UTF-8"] + argv
    if CGROUP:
        cmd = ["/bin/sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', CGROUP[0]] + cmd
    ino = watch(os.path.join(etc, "up"))
    errlog = open(os.path.join(top, "stderr%d" % n), "w+")
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=errlog)

    def fail(why):
        for pid1 in children(p.pid):
            try:
                os.kill(pid1, signal.SIGKILL)
            except OSError:
                pass
        p.wait()
        errlog.seek(0)
        raise SystemExit("%s: %s\nits stderr:\n%s" % (argv[-1], why, errlog.read()))

    deadline = time.perf_counter() + 30
    t0, up = None, set()
    while len(up) < nservices:
        names, seen = created(ino, deadline)
        if seen is None:
            os.close(ino)
            fail("services did not all start within 30 s")
        for name in names:
            if name == ".start":
                t0 = seen
            else:
                up.add(name)
    os.close(ino)
    boot = seen - t0
    kids = children(p.pid)
    if len(kids) != 1:
        fail("no PID 1 under unshare")
    pid1 = kids[0]
    pidfd = os.pidfd_open(pid1)
    pss = pss_kb(pid1)
    # A docker stop comes to services that have run a while: runit's runsv
    # sleeps a second after a service that lived less than one, which would
    # measure that sleep instead of the stop.
    time.sleep(max(0.0, seen + SETTLE - time.perf_counter()))
    cpu0 = cpu1_0 = 0
    if CGROUP:
        # PID 1 alone in a cgroup of its own; what it started stays behind.
        open(CGROUP[0] + "/pid1/cgroup.procs", "w").write(str(pid1))
        cpu0, cpu1_0 = CGROUP[1](CGROUP[0]), CGROUP[1](CGROUP[0] + "/pid1")
    t1 = time.perf_counter()
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGTERM)
    except OSError:
        fail("PID 1 exited before the SIGTERM")
    if not select.select([pidfd], [], [], 60)[0]:
        fail("PID 1 did not exit within 60 s of SIGTERM")
    stop = time.perf_counter() - t1
    cpu = cpu1 = 0.0
    if CGROUP:
        cpu1 = (CGROUP[1](CGROUP[0] + "/pid1") - cpu1_0) / 1e6
        cpu = (CGROUP[1](CGROUP[0]) - cpu0) / 1e6  # includes pid1/
    os.close(pidfd)
    p.wait()
    errlog.close()
    shutil.rmtree(etc, ignore_errors=True)
    return boot, stop, pss, cpu, cpu1

def summary(label, results, baseline=None):
    if os.environ.get("BENCH_VERBOSE"):
        print("    %s: boot %s / stop %s" % (label,
              " ".join("%.1f" % (r[0] * 1000) for r in results),
              " ".join("%.1f" % (r[1] * 1000) for r in results)))
    boot = statistics.median(r[0] for r in results) * 1000
    stop = statistics.median(r[1] for r in results) * 1000
    pss = statistics.median(r[2] for r in results)
    cpu = statistics.median(r[3] for r in results)
    cpu1 = statistics.median(r[4] for r in results)
    extra = ""
    if baseline:
        extra = "   (own: boot %+.1f ms, stop %+.1f ms)" % (boot - baseline[0], stop - baseline[1])
    print("  %-10s boot %8.1f ms   stop %8.1f ms   PID 1 PSS %7d KiB%s" % (label, boot, stop, pss, extra))
    if CGROUP:
        print("  %-10s stop CPU %6.1f ms, of which PID 1 %6.1f ms" % ("", cpu, cpu1))
    return boot, stop, pss, cpu, cpu1

counter = 0
print("my_init: %d services, median of %d runs, trees in %s" % (nservices, runs, sys.argv[5]))
try:
    for runit_label, our_runit in [("Debian's runit", False), ("our runit", True)]:
        if sys.argv[6] and sys.argv[6] != ("ours" if our_runit else "debian"):
            continue
        print("over %s:" % runit_label)
        inits = [("runsvdir", ["/usr/bin/runsvdir", "-P", "/etc/service"]),
                 ("reference", theirs), ("ours", ours)]
        results = {label: [] for label, _ in inits}
        for _ in range(runs):
            for label, argv in inits:
                counter += 1
                results[label].append(one(argv, our_runit, counter))
        b = summary("runsvdir", results["runsvdir"])
        r = summary("reference", results["reference"], b)
        o = summary("ours", results["ours"], b)
        print("  ratio (reference/ours): boot %.1fx   stop %.1fx   memory %.1fx" %
              (r[0] / o[0], r[1] / o[1], r[2] / max(o[2], 1)))
        if CGROUP:
            print("  ratio (reference/ours): stop CPU %.1fx   PID 1's stop CPU %.1fx" %
                  (r[3] / max(o[3], 0.001), r[4] / max(o[4], 0.001)))
        def own(i):
            if r[i] - b[i] <= 1 or o[i] - b[i] <= 1:
                return "n/a (within noise of the baseline)"
            return "%.1fx" % ((r[i] - b[i]) / (o[i] - b[i]))
        print("  own ratio (over the runsvdir baseline): boot %s   stop %s" % (own(0), own(1)))
        sys.stdout.flush()
finally:
    shutil.rmtree(top, ignore_errors=True)
    if CGROUP:
        for x in (CGROUP[0] + "/pid1", CGROUP[0]):
            try:
                os.rmdir(x)
            except OSError:
                pass
EOF
