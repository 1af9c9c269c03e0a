"""A NOR flash chip as the bootroms see it: erase sets 0xFF, programming ANDs bits, reads alias."""
from __future__ import annotations

import threading

XIP_BASE = 0x1000_0000


class Flash:
    """`size` bytes of flash with 4 KiB sectors and 256-byte pages; a 64-bit unique id."""

    SECTOR = 4096
    PAGE = 256

    def __init__(self, size: int = 2 * 1024 * 1024, unique_id: int = 0, devinfo: int | None = None):
        self.size = size
        self.unique_id = unique_id
        # JEDEC id (0x9F) as a W25Q-class part of this size answers: Winbond, type 0x40, log2(size).
        self.jedec_id = bytes([0xEF, 0x40, size.bit_length() - 1])
        # RP2350 GET_INFO flash device word: CS0 size field log2(size / 4 KiB) as OTP would hold it;
        # 0x0C00 (CS0 16 MiB) is the bootrom's default when OTP leaves FLASH_DEVINFO unset.
        self.devinfo = (size // 4096).bit_length() - 1 << 8 if devinfo is None else devinfo
        self.data = bytearray(b"\xff" * size)
        self.lock = threading.Lock()
        self.erased_sectors = 0
        self.programmed_pages = 0

    def erase(self, offset: int, length: int) -> None:
        """Erases whole sectors covering `[offset, offset+length)`; both must be sector aligned."""
        assert offset % self.SECTOR == 0 and length % self.SECTOR == 0
        with self.lock:
            for o in range(offset, offset + length, self.SECTOR):
                o %= self.size
                self.data[o:o + self.SECTOR] = b"\xff" * self.SECTOR
                self.erased_sectors += 1

    def program(self, offset: int, data: bytes) -> None:
        """Programs bytes: each result is the AND of what was there and what is written."""
        with self.lock:
            for i in range(0, len(data), self.PAGE):
                chunk = data[i:i + self.PAGE]
                o = (offset + i) % self.size
                old = int.from_bytes(self.data[o:o + len(chunk)], "little")
                new = old & int.from_bytes(chunk, "little")
                self.data[o:o + len(chunk)] = new.to_bytes(len(chunk), "little")
                self.programmed_pages += 1

    def read(self, offset: int, length: int) -> bytes:
        """Reads bytes; offsets past the chip's size wrap around as on a real RP2040 board."""
        with self.lock:
            out = bytearray()
            while length > 0:
                o = offset % self.size
                n = min(length, self.size - o)
                out += self.data[o:o + n]
                offset += n
                length -= n
            return bytes(out)


def crc32_mpeg2(data: bytes) -> int:
    """CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, no reflection): the RP2040 boot2 check."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) & 0xFFFFFFFF if crc & 0x80000000 else (crc << 1) & 0xFFFFFFFF
    return crc


def bootable(chip: str, flash: Flash) -> bool:
    """Whether the bootrom would run the flash contents: RP2040 needs a boot2 with a valid CRC;
    RP2350 (simplified) needs a first sector that is not blank."""
    head = flash.read(0, 256)
    if chip == "rp2040":
        return crc32_mpeg2(head[:252]) == int.from_bytes(head[252:256], "little")
    return flash.read(0, 4096) != b"\xff" * 4096
