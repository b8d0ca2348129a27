#!/usr/bin/env bash
# Restart back-off (man runsv, BEYOND RUNIT): a service whose ./run exits 1
# at once, with `restart-backoff` MAX_MS (default 16000), supervised by our
# runsv for SECONDS seconds (default 60). Prints each start's offset from
# the first and the gap before it, then the same service without the file
# (runit's one-second rule) for comparison: its number of starts.
# Usage: scripts/soak-backoff.sh [SECONDS] [MAX_MS]
#   RUNIT_RS_BIN=DIR uses DIR's runsv instead of the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-60}
MAX=${2:-16000}
BIN=${RUNIT_RS_BIN:-$(bash scripts/build-release.sh)}
exec python3 - "$BIN/runsv" "$SECS" "$MAX" <<'PY'
import os, sys, time, signal, subprocess, tempfile, shutil

runsv, secs, mx = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

def default_signals():
    for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
    os.setsid()

def soak(backoff):
    root = tempfile.mkdtemp(prefix="soak-backoff.")
    d = os.path.join(root, "s")
    os.makedirs(d)
    with open(os.path.join(d, "run"), "w") as f:
        f.write("#!/bin/sh\ndate +%s.%N >> starts\nexit 1\n")
    os.chmod(os.path.join(d, "run"), 0o755)
    if backoff:
        with open(os.path.join(d, "restart-backoff"), "w") as f:
            f.write(f"{mx}\n")
    p = subprocess.Popen([runsv, d], preexec_fn=default_signals,
                         stdin=subprocess.DEVNULL)
    try:
        time.sleep(secs)  # the soak's length, not a synchronisation
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    try:
        starts = [float(l) for l in open(os.path.join(d, "starts"))]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return starts

starts = soak(True)
print(f"restart-backoff {mx} ms, {secs:.0f} s: {len(starts)} starts")
prev = starts[0]
for t in starts:
    print(f"  +{t - starts[0]:7.2f} s  (gap {t - prev:6.2f} s)")
    prev = t
plain = soak(False)
print(f"without the file (runit's rule), {secs:.0f} s: {len(plain)} starts")
PY
