"""`runner = "picoctl flash --monitor"` in a Rust project's .cargo/config.toml: cargo runs the runner
with the ELF it built as the last argument (a path without extension). Checked with a minimal ELF
on an emulated RP2040 in BOOTSEL."""
from __future__ import annotations

import os
import signal
import struct
import subprocess

from conftest import Running
from picoharness.flash import crc32_mpeg2

FLASH = 0x1000_0000


def minimal_elf(payload: bytes, address: int = FLASH) -> bytes:
    """An ARM ELF32 executable with one PT_LOAD of `payload` at `address`, as a linker lays it out."""
    header = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), 2, 40, 1, address + 0x101,
                         52, 0, 0x0500_0200, 52, 32, 1, 0, 0, 0)
    segment = struct.pack("<IIIIIIII", 1, 84, address, address, len(payload), len(payload), 5, 4)
    return header + segment + payload


def app_elf(tmp_path) -> tuple[os.PathLike, bytes]:
    boot2 = bytes(range(252))
    # boot2, then a vector table flash's boot checks accept (stack at the top of SRAM, a Thumb reset
    # handler inside the image), then NOPs.
    vectors = (0x20042000).to_bytes(4, "little") + (FLASH + 0x109).to_bytes(4, "little")
    payload = boot2 + crc32_mpeg2(boot2).to_bytes(4, "little") + vectors + b"\x00\xbf" * 508
    path = tmp_path / "target" / "thumbv6m-none-eabi" / "debug" / "blinky"
    path.parent.mkdir(parents=True)
    path.write_bytes(minimal_elf(payload))
    return path, payload


def test_cargo_run_flashes_the_elf_and_follows_the_program(emulated_board, picoctl, tmp_path):
    boards = emulated_board(mode="bootsel", heartbeat=0)
    elf, payload = app_elf(tmp_path)
    runner = [picoctl, "flash", "--monitor", "--expect", "picoctl-sim app", "--timeout", "30"]
    result = boards.run(runner + [str(elf)], timeout=60)
    assert result.returncode == 0, result.stderr
    assert "; running " in result.stdout and "picoctl-sim app on rp2040" in result.stdout
    assert boards.read_flash(0, 0, len(payload)) == payload


def test_ctrl_c_ends_the_cargo_run_with_the_board_released(emulated_board, picoctl, tmp_path):
    boards = emulated_board(mode="bootsel", heartbeat=0.2)
    elf, _ = app_elf(tmp_path)
    run = Running(boards, [picoctl, "flash", "--monitor", str(elf)])
    run.wait_for(b"tick 1", timeout=60)
    run.proc.send_signal(signal.SIGINT)
    assert run.finish() == 130
    after = boards.run([picoctl, "reboot", "--bootsel"], timeout=30)   # nothing of the board is held
    assert after.returncode == 0, after.stderr
    boards.wait(0, mode="bootsel", timeout=20)
