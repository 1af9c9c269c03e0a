#!/usr/bin/env bash
# Emulated Pico boards behind umockdev, for trying picoctl (and its tests) without hardware.
#
#   eval "$(Scripts/emulated-board.sh start [--kind sim-rp2040|sim-rp2350|rp2040py] [--count N] [--mode bootsel|app] [--firmware F.uf2])"
#   .build/debug/picoctl list                  # sees the boards: UMOCKDEV_DIR and LD_PRELOAD are exported
#   Scripts/emulated-board.sh ctl unplug 0     # control: status | plug N [bootsel] | unplug N | reboot N app|bootsel
#                                              #          | write N TEXT | json '{"cmd": ...}'
#   Scripts/emulated-board.sh run -- CMD ...   # runs CMD under the preload (without eval)
#   Scripts/emulated-board.sh stop
#
# After the eval, every program started from that shell runs under the preload and sees only the
# emulated devices; prefer `run` or a subshell when that is not what you want.
# The harness runs in the background (system Python with python3-gi, from .venv); its state lives
# in $PICOHARNESS_STATE (default /tmp/picoharness-$UID). One harness per state directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${PICOHARNESS_STATE:-/tmp/picoharness-$(id -u)}"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || PY=/usr/bin/python3
export PYTHONPATH="$ROOT/Tests/Harness${PYTHONPATH:+:$PYTHONPATH}"

die() { echo "emulated-board: $*" >&2; exit 1; }
running() { [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; }
field() { env -u LD_PRELOAD "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$STATE/ready.json" "$1"; }

cmd="${1:-}"; shift || true
case "$cmd" in
start)
    running && die "already running (pid $(cat "$STATE/pid")); run '$0 stop' first"
    mkdir -p "$STATE"; rm -f "$STATE/ready.json"
    # Not under the preload: the harness serves the preloaded programs.
    env -u LD_PRELOAD -u UMOCKDEV_DIR setsid "$PY" -m picoharness.server --control "$STATE/control" "$@" \
        >"$STATE/ready.json" 2>"$STATE/harness.log" </dev/null &
    echo $! >"$STATE/pid"
    for _ in $(seq 1 600); do
        [ -s "$STATE/ready.json" ] && break
        running || { cat "$STATE/harness.log" >&2; die "the harness exited during start-up"; }
        sleep 0.1
    done
    [ -s "$STATE/ready.json" ] || die "the harness did not start within 60 s (log: $STATE/harness.log)"
    echo "export UMOCKDEV_DIR='$(field UMOCKDEV_DIR)'"
    echo "export LD_PRELOAD='$(field LD_PRELOAD)'"
    echo "export PICOHARNESS_CONTROL='$STATE/control'"
    echo "# emulated boards up (pid $(cat "$STATE/pid")); '$0 ctl status' shows them" >&2
    ;;
stop)
    if running; then
        pid="$(cat "$STATE/pid")"
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    fi
    rm -f "$STATE/pid" "$STATE/ready.json"
    echo "unset UMOCKDEV_DIR LD_PRELOAD PICOHARNESS_CONTROL"
    ;;
ctl)
    running || die "not running; start it with: eval \"\$($0 start)\""
    what="${1:-status}"; shift || true
    case "$what" in
        status) req='{"cmd": "status"}' ;;
        plug) req="{\"cmd\": \"plug\", \"board\": ${1:-0}, \"bootsel\": $([ "${2:-}" = bootsel ] && echo true || echo false)}" ;;
        unplug) req="{\"cmd\": \"unplug\", \"board\": ${1:-0}}" ;;
        reboot) req="{\"cmd\": \"reboot\", \"board\": ${1:-0}, \"to\": \"${2:-app}\"}" ;;
        write) req="$("$PY" -c 'import json,sys; print(json.dumps({"cmd":"tty_write","board":int(sys.argv[1]),"data":sys.argv[2]+"\r\n"}))' "${1:-0}" "${2:-}")" ;;
        json) req="$1" ;;
        *) die "unknown control '$what' (status, plug, unplug, reboot, write, json)" ;;
    esac
    env -u LD_PRELOAD -u UMOCKDEV_DIR "$PY" - "$STATE/control" "$req" <<'PYEOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(60); s.connect(sys.argv[1])
f = s.makefile("rwb"); f.write(sys.argv[2].encode() + b"\n"); f.flush()
answer = json.loads(f.readline())
print(json.dumps(answer, indent=1))
sys.exit(0 if answer.get("ok") else 1)
PYEOF
    ;;
run)
    running || die "not running; start it with: eval \"\$($0 start)\""
    [ "${1:-}" = "--" ] && shift
    exec env UMOCKDEV_DIR="$(field UMOCKDEV_DIR)" LD_PRELOAD="$(field LD_PRELOAD)" "$@"
    ;;
*)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || exit 2
    ;;
esac
