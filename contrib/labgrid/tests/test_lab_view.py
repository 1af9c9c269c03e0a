"""`python -m picoctl_labgrid lab`: rows from the coordinator's resource list (no coordinator needed)."""
from __future__ import annotations

from picoctl_labgrid.lab import board_rows, render


def usb(model, avail=True, acquired=None, vendor=0x2E8A):
    return {"cls": "NetworkUSBFlashableDevice", "avail": avail, "acquired": acquired,
            "params": {"host": "pi-3", "path": "1-1.2", "vendor_id": vendor, "model_id": model, "busnum": 1, "devnum": 7}}


def console(port, avail=True, protocol="rfc2217"):
    return {"cls": "NetworkSerialPort", "avail": avail, "acquired": None,
            "params": {"host": "pi-3", "port": port, "speed": 115200, "protocol": protocol}}


def test_boards_with_mode_place_and_console_and_other_groups_left_out():
    resources = {
        "pi-3": {
            "bench-1": {"usb": usb(0x000A, acquired="ci-1"), "console": console(40001)},
            "bench-2": {"usb": usb(0x0003), "console": console(None, avail=False)},
            "gone": {"usb": usb(0x000A, avail=False)},
            "ftdi": {"usb": usb(0x6010, vendor=0x0403)},
            "power": {"pdu": {"cls": "NetworkPowerPort", "avail": True, "params": {"host": "pdu"}}},
        },
        "pi-4": {"raw": {"usb": usb(0x000A), "console": console(4000, protocol="raw")}},
    }
    rows = board_rows(resources)
    assert [(r["name"], r["exporter"], r["mode"], r["place"], r["console"]) for r in rows] == [
        ("bench-1", "pi-3", "app", "ci-1", "rfc2217://pi-3:40001"),
        ("bench-2", "pi-3", "bootsel", None, None),
        ("gone", "pi-3", "absent", None, None),
        ("raw", "pi-4", "app", None, "tcp://pi-3:4000"),
    ]
    table = render(rows).splitlines()
    assert table[0].split() == ["NAME", "HOST", "PORT", "MODE", "PLACE", "CONSOLE"]
    assert table[1].split() == ["bench-1", "pi-3", "1-1.2", "app", "ci-1", "rfc2217://pi-3:40001"]
    assert table[2].split() == ["bench-2", "pi-3", "1-1.2", "bootsel", "-", "-"]
