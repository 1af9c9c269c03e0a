"""Scripts/emulated-board.sh: start in the background, export the environment, control, stop."""
import json
import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCRIPT = str(REPO / "Scripts" / "emulated-board.sh")


def sh(args, env, timeout=60):
    return subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_start_ctl_run_stop(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "UMOCKDEV_DIR")}
    env["PICOHARNESS_STATE"] = str(tmp_path / "state")
    started = sh(["start", "--count", "2", "--mode", "app", "--heartbeat", "0"], env)
    try:
        assert started.returncode == 0, started.stderr
        exports = dict(line[len("export "):].split("=", 1) for line in started.stdout.splitlines()
                       if line.startswith("export "))
        assert exports["LD_PRELOAD"].strip("'") == "libumockdev-preload.so.0"
        assert os.path.isdir(exports["UMOCKDEV_DIR"].strip("'"))
        status = json.loads(sh(["ctl", "status"], env).stdout)
        assert [b["mode"] for b in status["boards"]] == ["app", "app"]
        listed = sh(["run", "--", str(REPO / ".venv/bin/python"), "-c",
                     "import usb.core; print(len(list(usb.core.find(find_all=True, idVendor=0x2e8a))))"], env)
        assert listed.stdout.strip() == "2", listed.stderr
        assert sh(["ctl", "unplug", "1"], env).returncode == 0
        assert [b["mode"] for b in json.loads(sh(["ctl", "status"], env).stdout)["boards"]] == ["app", "off"]
        pid = int((tmp_path / "state" / "pid").read_text())
    finally:
        stopped = sh(["stop"], env)
    assert stopped.returncode == 0 and "unset UMOCKDEV_DIR" in stopped.stdout
    assert not os.path.exists(f"/proc/{pid}")
