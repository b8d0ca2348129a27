#!/usr/bin/env bash
# runsv side by side with Debian's runsv, in the same run:
#  - PSS and RSS of one runsv, without and with a log service;
#  - per-service PSS with N runsv processes (default 1000);
#  - restart latency after SIGKILL of the service;
#  - a small container's tree: runsvdir + 5 services, each with an svlogd -tt
#    log: the PSS sum of runsvdir, the 5 runsv and the 5 svlogd (the services
#    themselves, `sleep`, are the same for both and left out).
# Usage: scripts/bench-runsv.sh [N] [restarts]
#   BASELINE_DIR=DIR adds the tree measured with DIR's runsvdir/runsv/svlogd
#   (e.g. a build of separate static binaries), same run.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
RESTARTS=${2:-10}
BIN="$(bash scripts/build-release.sh)"
OURS="$BIN/runsv"
THEIRS=/usr/bin/runsv
[ -x "$THEIRS" ] || { echo "Debian's runit is not installed (apt-get install runit)"; exit 1; }
sync  # freshly written binaries would count as dirty page cache
exec python3 - "$OURS" "$THEIRS" "$N" "$RESTARTS" "${BASELINE_DIR:-}" <<'PY'
import os, sys, time, signal, subprocess, tempfile, shutil, struct

ours, theirs, n, restarts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
baseline_dir = sys.argv[5]

def service(root, name, log=False):
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "run"), "w") as f:
        f.write("#!/bin/sh\nexec sleep 100000\n")
    os.chmod(os.path.join(d, "run"), 0o755)
    if log:
        os.makedirs(os.path.join(d, "log"))
        with open(os.path.join(d, "log", "run"), "w") as f:
            f.write("#!/bin/sh\nexec cat >/dev/null\n")
        os.chmod(os.path.join(d, "log", "run"), 0o755)
    return d

def status(d):
    try:
        with open(os.path.join(d, "supervise", "status"), "rb") as f:
            b = f.read()
    except OSError:
        return None
    if len(b) != 20:
        return None
    return b[19], struct.unpack("<I", b[12:16])[0]

def wait(pred, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.002)
    raise SystemExit("timed out")

def smaps(pid):
    out = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                out[parts[0][:-1]] = int(parts[1])
    return out

def start(binary, root, names):
    procs = []
    for name in names:
        procs.append(subprocess.Popen([binary, name], cwd=root, start_new_session=True,
                                      stdin=subprocess.DEVNULL))
    for name in names:
        wait(lambda: (status(os.path.join(root, name)) or (0, 0))[0] == 1)
    return procs

def stop(procs):
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for p in procs:
        p.wait()

def one(binary, log):
    root = tempfile.mkdtemp(prefix="bench-runsv-")
    try:
        service(root, "s", log)
        procs = start(binary, root, ["s"])
        if log:
            wait(lambda: (status(os.path.join(root, "s", "log")) or (0, 0))[0] == 1)
        time.sleep(0.2)
        m = smaps(procs[0].pid)
        stop(procs)
        return m["Pss"], m["Rss"], m["Private_Dirty"]
    finally:
        shutil.rmtree(root, ignore_errors=True)

def many(binary):
    root = tempfile.mkdtemp(prefix="bench-runsv-many-")
    try:
        names = [f"s{i}" for i in range(n)]
        for name in names:
            service(root, name)
        procs = start(binary, root, names)
        time.sleep(0.5)
        total = sum(smaps(p.pid)["Pss"] for p in procs)
        stop(procs)
        return total / n
    finally:
        shutil.rmtree(root, ignore_errors=True)

def restart_latency(binary):
    root = tempfile.mkdtemp(prefix="bench-runsv-restart-")
    try:
        d = service(root, "s")
        procs = start(binary, root, ["s"])
        samples = []
        for _ in range(restarts):
            time.sleep(1.1)  # past the one-second restart throttle
            _, pid = status(d)
            t0 = time.perf_counter()
            os.kill(pid, signal.SIGKILL)
            while True:
                st = status(d)
                if st and st[0] == 1 and st[1] not in (0, pid):
                    break
            samples.append((time.perf_counter() - t0) * 1000)
        stop(procs)
        samples.sort()
        return samples[len(samples) // 2], samples[-1]
    finally:
        shutil.rmtree(root, ignore_errors=True)

def children_map():
    kids = {}
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            with open(f"/proc/{e}/stat") as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(e))
    return kids

def descendants(pid):
    kids, out, todo = children_map(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out

def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""

def small_tree(bindir):
    """runsvdir + 5 services with svlogd logs; PSS sum of the supervision tree."""
    root = tempfile.mkdtemp(prefix="bench-runsv-tree-")
    svdir = os.path.join(root, "service")
    pids = []
    try:
        for i in range(5):
            d = service(svdir, f"s{i}")
            os.makedirs(os.path.join(d, "log", "main"))
            with open(os.path.join(d, "log", "run"), "w") as f:
                f.write("#!/bin/sh\nexec svlogd -tt ./main\n")
            os.chmod(os.path.join(d, "log", "run"), 0o755)
        env = {"PATH": f"{bindir}:/usr/bin:/bin"}
        p = subprocess.Popen([os.path.join(bindir, "runsvdir"), svdir], env=env,
                             start_new_session=True, stdin=subprocess.DEVNULL)
        for i in range(5):
            for sub in ("", "log"):
                wait(lambda: (status(os.path.join(svdir, f"s{i}", sub)) or (0, 0))[0] == 1)
        time.sleep(0.5)
        pids = descendants(p.pid)
        total = sum(smaps(q)["Pss"] for q in pids if comm(q) in ("runsvdir", "runsv", "svlogd"))
        counted = sum(1 for q in pids if comm(q) in ("runsvdir", "runsv", "svlogd"))
        if counted != 11:
            raise SystemExit(f"tree has {counted} supervision processes, expected 11")
        return total
    finally:
        for q in pids:
            try:
                os.kill(q, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        except (ProcessLookupError, NameError):
            pass
        shutil.rmtree(root, ignore_errors=True)

rows = []
def row(name, o, t, unit):
    ratio = o / t if t else float("nan")
    rows.append((name, o, t, ratio, unit))
    print(f"{name:42s} ours {o:10.1f} {unit:3s}  runit {t:10.1f} {unit:3s}  ratio {ratio:5.2f}", flush=True)

for log in (False, True):
    (op, orss, od), (tp, trss, td) = one(ours, log), one(theirs, log)
    tag = "with log" if log else "no log"
    row(f"one runsv, {tag}: PSS", op, tp, "kB")
    row(f"one runsv, {tag}: RSS", orss, trss, "kB")
    row(f"one runsv, {tag}: private dirty", od, td, "kB")
row(f"per-service PSS, {n} runsv", many(ours), many(theirs), "kB")
(om, ox), (tm, tx) = restart_latency(ours), restart_latency(theirs)
row(f"restart after SIGKILL, median ({restarts})", om, tm, "ms")
row(f"restart after SIGKILL, max ({restarts})", ox, tx, "ms")
row("5-service tree (runsvdir+5 runsv+5 svlogd): PSS sum", small_tree(os.path.dirname(ours)),
    small_tree(os.path.dirname(theirs)), "kB")
if baseline_dir:
    b = small_tree(baseline_dir)
    print(f"{'5-service tree, baseline ' + baseline_dir:42s} {b:10.1f} kB", flush=True)
PY
