"""A PICOBOOT client on pyusb (the real libusb underneath), run under umockdev's preload.

    python -m picoharness.tools.picoboot_client list
    python -m picoharness.tools.picoboot_client script '<json list of steps>'

Steps: {"op": "exclusive", "mode": 1}, {"op": "exit_xip"}, {"op": "erase", "addr", "size"},
{"op": "write", "addr", "hex"|"pattern_size"}, {"op": "read", "addr", "size"}, {"op": "reboot",
"delay_ms"}, {"op": "status"}, {"op": "reset"}, {"op": "raw", "cmd", "args_hex", "length"}.
Each step prints one JSON line; errors print {"error": ..., "status": ...} and continue.
`--bus/--address` select a device (default: the first PICOBOOT interface found).
"""
from __future__ import annotations

import argparse
import json
import struct
import sys
import time

import usb.core
import usb.util

MAGIC = 0x431FD10B


def find_picoboot(bus: int | None = None, address: int | None = None):
    for dev in usb.core.find(find_all=True, idVendor=0x2E8A):
        if bus is not None and (dev.bus, dev.address) != (bus, address):
            continue
        for itf in dev.get_active_configuration():
            if (itf.bInterfaceClass, itf.bInterfaceSubClass, itf.bInterfaceProtocol) == (0xFF, 0, 0):
                return dev, itf
    raise SystemExit(json.dumps({"error": "no PICOBOOT device"}))


class Picoboot:
    """Minimal PICOBOOT session (command, data phase, acknowledgement; status and reset on error)."""

    def __init__(self, dev, itf, timeout_ms: int = 30000):
        self.dev, self.itf, self.timeout = dev, itf, timeout_ms
        usb.util.claim_interface(dev, itf.bInterfaceNumber)
        self.ep_out = next(e for e in itf if not e.bEndpointAddress & 0x80)
        self.ep_in = next(e for e in itf if e.bEndpointAddress & 0x80)
        self.token = 1

    def reset(self) -> None:
        self.dev.ctrl_transfer(0x41, 0x41, 0, self.itf.bInterfaceNumber, None, self.timeout)

    def status(self) -> dict:
        raw = bytes(self.dev.ctrl_transfer(0xC1, 0x42, 0, self.itf.bInterfaceNumber, 16, self.timeout))
        token, code, cmd, busy = struct.unpack_from("<IIBB", raw)
        return {"token": token, "code": code, "cmd": cmd, "in_progress": busy}

    def command(self, cmd_id: int, args: bytes, length: int = 0, data: bytes | None = None) -> bytes:
        packet = struct.pack("<IIBBHI", MAGIC, self.token, cmd_id, len(args), 0, length) + args.ljust(16, b"\0")
        self.token += 1
        self.ep_out.write(packet, self.timeout)
        result = b""
        if cmd_id & 0x80:
            if length:
                result = bytes(self.ep_in.read(length, self.timeout))
            self.ep_out.write(b"", self.timeout)
        else:
            if length:
                self.ep_out.write(data or b"", self.timeout)
            self.ep_in.read(64, self.timeout)
        return result

    def close(self) -> None:
        usb.util.release_interface(self.dev, self.itf.bInterfaceNumber)
        usb.util.dispose_resources(self.dev)


def run_step(pb: Picoboot, step: dict) -> dict:
    op = step["op"]
    t0 = time.monotonic()
    out: dict = {"op": op}
    if op == "exclusive":
        pb.command(0x01, bytes([step.get("mode", 1)]))
    elif op == "exit_xip":
        pb.command(0x06, b"")
    elif op == "erase":
        pb.command(0x03, struct.pack("<II", step["addr"], step["size"]))
    elif op == "write":
        data = bytes.fromhex(step["hex"]) if "hex" in step else bytes(
            (i * 7 + 3) & 0xFF for i in range(step["pattern_size"]))
        pb.command(0x05, struct.pack("<II", step["addr"], len(data)), len(data), data)
        out["bytes"] = len(data)
    elif op == "read":
        data = pb.command(0x84, struct.pack("<II", step["addr"], step["size"]), step["size"])
        out["hex"] = data.hex() if step["size"] <= 4096 else None
        out["sha"] = __import__("hashlib").sha256(data).hexdigest()
        out["bytes"] = len(data)
    elif op == "reboot":
        pb.command(0x02, struct.pack("<III", step.get("pc", 0), step.get("sp", 0), step.get("delay_ms", 100)))
    elif op == "reboot2":
        pb.command(0x0A, struct.pack("<IIII", step.get("flags", 0), step.get("delay_ms", 100), 0, 0))
    elif op == "status":
        out.update(pb.status())
    elif op == "reset":
        pb.reset()
    elif op == "raw":
        args = bytes.fromhex(step.get("args_hex", ""))
        out["hex"] = pb.command(step["cmd"], args, step.get("length", 0)).hex()
    out["seconds"] = round(time.monotonic() - t0, 4)
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("action", choices=["list", "script"])
    p.add_argument("steps", nargs="?")
    p.add_argument("--bus", type=int)
    p.add_argument("--address", type=int)
    a = p.parse_args()
    if a.action == "list":
        for dev in usb.core.find(find_all=True):
            def s(i):
                try:
                    return usb.util.get_string(dev, i) if i else None
                except (usb.core.USBError, ValueError) as e:
                    return f"<{e}>"
            itfs = [(i.bInterfaceNumber, i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol)
                    for i in dev.get_active_configuration()]
            print(json.dumps({"bus": dev.bus, "address": dev.address, "vid": dev.idVendor, "pid": dev.idProduct,
                              "port": list(dev.port_numbers or ()), "manufacturer": s(dev.iManufacturer),
                              "product": s(dev.iProduct), "serial": s(dev.iSerialNumber),
                              "interfaces": itfs}), flush=True)
        return 0
    dev, itf = find_picoboot(a.bus, a.address)
    pb = Picoboot(dev, itf)
    for step in json.loads(a.steps):
        try:
            print(json.dumps(run_step(pb, step)), flush=True)
        except usb.core.USBError as e:
            answer = {"op": step["op"], "error": str(e), "errno": e.errno, "backend_error": e.backend_error_code}
            try:
                answer["status"] = pb.status()
                pb.reset()
                for ep in (pb.ep_in, pb.ep_out):
                    pb.dev.clear_halt(ep)
            except usb.core.USBError as e2:
                answer["recovery_error"] = str(e2)
            print(json.dumps(answer), flush=True)
            if step["op"] == "reboot" or "No such device" in str(e):
                break
    try:
        pb.close()
    except usb.core.USBError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
