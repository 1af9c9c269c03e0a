"""The RP2040 RAM helper (issue 9), run in rp2040py the way PICOBOOT EXEC runs it: a call from
the bootrom's context into SRAM, which must return. PicoBoot's RAMHelperABI: parameter block at
code + 0x1000 (operation, address, size, status, CRC table); block erase through the ROM's
flash_range_erase with 0xD8, and one CRC-32/MPEG-2 per 4 KiB sector."""

import random
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from emulator import BUILD, Board
from usb_host import Host

from rp2040py.peripherals import ssi

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from boot2_checksum import crc32_mpeg2  # noqa: E402

HELPER_BASE = 0x20000000          # RAMHelperABI.codeAddress
PARAMS = HELPER_BASE + 0x1000     # RAMHelperABI.parameterAddress
RETURN_TRAP = 0x20030000          # a `b .` the test returns to
ERASE, CRC = 1, 2
P_OPERATION, P_ADDRESS, P_SIZE, P_STATUS, P_TABLE = 0x00, 0x04, 0x08, 0x0C, 0x10
FLASH = 0x10000000
SECTOR = 4096


def helper_bytes() -> bytes:
    path = BUILD / "rp2040-ram-helper.bin"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run Firmware/build.sh first")
    return path.read_bytes()


def test_committed_helper_matches_a_fresh_build():
    """The bytes picoctl embeds (and their committed copy) are those of a fresh build."""
    firmware = Path(__file__).resolve().parent.parent
    committed = (firmware / "ram-helper" / "rp2040-ram-helper.bin").read_bytes()
    assert helper_bytes() == committed, "run Firmware/ram-helper/generate.py to refresh the committed bytes"
    swift = firmware.parent / "Sources" / "PicoFlash" / "RP2040RAMHelperCode.swift"
    check = subprocess.run([sys.executable, str(firmware / "ram-helper" / "generate.py"),
                            str(BUILD / "rp2040-ram-helper.bin"), "--check", str(swift)],
                           capture_output=True, text=True)
    assert swift.exists() and check.returncode == 0, check.stderr


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
        """A word of the parameter block."""
        return struct.unpack_from("<I", self.chip.sram, PARAMS - 0x20000000 + offset)[0]

    def table(self, count: int) -> list:
        return list(struct.unpack_from(f"<{count}I", self.chip.sram, PARAMS - 0x20000000 + P_TABLE))

    def set_parameters(self, operation: int, address: int, size: int) -> None:
        self.write(PARAMS, struct.pack("<IIII", operation, address, size, 0xFFFFFFFF))

    def call(self, operation: int, address: int, size: int) -> int:
        """Sets the parameter block and runs the helper as EXEC would; returns the status word."""
        self.set_parameters(operation, address, size)
        core = self.chip.core
        core.registers[13] = 0x20041F00   # a stack in SRAM5, as the bootrom's
        core.registers[14] = RETURN_TRAP | 1
        core.pc = HELPER_BASE
        assert self.board.run_until(lambda: core.pc == RETURN_TRAP, 120), hex(core.pc)
        return self.word(P_STATUS)


@pytest.fixture
def chip(monkeypatch) -> Chip:
    return Chip(monkeypatch)


def test_helper_layout(chip: Chip):
    magic, params = struct.unpack_from("<II", chip.helper, 4)
    assert magic == 0x31485052 and params == PARAMS - HELPER_BASE
    assert len(chip.helper) <= 0x1000


def test_erase_uses_64k_blocks_where_it_can(chip: Chip):
    # 0x0f000..0x31000: sector 0x0f000, blocks 0x10000 and 0x20000, sector 0x30000
    start, count = 0x0F000, 0x22000
    assert chip.call(ERASE, FLASH + start, count) == 0
    flash = chip.chip.flash
    assert flash[start : start + count] == b"\xff" * count
    assert flash[:start] == chip.flash_data[:start]
    assert flash[start + count : len(chip.flash_data)] == chip.flash_data[start + count :]
    assert chip.opcodes.count(0xD8) == 2 and chip.opcodes.count(0x20) == 2


