"""libusb hotplug (ctypes), run under the preload: prints one JSON line per arrival/departure.

    python -m picoharness.tools.libusb_hotplug SECONDS [COUNT]
"""
from __future__ import annotations

import ctypes
import json
import sys
import time

lib = ctypes.CDLL("libusb-1.0.so.0")
CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
ARRIVED, LEFT = 0x1, 0x2


class DeviceDescriptor(ctypes.Structure):
    _fields_ = [("bLength", ctypes.c_uint8), ("bDescriptorType", ctypes.c_uint8), ("bcdUSB", ctypes.c_uint16),
                ("bDeviceClass", ctypes.c_uint8), ("bDeviceSubClass", ctypes.c_uint8),
                ("bDeviceProtocol", ctypes.c_uint8), ("bMaxPacketSize0", ctypes.c_uint8),
                ("idVendor", ctypes.c_uint16), ("idProduct", ctypes.c_uint16), ("bcdDevice", ctypes.c_uint16),
                ("iManufacturer", ctypes.c_uint8), ("iProduct", ctypes.c_uint8),
                ("iSerialNumber", ctypes.c_uint8), ("bNumConfigurations", ctypes.c_uint8)]


def main() -> int:
    seconds = float(sys.argv[1])
    count = int(sys.argv[2]) if len(sys.argv) > 2 else None
    ctx = ctypes.c_void_p()
    assert lib.libusb_init(ctypes.byref(ctx)) == 0
    assert lib.libusb_has_capability(0x0001), "no hotplug capability"
    seen = []

    def on_event(_ctx, dev, event, _user):
        d = DeviceDescriptor()
        lib.libusb_get_device_descriptor(ctypes.c_void_p(dev), ctypes.byref(d))
        seen.append(1)
        print(json.dumps({"event": "arrived" if event == ARRIVED else "left",
                          "bus": lib.libusb_get_bus_number(ctypes.c_void_p(dev)),
                          "address": lib.libusb_get_device_address(ctypes.c_void_p(dev)),
                          "pid": d.idProduct, "t": time.monotonic()}), flush=True)
        return 0
    cb = CALLBACK(on_event)
    handle = ctypes.c_int()
    rc = lib.libusb_hotplug_register_callback(ctx, ARRIVED | LEFT, 0, 0x2E8A, -1, -1, cb, None,
                                              ctypes.byref(handle))
    assert rc == 0, rc
    print(json.dumps({"ready": True}), flush=True)

    class Timeval(ctypes.Structure):
        _fields_ = [("sec", ctypes.c_long), ("usec", ctypes.c_long)]
    end = time.monotonic() + seconds
    while time.monotonic() < end and (count is None or len(seen) < count):
        tv = Timeval(0, 100_000)
        lib.libusb_handle_events_timeout_completed(ctx, ctypes.byref(tv), None)
    lib.libusb_exit(ctx)
    return 0


if __name__ == "__main__":
    sys.exit(main())
