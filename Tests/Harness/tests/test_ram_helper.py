"""PICOBOOT EXEC of picoctl's RP2040 RAM helper: the sim model mirrors what the real bootrom runs."""
import struct
from pathlib import Path

import pytest

from picoharness.flash import crc32_mpeg2

FLASH, CODE = 0x1000_0000, 0x2001_0000
HELPER = Path(__file__).resolve().parents[3] / "Firmware" / "ram-helper" / "rp2040-ram-helper.bin"


@pytest.mark.parametrize("kind", ["sim-rp2040", "rp2040py"])
def test_ram_helper_crc_and_block_erase(emulated_board, kind):
    if not HELPER.exists():
        pytest.skip("Firmware/ram-helper is not in this tree")
    boards = emulated_board(kind=kind)
    boards.wait(0, mode="bootsel", timeout=60)
    pattern = bytes((i * 13 + 1) & 0xFF for i in range(8192))
    params = CODE + 0x1000

    def params_block(op, addr, size):
        return struct.pack("<IIII", op, addr, size, 0xFFFFFFFF).hex()
    out = boards.picoboot_script([
        {"op": "exclusive"}, {"op": "exit_xip"},
        {"op": "erase", "addr": FLASH, "size": 65536},
        {"op": "write", "addr": FLASH, "hex": pattern.hex()},
        {"op": "write", "addr": CODE, "hex": HELPER.read_bytes().hex()},
        {"op": "write", "addr": params, "hex": params_block(2, FLASH, 12288)},
        {"op": "raw", "cmd": 0x08, "args_hex": struct.pack("<I", CODE | 1).hex()},
        {"op": "read", "addr": params, "size": 0x10 + 12},
        {"op": "read", "addr": 0x10, "size": 4},
    ], timeout=120, all_ok=True)
    block = bytes.fromhex(out[7]["hex"])
    status, crcs = struct.unpack_from("<I", block, 12)[0], struct.unpack_from("<3I", block, 16)
    assert status == 0
    assert list(crcs) == [crc32_mpeg2(pattern[:4096]), crc32_mpeg2(pattern[4096:]), crc32_mpeg2(b"\xff" * 4096)]
    assert bytes.fromhex(out[8]["hex"])[3] == 2                         # B1 bootrom version byte
    boards.picoboot_script([{"op": "write", "addr": params, "hex": params_block(1, FLASH, 65536)},
                 {"op": "raw", "cmd": 0x08, "args_hex": struct.pack("<I", CODE | 1).hex()}], timeout=120, all_ok=True)
    assert boards.read_flash(0, 0, 8192) == b"\xff" * 8192