def test_crc_per_sector_is_crc32_mpeg2(chip: Chip):
    start, count = 0x3000, 0x14000
    assert chip.call(CRC, FLASH + start, count) == 0
    expected = [crc32_mpeg2(chip.flash_data[a : a + SECTOR]) for a in range(start, start + count, SECTOR)]
    assert chip.table(count // SECTOR) == expected


def test_statuses_for_refused_calls_leave_flash_alone(chip: Chip):
    assert chip.call(ERASE, FLASH + 0x800, SECTOR) == 1          # not sector-aligned
    assert chip.call(ERASE, FLASH, 0x1800) == 1                 # size not whole sectors
    assert chip.call(ERASE, 0x0, SECTOR) == 1                   # not a flash address
    assert chip.call(CRC, FLASH + 0xFFF000, 2 * SECTOR) == 1    # past the 16 MiB window
    assert chip.call(CRC, FLASH, 1025 * SECTOR) == 2            # more than the table holds
    assert chip.call(7, FLASH, SECTOR) == 3                     # unknown operation
    assert chip.call(ERASE, FLASH, 0) == 0                      # nothing to do
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
    end = PARAMS - 0x20000000 + P_TABLE + 4 * 1024      # code, parameters, a full CRC table
    assert board.chip.sram[:end] == b"\xa5" * end


def picoboot_exec(monkeypatch, operation: int, address: int, size: int) -> Chip:
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
    chip.set_parameters(operation, address, size)
    command = struct.pack("<IIBBHI", 0x431FD10B, 1, 0x08, 4, 0, 0) + struct.pack("<I", HELPER_BASE | 1)
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
    chip = picoboot_exec(monkeypatch, CRC, FLASH + 0x10000, 0x8000)
    assert chip.word(P_STATUS) == 0
    assert chip.table(8) == [crc32_mpeg2(chip.flash_data[a : a + SECTOR]) for a in range(0x10000, 0x18000, SECTOR)]


def test_picoboot_exec_of_erase_returns_to_the_bootrom(monkeypatch):
    chip = picoboot_exec(monkeypatch, ERASE, FLASH + 0x10000, 0x10000)
    assert chip.word(P_STATUS) == 0
    assert chip.chip.flash[0x10000:0x20000] == b"\xff" * 0x10000
    assert chip.chip.flash[0x20000:0x30000] == chip.flash_data[0x20000:0x30000]
    assert chip.opcodes.count(0xD8) == 1


def test_jedec_id_is_read_with_command_9f(chip: Chip):
    """Operation 5: the flash's JEDEC id (rp2040py's flash model answers a W25Q16's EF 40 15)."""
    assert chip.call(5, FLASH, 0) == 0
    table = bytes(chip.chip.sram[PARAMS - 0x20000000 + P_TABLE : PARAMS - 0x20000000 + P_TABLE + 3])
    assert table == bytes([0xEF, 0x40, 0x15])
    assert 0x9F in chip.opcodes and not any(op in (0x20, 0xD8, 0x02) for op in chip.opcodes)
    assert chip.call(CRC, FLASH, SECTOR) == 0                   # flash reads work afterwards (XIP on)
    assert chip.table(1) == [crc32_mpeg2(chip.flash_data[:SECTOR])]


def test_sram_crc_covers_exactly_the_code_for_the_self_check(chip: Chip):
    """Operation 4 from an aligned address for any size: picoctl uploads the helper unpadded and
    checks its own bytes only; the last word covers a partial 4 KiB."""
    assert chip.call(4, HELPER_BASE, len(chip.helper)) == 0
    assert chip.table(1) == [crc32_mpeg2(chip.helper)]
    assert chip.call(4, HELPER_BASE + 0x800, 16) == 1            # the address must be 4096-aligned
