"""Measures the harness: URB rate and listing time with sim boards, flash speed of the real bootrom.

    .venv/bin/python -m picoharness.tools.bench [--quick]

Prints one JSON object per measurement.
"""
from __future__ import annotations

import json
import sys
import time

from ..client import EmulatedBoards

CLIENT = ["-m", "picoharness.tools.picoboot_client"]
FLASH = 0x1000_0000

URB_LOOP = """
import struct, time, usb.core, usb.util
d = usb.core.find(idVendor=0x2e8a)
usb.util.claim_interface(d, 1)
n, t0 = {n}, time.monotonic()
for token in range(n):
    d.write(0x03, struct.pack("<IIBBHI", 0x431fd10b, token, 0x06, 0, 0, 0) + bytes(16), 2000)
    d.read(0x84, 64, 2000)
print(2 * n / (time.monotonic() - t0))
"""


def script(boards, steps):
    r = boards.python(CLIENT + ["script", json.dumps(steps)], timeout=300)
    return [json.loads(line) for line in r.stdout.splitlines()]


def main() -> int:
    quick = "--quick" in sys.argv
    with EmulatedBoards(kind="sim-rp2040") as boards:
        r = boards.python(["-c", URB_LOOP.format(n=200 if quick else 1000)], timeout=300)
        print(json.dumps({"what": "sim URBs/s (PICOBOOT command + ack, pyusb)", "value": round(float(r.stdout), 0)}))
        size = 1024 * 1024
        out = script(boards, [{"op": "erase", "addr": FLASH, "size": size},
                              {"op": "write", "addr": FLASH, "pattern_size": size},
                              {"op": "read", "addr": FLASH, "size": size}])
        print(json.dumps({"what": "sim 1 MiB write / read KiB/s",
                          "value": [round(1024 / out[1]["seconds"]), round(1024 / out[2]["seconds"])]}))
    t0 = time.monotonic()
    with EmulatedBoards(kind="sim-rp2040", count=32) as boards:
        up = time.monotonic() - t0
        t0 = time.monotonic()
        r = boards.python(CLIENT + ["list"], timeout=120)
        print(json.dumps({"what": "32 sim boards: harness start s, pyusb list s (with strings)",
                          "value": [round(up, 2), round(time.monotonic() - t0, 2)],
                          "boards": r.stdout.count('"vid": 11914')}))
    with EmulatedBoards(kind="rp2040py") as boards:
        b = boards.wait(0, mode="bootsel", timeout=60)
        size = 64 * 1024
        out = script(boards, [{"op": "exclusive"}, {"op": "exit_xip"},
                              {"op": "erase", "addr": FLASH, "size": size},
                              {"op": "write", "addr": FLASH, "pattern_size": size},
                              {"op": "read", "addr": FLASH, "size": size}])
        print(json.dumps({"what": "real bootrom: boot to enumeration s, 64 KiB write / read KiB/s",
                          "value": [b["boot_seconds"][0], round(64 / out[3]["seconds"], 1),
                                    round(64 / out[4]["seconds"], 1)]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
