#!/usr/bin/python3
"""A lab of emulated USB devices for enumeration tests: sysfs records and descriptors, no transfers.

Run with the system Python (it has python3-gi for umockdev), never under the umockdev preload:

    lab_testbed.py LAB.json

LAB.json is a list of devices, each {"kind": ..., "port": "1-3.2", "serial": ..., "tty": "ttyACM0"}.
Kinds: rp2040-bootsel, rp2350-bootsel, rp2040-app, rp2350-app, app-whitelabel, micropython,
debugprobe, unknown-rpi, other. Hubs on the way to each port are created, one root hub per bus.
The script prints the testbed root directory on one line, then keeps the testbed alive until its
standard input closes. Programs started with UMOCKDEV_DIR=<root> and
LD_PRELOAD=libumockdev-preload.so.0 then enumerate the lab through the real libusb and libudev.
"""
import json
import struct
import sys

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

RPI = 0x2E8A


def device_descriptor(vid, pid, cls=(0, 0, 0), bcd_usb=0x0110, bcd_device=0x0100, strings=(1, 2, 3)):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, bcd_usb, *cls, 64, vid, pid, bcd_device, *strings, 1)


def endpoint(address, attributes, size=64, interval=0):
    return struct.pack("<BBBBHB", 7, 5, address, attributes, size, interval)


def interface(number, cls, endpoints=(), extra=b""):
    head = struct.pack("<BBBBBBBBB", 9, 4, number, 0, len(endpoints), *cls, 0)
    return head + extra + b"".join(endpoints)


def configuration(interfaces, extra=b""):
    body = extra + b"".join(interfaces)
    return struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), len(interfaces), 1, 0, 0x80, 250) + body


BULK, INTERRUPT = 2, 3
CDC_FUNCTIONAL = (bytes([5, 0x24, 0, 0x20, 0x01]) + bytes([5, 0x24, 1, 0, 1])
                  + bytes([4, 0x24, 2, 2]) + bytes([5, 0x24, 6, 0, 1]))
IAD_CDC = bytes([8, 0x0B, 0, 2, 2, 2, 0, 0])


def bootsel_config():
    msc = interface(0, (8, 6, 0x50), [endpoint(0x81, BULK), endpoint(0x02, BULK)])
    picoboot = interface(1, (0xFF, 0, 0), [endpoint(0x03, BULK), endpoint(0x84, BULK)])
    return configuration([msc, picoboot])


def cdc_interfaces(first=0):
    control = interface(first, (2, 2, 0), [endpoint(0x81, INTERRUPT, 8, 16)], extra=CDC_FUNCTIONAL)
    data = interface(first + 1, (0x0A, 0, 0), [endpoint(0x02, BULK), endpoint(0x82, BULK)])
    return [control, data]


def app_config():
    return configuration(cdc_interfaces() + [interface(2, (0xFF, 0, 1))], extra=IAD_CDC)


KINDS = {
    # kind: (vid, pid, device class, bcdUSB, manufacturer, product, configuration)
    "rp2040-bootsel": (RPI, 0x0003, (0, 0, 0), 0x0110, "Raspberry Pi", "RP2 Boot", bootsel_config),
    "rp2350-bootsel": (RPI, 0x000F, (0, 0, 0), 0x0210, "Raspberry Pi", "RP2350 Boot", bootsel_config),
    "rp2040-app": (RPI, 0x000A, (0xEF, 2, 1), 0x0200, "Raspberry Pi", "Pico", app_config),
    "rp2350-app": (RPI, 0x0009, (0xEF, 2, 1), 0x0200, "Raspberry Pi", "Pico 2", app_config),
    "app-whitelabel": (0x1209, 0xC0DE, (0xEF, 2, 1), 0x0200, "Lab Widgets", "Thermo Logger", app_config),
    "micropython": (RPI, 0x0005, (0xEF, 2, 1), 0x0200, "MicroPython", "Board in FS mode",
                    lambda: configuration(cdc_interfaces(), extra=IAD_CDC)),
    "debugprobe": (RPI, 0x000C, (0xEF, 2, 1), 0x0210, "Raspberry Pi", "Debugprobe on Pico (CMSIS-DAP)",
                   lambda: configuration([interface(0, (0xFF, 0, 0), [endpoint(0x04, BULK), endpoint(0x85, BULK)])]
                                         + cdc_interfaces(1))),
    "unknown-rpi": (RPI, 0x1234, (0, 0, 0), 0x0200, "Raspberry Pi", "Something New",
                    lambda: configuration([interface(0, (0xFF, 0x42, 0x42), [endpoint(0x81, BULK)])])),
    "other": (0x046D, 0xC52B, (0, 0, 0), 0x0200, "Logitech", "USB Receiver",
              lambda: configuration([interface(0, (3, 1, 1), [endpoint(0x81, INTERRUPT, 8, 8)])])),
}


