"""Device commands do only what they say and say only what happened, on simulated boards through
the built picoctl: input checked before a board is touched, read-only commands put a running
program back, and a reboot is reported as what the board came back as.
"""
import json
import os
import shutil
import struct
from pathlib import Path

import pytest

from picoharness.flash import crc32_mpeg2

REPO = Path(__file__).resolve().parents[3]
PICOCTL = str(REPO / ".build" / "debug" / "picoctl")

pytestmark = pytest.mark.skipif(not Path(PICOCTL).exists(), reason="picoctl is not built (swift build)")


def pattern(size, seed=7):
    return bytes(((i * 31 + seed + (i >> 8)) & 0xFF) for i in range(size))


def rp2040_program(size=8192):
    """A flash image the RP2040 bootrom (and picoctl's boot checks) accept: boot2 with its CRC, then a
    vector table (stack pointer at the top of SRAM, reset handler in the image with the Thumb bit)."""
    boot2 = b"test boot2".ljust(252, b"\0")
    boot2 += crc32_mpeg2(boot2).to_bytes(4, "little")
    vectors = struct.pack("<II", 0x2004_2000, 0x1000_0201)
    return (boot2 + vectors + pattern(size))[:size]


def rp2350_program(size=8192):
    """An RP2350 Arm image: vector table at the start, then an IMAGE_DEF (exe, arm, rp2350, secure)."""
    vectors = struct.pack("<II", 0x2008_2000, 0x1000_0101)
    image_def = struct.pack("<IIIII", 0xFFFF_DED3, 0x42 | 1 << 8 | 0x1021 << 16, 0xFF | 1 << 8, 0, 0xAB12_3579)
    head = vectors.ljust(0x20, b"\0") + image_def
    return (head + pattern(size))[:size]


def uf2(address, payload, family):
    """One UF2 block per 256 bytes of `payload` from `address`, with `family`."""
    pages = [payload[i:i + 256].ljust(256, b"\0") for i in range(0, len(payload), 256)]
    return b"".join(struct.pack("<IIIIIIII", 0x0A324655, 0x9E5D5157, 0x2000, address + 256 * n, 256, n, len(pages), family)
                    + page.ljust(476, b"\0") + struct.pack("<I", 0x0AB16F30) for n, page in enumerate(pages))


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def picoctl(boards, *args, timeout=120):
    return boards.run([PICOCTL, *args], timeout=timeout)


def settled(boards, index=0, **state):
    """The board's status once it has `state`, within 0.3 s: the harness marks an appearance present
    a moment after its uevents, which picoctl may already have acted on. A command that returned
    before the board changed (a reboot takes over 0.5 s) still fails this."""
    return boards.wait(index, timeout=0.3, **state)


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_bad_input_is_refused_before_a_running_program_is_touched(emulated_board, tmp_path):
    boards = emulated_board(kind="sim-rp2040", mode="app")
    not_bootable = write(tmp_path, "pattern.bin", pattern(8192))
    cases = [
        ("erase", "--range", "0x10000001..0x10002000"),                    # not whole sectors
        ("save", str(tmp_path / "out.bin"), "--range", "0x30000000..0x30001000"),  # outside memory
        ("flash", not_bootable),                                             # boot2 CRC wrong: will not boot
        ("flash", not_bootable, "--dry-run"),
        ("verify", not_bootable, "--offset", "0x40000000"),                 # outside memory
    ]
    unwritable = ("save", str(tmp_path / "no-such-folder" / "out.bin"))      # exit 3: cannot write the output
    r = picoctl(boards, *unwritable)
    assert r.returncode == 3 and "cannot write" in r.stderr, (r.stdout, r.stderr)
    assert (boards.board(0)["mode"], boards.board(0)["boots"]) == ("app", 1), r.stderr
    for args in cases:
        r = picoctl(boards, *args)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        board = boards.board(0)
        assert (board["mode"], board["boots"]) == ("app", 1), (args, r.stderr)   # never sent to BOOTSEL
        assert "rebooting it into BOOTSEL" not in r.stderr, args
    flashed = picoctl(boards, "flash", not_bootable)
    assert "boot2-crc" in flashed.stderr and "--force" in flashed.stderr, flashed.stderr
    assert not (tmp_path / "out.bin").exists()


