"""A tiny libudev client (ctypes), run under umockdev's preload to see what picoctl will see.

    python -m picoharness.tools.udev_client list [SUBSYSTEM]     one JSON object per device
    python -m picoharness.tools.udev_client monitor SECONDS [N]  one JSON object per event
"""
from __future__ import annotations

import ctypes
import json
import select
import sys
import time

lib = ctypes.CDLL("libudev.so.1")
for name, res, args in [
    ("udev_new", ctypes.c_void_p, []),
    ("udev_enumerate_new", ctypes.c_void_p, [ctypes.c_void_p]),
    ("udev_enumerate_add_match_subsystem", ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
    ("udev_enumerate_scan_devices", ctypes.c_int, [ctypes.c_void_p]),
    ("udev_enumerate_get_list_entry", ctypes.c_void_p, [ctypes.c_void_p]),
    ("udev_list_entry_get_next", ctypes.c_void_p, [ctypes.c_void_p]),
    ("udev_list_entry_get_name", ctypes.c_char_p, [ctypes.c_void_p]),
    ("udev_list_entry_get_value", ctypes.c_char_p, [ctypes.c_void_p]),
    ("udev_device_new_from_syspath", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]),
    ("udev_device_get_properties_list_entry", ctypes.c_void_p, [ctypes.c_void_p]),
    ("udev_device_get_syspath", ctypes.c_char_p, [ctypes.c_void_p]),
    ("udev_device_get_action", ctypes.c_char_p, [ctypes.c_void_p]),
    ("udev_device_get_sysattr_value", ctypes.c_char_p, [ctypes.c_void_p, ctypes.c_char_p]),
    ("udev_device_unref", ctypes.c_void_p, [ctypes.c_void_p]),
    ("udev_monitor_new_from_netlink", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p]),
    ("udev_monitor_filter_add_match_subsystem_devtype", ctypes.c_int,
     [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]),
    ("udev_monitor_enable_receiving", ctypes.c_int, [ctypes.c_void_p]),
    ("udev_monitor_get_fd", ctypes.c_int, [ctypes.c_void_p]),
    ("udev_monitor_receive_device", ctypes.c_void_p, [ctypes.c_void_p]),
]:
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = res, args


def properties(dev) -> dict[str, str]:
    out = {}
    entry = lib.udev_device_get_properties_list_entry(dev)
    while entry:
        value = lib.udev_list_entry_get_value(entry)
        out[lib.udev_list_entry_get_name(entry).decode()] = value.decode() if value else ""
        entry = lib.udev_list_entry_get_next(entry)
    return out


def list_devices(subsystem: str | None) -> None:
    udev = lib.udev_new()
    en = lib.udev_enumerate_new(udev)
    if subsystem:
        lib.udev_enumerate_add_match_subsystem(en, subsystem.encode())
    lib.udev_enumerate_scan_devices(en)
    entry = lib.udev_enumerate_get_list_entry(en)
    while entry:
        path = lib.udev_list_entry_get_name(entry)
        dev = lib.udev_device_new_from_syspath(udev, path)
        if dev:
            serial = lib.udev_device_get_sysattr_value(dev, b"serial")
            print(json.dumps({"syspath": path.decode(), "properties": properties(dev),
                              "serial_attr": serial.decode() if serial else None}), flush=True)
            lib.udev_device_unref(dev)
        entry = lib.udev_list_entry_get_next(entry)


def monitor(seconds: float, count: int | None, subsystem: str | None) -> None:
    udev = lib.udev_new()
    mon = lib.udev_monitor_new_from_netlink(udev, b"udev")
    if subsystem:
        lib.udev_monitor_filter_add_match_subsystem_devtype(mon, subsystem.encode(), None)
    lib.udev_monitor_enable_receiving(mon)
    fd = lib.udev_monitor_get_fd(mon)
    print(json.dumps({"ready": True}), flush=True)
    deadline = time.monotonic() + seconds
    seen = 0
    while time.monotonic() < deadline and (count is None or seen < count):
        r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not r:
            break
        dev = lib.udev_monitor_receive_device(mon)
        if not dev:
            continue
        seen += 1
        print(json.dumps({"action": lib.udev_device_get_action(dev).decode(),
                          "syspath": lib.udev_device_get_syspath(dev).decode(),
                          "properties": properties(dev), "t": time.monotonic()}), flush=True)
        lib.udev_device_unref(dev)


if __name__ == "__main__":
    if sys.argv[1] == "list":
        list_devices(sys.argv[2] if len(sys.argv) > 2 else None)
    else:
        monitor(float(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] != "-" else None,
                sys.argv[4] if len(sys.argv) > 4 else None)
