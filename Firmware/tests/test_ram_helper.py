"""The RP2040 RAM helper (issue 9), run in rp2040py the way PICOBOOT EXEC runs it: a call from
the bootrom's context into SRAM, which must return. Block erase through the ROM's
flash_range_erase with 0xD8, and one zlib CRC-32 per 4 KiB sector."""

import random
import struct
import zlib
from pathlib import Path

import pytest
from emulator import BUILD, Board
from usb_host import Host

from rp2040py.peripherals import ssi

HELPER_BASE = 0x20000000          # the RAM picoctl loads the helper to
RETURN_TRAP = 0x20030000          # a `b .` the test returns to
ENTRY_ERASE, ENTRY_CRC = 0x00, 0x04
P_MAGIC, P_STATUS, P_OFFSET, P_COUNT, P_RESULT, P_TABLE = 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C
SECTOR, BLOCK = 4096, 65536


def helper_bytes() -> bytes:
    path = BUILD / "rp2040-ram-helper.bin"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run Firmware/build.sh first")
    return path.read_bytes()


def test_committed_helper_matches_a_fresh_build():
    committed = (Path(__file__).resolve().parent.parent / "ram-helper" / "rp2040-ram-helper.bin").read_bytes()
    assert helper_bytes() == committed, "run Firmware/ram-helper/generate.py to refresh the committed bytes"


class Chip:
    """A chip whose flash holds random data, the helper in SRAM, and opcodes sent to the flash
    recorded."""

    def __init__(self, monkeypatch):
        self.flash_data = random.Random(9).randbytes(512 * 1024)
        self.board = Board(self.flash_data)
        self.chip = self.board.chip
        self.opcodes: list[int] = []
        original = ssi.RPSSI._apply_command

        def record(ssi_self):
            if ssi_self._tx_buffer:
                self.opcodes.append(ssi_self._tx_buffer[0])
            original(ssi_self)

        monkeypatch.setattr(ssi.RPSSI, "_apply_command", record)
        self.helper = helper_bytes()
        self.write(HELPER_BASE, self.helper)
        self.write(RETURN_TRAP, b"\xfe\xe7")   # b .

    def write(self, address: int, data: bytes) -> None:
        offset = address - 0x20000000
        self.chip.sram[offset : offset + len(data)] = data

    def word(self, offset: int) -> int:
        return struct.unpack_from("<I", self.chip.sram, HELPER_BASE - 0x20000000 + offset)[0]

    def call(self, entry: int, flash_offset: int, count: int) -> int:
        """Sets the arguments and runs the entry as EXEC would; returns the status word."""
        self.write(HELPER_BASE + P_STATUS, struct.pack("<III", 0xFFFFFFFF, flash_offset, count))
        core = self.chip.core
        core.registers[13] = 0x20041F00   # a stack in SRAM5, as the bootrom's
        core.registers[14] = RETURN_TRAP | 1
        core.pc = HELPER_BASE + entry
        assert self.board.run_until(lambda: core.pc == RETURN_TRAP, 120), hex(core.pc)
        return self.word(P_STATUS)


@pytest.fixture
def chip(monkeypatch) -> Chip:
    return Chip(monkeypatch)


def test_helper_layout(chip: Chip):
    assert chip.word(P_MAGIC) == 0x31485052
    assert chip.word(P_TABLE) == len(chip.helper)
    assert len(chip.helper) <= 512


def test_erase_uses_64k_blocks_where_it_can(chip: Chip):
    # 0x0f000..0x31000: sectors 0x0f000, then blocks 0x10000 and 0x20000, then sector 0x30000
    start, count = 0x0F000, 0x22000
    assert chip.call(ENTRY_ERASE, start, count) == 0
    flash = chip.chip.flash
    assert flash[start : start + count] == b"\xff" * count
    assert flash[: start] == chip.flash_data[: start]
    assert flash[start + count : len(chip.flash_data)] == chip.flash_data[start + count :]
    assert chip.opcodes.count(0xD8) == 2 and chip.opcodes.count(0x20) == 2
    assert chip.word(P_RESULT) == count // SECTOR


def test_crc_per_sector_matches_zlib(chip: Chip):
    start, count = 0x3000, 0x14000
    assert chip.call(ENTRY_CRC, start, count) == 0
    sectors = count // SECTOR
    assert chip.word(P_RESULT) == sectors
    table = struct.unpack_from(f"<{sectors}I", chip.chip.sram, HELPER_BASE - 0x20000000 + chip.word(P_TABLE))
    expected = [zlib.crc32(chip.flash_data[a : a + SECTOR]) for a in range(start, start + count, SECTOR)]
    assert list(table) == expected