def test_read_only_commands_put_a_running_program_back(emulated_board, tmp_path):
    boards = emulated_board(kind="sim-rp2040", mode="app")
    program = write(tmp_path, "program.bin", rp2040_program())
    before = boards.read_flash(0, 0, 8192)
    boots = 1
    for args in [("flash", program, "--dry-run"), ("save", str(tmp_path / "out.bin"), "--range", "0x10000000..0x10001000"),
                 ("verify", program), ("info", "--device")]:
        r = picoctl(boards, *args)
        assert r.returncode in (0, 1), (args, r.stdout, r.stderr)     # verify: the board holds another program
        boots += 2                                                     # into BOOTSEL and back into the program
        settled(boards, mode="app", boots=boots)
        assert "running: Pico (serial" in r.stdout + r.stderr, (args, r.stdout, r.stderr)
    assert boards.read_flash(0, 0, 8192) == before

    dry = picoctl(boards, "flash", program, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    event = json_lines(dry.stdout)[-1]
    assert event["event"] == "board" and (event["was"], event["now"]) == ("app", "running"), event
    assert event["serial"] == boards.board(0)["serial"] and event["port"] == "1-1"

    saved = picoctl(boards, "save", str(tmp_path / "out.bin"), "--range", "0x10000000..0x10001000", "--json")
    assert json.loads(saved.stdout)["board"]["now"] == "running", saved.stdout

    # picotool's -F: stay in BOOTSEL, and say so.
    stay = picoctl(boards, "flash", program, "--dry-run", "-F", "--json")
    assert stay.returncode == 0, stay.stderr
    assert (json_lines(stay.stdout)[-1]["was"], json_lines(stay.stdout)[-1]["now"]) == ("app", "bootsel")
    settled(boards, mode="bootsel")
    assert picoctl(boards, "reboot").returncode == 0
    info = picoctl(boards, "info", "--device", "--stay-in-bootsel", "--json")
    assert info.returncode == 0 and json.loads(info.stdout)["board"] == {
        "was": "app", "now": "bootsel", "port": None, "product": None, "serial": None, "tty": None}, info.stdout
    settled(boards, mode="bootsel")


def test_flash_refuses_a_program_that_will_not_boot_and_force_reports_bootsel(emulated_board, tmp_path):
    boards = emulated_board(kind="sim-rp2040")
    data = pattern(8192)
    not_bootable = write(tmp_path, "pattern.bin", data)
    refused = picoctl(boards, "flash", not_bootable)
    assert refused.returncode == 2, refused.stderr
    assert "boot2-crc" in refused.stderr and "the board was not touched" in refused.stderr
    assert boards.read_flash(0, 0, 8192) == b"\xff" * 8192

    forced = picoctl(boards, "flash", not_bootable, "--force")
    assert forced.returncode == 8, (forced.stdout, forced.stderr)          # flashed, but it did not boot
    assert "came back in BOOTSEL" in forced.stderr and "likely cause" in forced.stderr and "boot2 CRC" in forced.stderr
    assert "rebooted" not in forced.stdout
    assert boards.read_flash(0, 0, 8192) == data
    settled(boards, mode="bootsel", boots=2)
    # flash --monitor does not go on to wait for a console that will never come.
    monitored = picoctl(boards, "flash", not_bootable, "--force", "--monitor", "--timeout", "30", timeout=25)
    assert monitored.returncode == 8 and "came back in BOOTSEL" in monitored.stderr, monitored.stderr


@pytest.mark.parametrize("kind,program", [("sim-rp2040", rp2040_program), ("sim-rp2350", rp2350_program)])
def test_flash_returns_once_the_program_runs(emulated_board, tmp_path, kind, program):
    boards = emulated_board(kind=kind)
    path = write(tmp_path, "program.bin", program())
    flash = picoctl(boards, "flash", path)
    assert flash.returncode == 0, flash.stderr
    board = settled(boards, mode="app")                                    # back, running, when flash returns
    assert f'; running "Pico" ({board["serial"][:4]}…)' in flash.stdout, flash.stdout    # the short closing line
    # Right after: the board is in its program, so --bootsel has something to do.
    bootsel = picoctl(boards, "reboot", "--bootsel")
    assert bootsel.returncode == 0 and "already" not in bootsel.stdout, bootsel.stdout
    settled(boards, mode="bootsel")
    back = picoctl(boards, "reboot", "--json")
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["board"]["now"] == "running"
    boots = settled(boards, mode="app")["boots"]
    restart = picoctl(boards, "reboot")                                   # a running program restarted
    assert restart.returncode == 0 and "running: Pico" in restart.stdout, restart.stdout
    settled(boards, mode="app", boots=boots + 1)
    # --no-wait: back once the BOOTSEL device has left, without waiting for the program.
    assert picoctl(boards, "reboot", "--bootsel").returncode == 0
    quick = picoctl(boards, "flash", path, "--no-wait", "--json")
    assert quick.returncode == 0, quick.stderr
    assert (json_lines(quick.stdout)[-1]["event"], json_lines(quick.stdout)[-1]["now"]) == ("board", "left")
    assert boards.wait(0, mode="app", timeout=10)["mode"] == "app"


def test_a_program_without_usb_is_reported_as_such(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "app_usb": False}])
    path = write(tmp_path, "program.bin", rp2040_program())
    flash = picoctl(boards, "flash", path, "--json")
    assert flash.returncode == 0, flash.stderr
    assert json_lines(flash.stdout)[-1] == {"schema": 1, "event": "board", "was": "bootsel", "now": "no-usb", "port": None,
                                            "product": None, "serial": None, "tty": None}
    assert boards.board(0)["mode"] == "off"
    boards.plug(0, bootsel=True)
    boards.wait(0, mode="bootsel", timeout=10)
    text = picoctl(boards, "flash", path)
    assert text.returncode == 0, text.stderr
    assert "left BOOTSEL; no USB device (the program has no USB stdio)" in text.stdout
    assert "waiting up to" not in text.stderr                            # a status line: on a terminal only
    # Nothing on the bus tells a program without USB from a slow one before the wait ends, so on a
    # terminal a line says what is awaited once the board has been gone two seconds, before the verdict.
    if shutil.which("script"):
        boards.plug(0, bootsel=True)
        boards.wait(0, mode="bootsel", timeout=10)
        tty = boards.run(["script", "-qec", f"{PICOCTL} flash {path}", "/dev/null"], timeout=120,
                         env=boards.preload_env(dict(os.environ)))
        assert tty.returncode == 0, tty.stdout
        waiting = tty.stdout.find("1-1: left BOOTSEL; waiting up to 10 s for its program to show on USB")
        assert 0 <= waiting < tty.stdout.find("left BOOTSEL; no USB device (the program has no USB stdio)"), tty.stdout


