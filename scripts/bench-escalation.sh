#!/usr/bin/env bash
# Stop escalation (man runsv, BEYOND RUNIT): a service that ignores TERM,
# with `timeout-kill` 500. Prints, for each of RUNS runs (default 5), the
# time from `sv down` (the `d` byte written to supervise/control) until the
# service's process is gone (reaped by runsv), then the median. runit's runsv
# never stops such a service (it needs `sv force-stop` or `sv kill`).
# Usage: scripts/bench-escalation.sh [RUNS] [TIMEOUT_KILL_MS]
#   RUNIT_RS_BIN=DIR uses DIR's runsv instead of the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
TK=${2:-500}
BIN=${RUNIT_RS_BIN:-$(bash scripts/build-release.sh)}
exec python3 - "$BIN/runsv" "$RUNS" "$TK" <<'PY'
import os, sys, time, signal, struct, subprocess, tempfile, shutil

runsv, runs, tk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def status(d):
    try:
        b = open(os.path.join(d, "supervise", "status"), "rb").read()
    except OSError:
        return None
    return (b[19], struct.unpack("<I", b[12:16])[0]) if len(b) == 20 else None

def alive(pid):
    try:
        st = open(f"/proc/{pid}/stat").read()
    except OSError:
        return False
    return st.rsplit(")", 1)[1].split()[0] != "Z"

def wait(pred, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.001)
    raise SystemExit("timed out")

def default_signals():
    for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
    os.setsid()

took = []
for i in range(runs):
    root = tempfile.mkdtemp(prefix="bench-escalation.")
    d = os.path.join(root, "s")
    os.makedirs(d)
    with open(os.path.join(d, "run"), "w") as f:
        f.write("#!/bin/sh\ntrap '' TERM\nexec sleep 100000\n")
    os.chmod(os.path.join(d, "run"), 0o755)
    with open(os.path.join(d, "timeout-kill"), "w") as f:
        f.write(f"{tk}\n")
    p = subprocess.Popen([runsv, d], preexec_fn=default_signals,
                         stdin=subprocess.DEVNULL)
    try:
        pid = wait(lambda: (s := status(d)) and s[0] == 1 and s[1] and s[1])
        wait(lambda: open(f"/proc/{pid}/comm").read().strip() == "sleep")
        t0 = time.monotonic()
        with open(os.path.join(d, "supervise", "control"), "w") as c:
            c.write("d")
        wait(lambda: not alive(pid))
        ms = (time.monotonic() - t0) * 1000
        took.append(ms)
        print(f"run {i + 1}: sv down -> service gone: {ms:.1f} ms (timeout-kill {tk})")
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        shutil.rmtree(root, ignore_errors=True)
took.sort()
print(f"median {took[len(took) // 2]:.1f} ms, min {took[0]:.1f}, max {took[-1]:.1f}")
PY