def test_bad_arguments_are_refused_without_touching_flash(chip: Chip):
    assert chip.call(ENTRY_ERASE, 0x800, SECTOR) == 1          # not sector-aligned
    assert chip.call(ENTRY_ERASE, 0, 0) == 1                   # empty
    assert chip.call(ENTRY_CRC, 0xFFF000, 2 * SECTOR) == 1     # past 16 MiB
    assert not any(op in (0x20, 0xD8) for op in chip.opcodes)
    assert chip.chip.flash[: len(chip.flash_data)] == chip.flash_data


def test_bootsel_bootrom_leaves_the_helper_ram_alone():
    """The bootrom serving USB in BOOTSEL must not write where the helper and its CRC table live
    (4 bytes per sector of a 16 MiB flash after the helper)."""
    board = Board(b"")                       # blank flash: the bootrom enters BOOTSEL
    board.chip.sram[:] = b"\xa5" * len(board.chip.sram)
    host = Host(board)
    assert host.wait_for_bus_reset()
    assert struct.unpack_from("<HH", host.get_descriptor(1, 0, 18), 8) == (0x2E8A, 0x0003)
    host.enumerate()
    board.run_until(lambda: False, 2)       # let it idle (it waits in WFI for the host)
    end = HELPER_BASE - 0x20000000 + len(helper_bytes()) + 4 * 4096
    assert board.chip.sram[:end] == b"\xa5" * end


def picoboot_exec(monkeypatch, entry: int, flash_offset: int, count: int) -> Chip:
    """Boots a chip into BOOTSEL (blank first sector), preloads the helper where PICOBOOT WRITE
    would put it, and sends one PICOBOOT EXEC on the bootrom's bulk OUT endpoint; returns once
    the bootrom has acknowledged (a zero-length packet on bulk IN), i.e. the helper returned."""
    chip = Chip(monkeypatch)
    chip.chip.flash[0:SECTOR] = b"\xff" * SECTOR          # no boot2: the bootrom stays in BOOTSEL
    chip.flash_data = b"\xff" * SECTOR + chip.flash_data[SECTOR:]
    host = Host(chip.board)
    assert host.wait_for_bus_reset()
    host.control_out(0x00, 0x05, 1, 0)
    config = host.configuration()
    assert (0xFF, 0x00, 0x00) in [(c[3], c[4], c[5]) for c in _interfaces(config)]   # PICOBOOT
    host.control_out(0x00, 0x09, 1, 0)
    chip.write(HELPER_BASE + P_STATUS, struct.pack("<III", 0xFFFFFFFF, flash_offset, count))
    command = struct.pack("<IIBBHI", 0x431FD10B, 1, 0x08, 4, 0, 0) + struct.pack("<I", HELPER_BASE + entry)
    host.bulk_out(0x03, command + bytes(12))
    assert chip.board.run_until(lambda: host.in_packets.get(4) == [b""], 60), "EXEC was not acknowledged"
    return chip


def _interfaces(config: bytes) -> list:
    found, index = [], 0
    while index < len(config):
        if config[index + 1] == 4:
            found.append(tuple(config[index + 2 : index + 9]))
        index += config[index]
    return found


def test_picoboot_exec_of_crc_returns_to_the_bootrom(monkeypatch):
    chip = picoboot_exec(monkeypatch, ENTRY_CRC, 0x10000, 0x8000)
    assert chip.word(P_STATUS) == 0 and chip.word(P_RESULT) == 8
    table = struct.unpack_from("<8I", chip.chip.sram, HELPER_BASE - 0x20000000 + chip.word(P_TABLE))
    assert list(table) == [zlib.crc32(chip.flash_data[a : a + SECTOR]) for a in range(0x10000, 0x18000, SECTOR)]


def test_picoboot_exec_of_erase_returns_to_the_bootrom(monkeypatch):
    chip = picoboot_exec(monkeypatch, ENTRY_ERASE, 0x10000, 0x10000)
    assert chip.word(P_STATUS) == 0
    assert chip.chip.flash[0x10000:0x20000] == b"\xff" * 0x10000
    assert chip.chip.flash[0x20000:0x30000] == chip.flash_data[0x20000:0x30000]
    assert chip.opcodes.count(0xD8) == 1
