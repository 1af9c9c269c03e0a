#!/usr/bin/env python3
"""Pads a raw boot2 to 252 bytes and appends its CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF,
no reflection, no final xor), little-endian, as the RP2040 bootrom expects.

Usage: boot2_checksum.py IN.bin OUT.bin
"""
import struct
import sys


def crc32_mpeg2(data: bytes) -> int:
    """CRC-32/MPEG-2 of `data`."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else (crc << 1)
            crc &= 0xFFFFFFFF
    return crc


def main() -> int:
    src, dst = sys.argv[1], sys.argv[2]
    raw = open(src, "rb").read()
    if len(raw) > 252:
        print(f"boot2_checksum: {src} is {len(raw)} bytes; boot2 must fit in 252", file=sys.stderr)
        return 1
    body = raw + b"\x00" * (252 - len(raw))
    with open(dst, "wb") as f:
        f.write(body + struct.pack("<I", crc32_mpeg2(body)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
