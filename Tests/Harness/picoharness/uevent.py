"""Hotplug events in libudev's monitor format, sent to the monitors of preloaded programs.

umockdev's preload turns a program's udev monitor socket into a Unix datagram socket named
`$UMOCKDEV_DIR/event<fd>`. umockdev 0.17's own `Testbed.uevent()` works only in a preloaded
process and aborts when a monitor's queue is full, so the harness sends the messages itself:
the 40-byte "libudev" header (magic 0xfeedcafe, MurmurHash2 of subsystem and devtype for the
kernel-side filters) followed by NUL-separated KEY=value properties.
"""
from __future__ import annotations

import errno
import glob
import itertools
import os
import socket
import struct
import sys
import time

DEBUG = bool(os.environ.get("PICOHARNESS_DEBUG"))

MONITOR_MAGIC = 0xFEEDCAFE
HEADER_SIZE = 40
_seqnum = itertools.count(1000)


def murmur_hash2(text: str) -> int:
    """systemd's `string_hash32` (MurmurHash2, seed = length), as libudev's filters compute it."""
    data = text.encode()
    m, r = 0x5BD1E995, 24
    h = len(data) & 0xFFFFFFFF
    i = 0
    while len(data) - i >= 4:
        k = int.from_bytes(data[i:i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
        i += 4
    rest = data[i:]
    if len(rest) == 3:
        h ^= rest[2] << 16
    if len(rest) >= 2:
        h ^= rest[1] << 8
    if len(rest) >= 1:
        h ^= rest[0]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def encode(action: str, devpath: str, properties: dict[str, str]) -> bytes:
    """One monitor message: header plus ACTION, DEVPATH, SEQNUM and the device's properties."""
    props = {"ACTION": action, "DEVPATH": devpath, "SEQNUM": str(next(_seqnum))}
    props.update({k: v for k, v in properties.items() if k not in props})
    body = b"".join(f"{k}={v}".encode() + b"\0" for k, v in props.items())
    subsystem = props.get("SUBSYSTEM", "")
    devtype = props.get("DEVTYPE")
    header = struct.pack("<8sIIII", b"libudev\0", socket.htonl(MONITOR_MAGIC), HEADER_SIZE,
                         HEADER_SIZE, len(body))
    header += struct.pack(">II", murmur_hash2(subsystem), murmur_hash2(devtype) if devtype else 0)
    header += struct.pack("<II", 0, 0)
    return header + body


def send(root: str, action: str, devpath: str, properties: dict[str, str],
         timeout: float = 1.0) -> int:
    """Delivers one event to every monitor socket under `root`; returns how many received it.

    A full queue (a slow monitor) is retried until `timeout` instead of aborting; a monitor
    whose program went away is cleaned up as umockdev does.
    """
    message = encode(action, devpath, properties)
    delivered = 0
    for path in glob.glob(os.path.join(root, "event[0-9]*")):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    sock.sendto(message, path)
                    delivered += 1
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.002)
                except ConnectionRefusedError:
                    try:
                        os.unlink(path)
                    except OSError:
                        pass
                    break
                except OSError as e:
                    if e.errno in (errno.ENOENT, errno.EPROTOTYPE):
                        break
                    raise
        finally:
            sock.close()
    if DEBUG:
        print(f"uevent {action} {devpath} -> {delivered}", file=sys.stderr, flush=True)
    return delivered