def test_reboot_of_a_board_without_a_program_fails_with_its_own_status(emulated_board):
    boards = emulated_board(kind="sim-rp2040")                             # blank flash
    r = picoctl(boards, "reboot")
    assert r.returncode == 8, (r.stdout, r.stderr)
    assert "came back in BOOTSEL" in r.stderr
    settled(boards, mode="bootsel", boots=2)


def test_flash_all_reports_boards_that_stay_in_bootsel(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040"}, {"kind": "sim-rp2040", "mode": "app"}])
    good = write(tmp_path, "program.bin", rp2040_program())
    ok = picoctl(boards, "flash", good, "--all", "--json")
    assert ok.returncode == 0, ok.stderr
    states = sorted((e["board"], e["board_state"]["was"], e["board_state"]["now"])
                    for e in json_lines(ok.stdout) if e["event"] == "board-result")
    assert states == [("1-1", "bootsel", "running"), ("1-2", "app", "running")], ok.stdout
    settled(boards, 0, mode="app")
    settled(boards, 1, mode="app")

    bad = write(tmp_path, "pattern.bin", pattern(8192))
    refused = picoctl(boards, "flash", bad, "--all", "--json")
    assert refused.returncode == 2 and "boot2-crc" in refused.stderr, refused.stderr
    assert [b["mode"] for b in boards.status()] == ["app", "app"]          # refused before either was touched
    forced = picoctl(boards, "flash", bad, "--all", "--force", "--json")
    assert forced.returncode == 1, forced.stderr
    results = [e for e in json_lines(forced.stdout) if e["event"] == "board-result"]
    assert [r["result"] for r in results] == ["failed", "failed"], results
    assert all("came back in BOOTSEL" in r["error"] for r in results), results


def test_erase_sizes_a_flash_whose_start_is_blank_instead_of_stopping_a_program_for_nothing(emulated_board):
    """An RP2350 running a program (from RAM, or from a later partition) whose flash start is blank and
    whose OTP names no flash size: `erase` used to send it to BOOTSEL and then refuse (exit 2), the
    program stopped for nothing. It now finds the size from a marker it writes at the start of flash
    (aliasing of reads) and erases exactly that flash."""
    boards = emulated_board(boards=[{"kind": "sim-rp2350", "mode": "app", "flash_devinfo": 0x0C00, "flash_size": 2 * 1024 * 1024}])
    boards.write_flash(0, 0, b"\xff" * 4096)
    boards.write_flash(0, 0x10_0000, pattern(4096))
    boards.write_flash(0, 0x1F_F000, pattern(4096, seed=3))
    r = picoctl(boards, "erase", "--json")
    assert r.returncode == 0, (r.stdout, r.stderr)
    result = json.loads(r.stdout)
    assert (result["start"], result["end"], result["bytes"]) == ("0x10000000", "0x10200000", 2 * 1024 * 1024), result
    assert (result["board"]["was"], result["board"]["now"]) == ("app", "bootsel"), result
    for offset in (0, 0x10_0000, 0x1F_F000):                                # the marker went with the rest
        assert boards.read_flash(0, offset, 4096) == b"\xff" * 4096, hex(offset)
    settled(boards, mode="bootsel")


@pytest.mark.parametrize("kind,family", [("sim-rp2040", 0xE48BFF59), ("sim-rp2350", 0xE48BFF56)])
def test_verify_refuses_a_family_the_chip_cannot_run_as_flash_does(emulated_board, tmp_path, kind, family):
    boards = emulated_board(kind=kind, mode="app")
    other = write(tmp_path, "other.uf2", uf2(0x1000_0000, pattern(4096), family))
    for command in ("flash", "verify"):
        r = picoctl(boards, command, other)
        assert r.returncode == 2 and "the image is for family" in r.stderr and "--force" in r.stderr, (command, r.stderr)
        assert (boards.board(0)["mode"], boards.board(0)["boots"]) == ("app", 1), (command, r.stderr)
    forced = picoctl(boards, "verify", other, "--force")                  # compared: the board holds another program
    assert forced.returncode == 1 and "differs from" in forced.stderr, (forced.stdout, forced.stderr)