class Lab:
    def __init__(self):
        self.testbed = UMockdev.Testbed.new()
        self.root = self.testbed.get_root_dir()
        self.paths = {}  # sysfs name -> path inside the testbed
        self.devnums = {}  # bus -> last device number
        self.minor = 0

    def _record(self, path, properties, attributes, binary=None, node=None):
        lines = ["P: " + path]
        if node:
            lines.append("N: " + node[len("/dev/"):])
        lines += ["E: %s=%s" % (k, v) for k, v in properties.items()]
        lines += ["A: %s=%s\\n" % (k, v) for k, v in attributes.items()]
        for key, value in (binary or {}).items():
            lines.append("H: %s=%s" % (key, value.hex().upper()))
        self.testbed.add_from_string("\n".join(lines) + "\n")
        return path

    def _add_usb_device(self, name, parent, bus, descriptors, attributes, interfaces):
        devnum = self.devnums.get(bus, 0) + 1
        self.devnums[bus] = devnum
        minor = (bus - 1) * 128 + devnum - 1
        node = "/dev/bus/usb/%03d/%03d" % (bus, devnum)
        attrs = {"busnum": bus, "devnum": devnum, "speed": 12, "bConfigurationValue": 1,
                 "dev": "189:%d" % minor, "devpath": name.split("-", 1)[-1] if "-" in name else "0"}
        attrs.update(attributes)
        props = {"SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "DEVNAME": node,
                 "BUSNUM": "%03d" % bus, "DEVNUM": "%03d" % devnum, "MAJOR": 189, "MINOR": minor}
        path = (self.paths[parent] if parent else "/devices/pci0000:00/0000:00:14.0") + "/" + name
        self._record(path, props, attrs, {"descriptors": descriptors}, node)
        self.paths[name] = path
        for number, cls in interfaces:
            iface = "%s:1.%d" % (name if "-" in name else "%d-0" % bus, number)
            self.paths[iface] = self._record(
                path + "/" + iface, {"SUBSYSTEM": "usb", "DEVTYPE": "usb_interface"},
                {"bInterfaceNumber": "%02x" % number, "bInterfaceClass": "%02x" % cls[0],
                 "bInterfaceSubClass": "%02x" % cls[1], "bInterfaceProtocol": "%02x" % cls[2]})
        return path

    def _hub(self, name, parent, bus):
        if name in self.paths:
            return
        hub_iface = interface(0, (9, 0, 0), [endpoint(0x81, INTERRUPT, 2, 12)])
        desc = device_descriptor(0x1D6B if parent is None else 0x05E3, 0x0002 if parent is None else 0x0608,
                                 cls=(9, 0, 0), bcd_usb=0x0200, strings=(0, 0, 0)) + configuration([hub_iface])
        self._add_usb_device(name, parent, bus, desc, {"idVendor": "1d6b", "idProduct": "0002"},
                             [(0, (9, 0, 0))])

    def add(self, spec):
        kind = KINDS[spec["kind"]]
        vid, pid, cls, bcd_usb, manufacturer, product, config = kind
        port = spec["port"]
        bus, ports = port.split("-", 1)
        bus = int(bus)
        self._hub("usb%d" % bus, None, bus)
        parent = "usb%d" % bus
        chain = ports.split(".")
        for depth in range(1, len(chain)):
            name = "%d-%s" % (bus, ".".join(chain[:depth]))
            self._hub(name, parent, bus)
            parent = name
        serial = spec.get("serial", "")
        strings = (1, 2, 3 if serial else 0)
        config_bytes = config()
        desc = device_descriptor(vid, pid, cls, bcd_usb, strings=strings) + config_bytes
        attributes = {"idVendor": "%04x" % vid, "idProduct": "%04x" % pid,
                      "manufacturer": spec.get("manufacturer", manufacturer),
                      "product": spec.get("product", product)}
        if serial:
            attributes["serial"] = serial
        interfaces = parse_interfaces(config_bytes)
        path = self._add_usb_device(port, parent, bus, desc, attributes, interfaces)
        if "tty" in spec:
            iface = self.paths["%s:1.0" % port]
            self._record(iface + "/tty/" + spec["tty"],
                         {"SUBSYSTEM": "tty", "DEVNAME": "/dev/" + spec["tty"], "MAJOR": 166, "MINOR": self.minor,
                          "ID_SERIAL_SHORT": serial, "ID_USB_INTERFACE_NUM": "00"},
                         {"dev": "166:%d" % self.minor})
            self.minor += 1
        return path


def parse_interfaces(config_bytes):
    found, offset = [], 0
    while offset < len(config_bytes):
        length, kind = config_bytes[offset], config_bytes[offset + 1]
        if kind == 4:
            found.append((config_bytes[offset + 2], tuple(config_bytes[offset + 5:offset + 8])))
        offset += length
    return found


def main():
    with open(sys.argv[1]) as f:
        specs = json.load(f)
    lab = Lab()
    for spec in specs:
        lab.add(spec)
    print(lab.root, flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
