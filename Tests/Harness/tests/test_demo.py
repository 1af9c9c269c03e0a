"""Scripts/demo.sh, the README's first command: it runs to the end on its own, and Ctrl-C in the
middle leaves no process behind. (Setup and build are skipped: Scripts/test.sh has done both.)"""
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "Scripts" / "demo.sh"
PICOCTL = REPO / ".build" / "debug" / "picoctl"
FIRMWARE = REPO / "Firmware" / "build" / "picoctl-companion.uf2"


def demo_env(tmp_path):
    if not PICOCTL.exists() or not FIRMWARE.exists():
        pytest.skip("picoctl or the companion firmware is not built (swift build, Firmware/build.sh)")
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "UMOCKDEV_DIR", "NO_COLOR")}
    return dict(env, DEMO_SKIP_SETUP="1", DEMO_SKIP_BUILD="1", TMPDIR=str(tmp_path))


def processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (the demo's private directory)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if text.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_demo_flashes_the_companion_and_sees_its_heartbeats(tmp_path):
    r = subprocess.run(["bash", str(DEMO)], env=demo_env(tmp_path), capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    # picoctl list: the BOOTSEL board of the real bootrom.
    assert "bootsel  rp2040" in out and "2e8a:0003" in out
    # flash: summary with the reboot, then the firmware's banner and heartbeats over CDC.
    assert "flashed 9" in out and '; running "' in out        # the short closing line: the program is up
    assert "picoctl-companion" in out and "chip RP2040-B1" in out
    assert [line.split()[1] for line in out.splitlines() if line.startswith("heartbeat ")][:3] == ["1", "2", "3"]
    assert "matched --expect: heartbeat 3" in r.stderr
    assert out.index("bootsel  rp2040") < out.index('; running "') < out.index("heartbeat 1")
    assert list(tmp_path.iterdir()) == [], "the demo removes its testbed directory"
    assert processes_mentioning(str(tmp_path)) == []


def test_ctrl_c_during_the_demo_stops_picoctl_and_the_board(tmp_path):
    # As a terminal does: SIGINT to the whole foreground process group (the script and picoctl).
    p = subprocess.Popen(["bash", str(DEMO)], env=dict(demo_env(tmp_path), DEMO_HEARTBEATS="1000"),
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    deadline = time.monotonic() + 120
    for line in p.stdout:
        seen.append(line)
        if line.startswith("heartbeat 1") or time.monotonic() > deadline:
            break
    assert any(line.startswith("heartbeat 1") for line in seen), "".join(seen)
    os.killpg(p.pid, signal.SIGINT)
    rest, _ = p.communicate(timeout=60)
    assert p.returncode == 130, "".join(seen) + rest
    stopped = time.monotonic() + 10
    while processes_mentioning(str(tmp_path)) and time.monotonic() < stopped:
        time.sleep(0.1)
    assert processes_mentioning(str(tmp_path)) == [], "no orphan board harness"
    with pytest.raises(ProcessLookupError):
        os.killpg(p.pid, 0)                  # nothing left of the script's group (picoctl)
    assert list(tmp_path.iterdir()) == []
