"""Where boards sit on the emulated bus: port paths, device numbers, sysfs records of one enumeration."""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from .descriptors import DeviceDescriptors
from .testbed import PCI_PARENT, Record

ROOT_HUB_DESCRIPTORS = bytes.fromhex(
    "12010002090001406b1d020006050302010109021900010100e0000904000001090000000705810304000c")


def root_hub_record(bus: int) -> Record:
    """The bus's root hub (`usbN`, device 1) and its interface; libusb expects both."""
    return Record(
        syspath=f"/sys{PCI_PARENT}/usb{bus}", node=f"bus/usb/{bus:03d}/001",
        properties={"SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "DRIVER": "usb",
                    "DEVNAME": f"/dev/bus/usb/{bus:03d}/001", "BUSNUM": f"{bus:03d}",
                    "DEVNUM": "001", "MAJOR": "189", "MINOR": str((bus - 1) * 128),
                    "PRODUCT": "1d6b/2/605"},
        attributes={"busnum": str(bus), "devnum": "1", "speed": "480", "dev": f"189:{(bus - 1) * 128}",
                    "bConfigurationValue": "1", "bNumConfigurations": "1", "idVendor": "1d6b",
                    "idProduct": "0002", "devpath": "0", "maxchild": "32", "product": "Emulated root hub"},
        binary={"descriptors": ROOT_HUB_DESCRIPTORS})


def root_hub_interface_record(bus: int) -> Record:
    """The root hub's interface `B-0:1.0`."""
    return Record(
        syspath=f"/sys{PCI_PARENT}/usb{bus}/{bus}-0:1.0",
        properties={"SUBSYSTEM": "usb", "DEVTYPE": "usb_interface", "DRIVER": "hub",
                    "INTERFACE": "9/0/0"},
        attributes={"bInterfaceNumber": "00", "bInterfaceClass": "09", "bAlternateSetting": " 0",
                    "bNumEndpoints": "01"})


def host_has_udev_data(major: int, minor: int) -> bool:
    """True when the host's udev database knows `major:minor`.

    umockdev 0.17's preload does not redirect /run/udev, so libudev merges the host's record of a
    real device with the same numbers into the emulated one. Numbers in use on the host are skipped,
    as they would be on a real bus.
    """
    return os.path.exists(f"/run/udev/data/c{major}:{minor}")


class TtyNumbers:
    """ttyACM indexes, skipping those the host's udev knows.

    cdc_acm takes the lowest free index, but umockdev 0.17 keeps the pty of a removed tty in a
    private table and aborts when the same node is created again, so each appearance of a tty
    gets a new index: ttyACM0, then ttyACM1 after a reboot, and so on.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next = 0

    def take(self) -> int:
        with self.lock:
            while host_has_udev_data(166, self.next):
                self.next += 1
            self.next += 1
            return self.next - 1

    def give_back(self, n: int) -> None:
        """Nothing to do: indexes are not reused (see the class comment)."""


def port_syspath(bus: int, port: str) -> str:
    """`/sys/.../usb1/1-3/1-3.2` for port "3.2": each hub on the way is a directory level."""
    parts = port.split(".")
    path = f"/sys{PCI_PARENT}/usb{bus}"
    for i in range(1, len(parts) + 1):
        path += f"/{bus}-{'.'.join(parts[:i])}"
    return path


HUB_DESCRIPTORS = bytes.fromhex("12010002090001400b0409250100010000010902190001010"
                                "0e0320904000001090000000705810301000c")


def hub_records(bus: int, port: str, devnum: int) -> list[Record]:
    """An external USB 2.0 hub (7 ports) at `port`, with its interface, as a board's parent."""
    minor = (bus - 1) * 128 + devnum - 1
    syspath = port_syspath(bus, port)
    name = f"{bus}-{port}"
    dev = Record(
        syspath=syspath, node=f"bus/usb/{bus:03d}/{devnum:03d}",
        properties={"SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "DRIVER": "usb",
                    "DEVNAME": f"/dev/bus/usb/{bus:03d}/{devnum:03d}", "BUSNUM": f"{bus:03d}",
                    "DEVNUM": f"{devnum:03d}", "MAJOR": "189", "MINOR": str(minor), "PRODUCT": "40b/2509/100"},
        attributes={"busnum": str(bus), "devnum": str(devnum), "speed": "480", "dev": f"189:{minor}",
                    "devpath": port, "bConfigurationValue": "1", "bNumConfigurations": "1",
                    "bDeviceClass": "09", "idVendor": "040b", "idProduct": "2509", "maxchild": "7",
                    "product": "Emulated 7-port hub"},
        binary={"descriptors": HUB_DESCRIPTORS})
    itf = Record(syspath=f"{syspath}/{name}:1.0",
                 properties={"SUBSYSTEM": "usb", "DEVTYPE": "usb_interface", "DRIVER": "hub",
                             "INTERFACE": "9/0/0"},
                 attributes={"bInterfaceNumber": "00", "bInterfaceClass": "09", "bAlternateSetting": " 0",
                             "bNumEndpoints": "01"})
    return [dev, itf]


class DeviceNumbers:
    """Linux-like device numbers: each enumeration on a bus takes the next free number (2..127)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next: dict[int, int] = {}
        self.used: dict[int, set[int]] = {}

    def take(self, bus: int) -> int:
        with self.lock:
            used = self.used.setdefault(bus, {1})
            n = self.next.get(bus, 2)
            while n in used or host_has_udev_data(189, (bus - 1) * 128 + n - 1):
                n = n + 1 if n < 127 else 2
            used.add(n)
            self.next[bus] = n + 1 if n < 127 else 2
            return n

    def give_back(self, bus: int, devnum: int) -> None:
        with self.lock:
            self.used.get(bus, set()).discard(devnum)


@dataclass
class Enumeration:
    """One appearance of a device on the bus: its address, node and sysfs records."""
    bus: int
    port: str            # "2" or "1.4": the port path below the root hub
    devnum: int
    descriptors: DeviceDescriptors
    tty_index: int | None = None
    tty_udev: str = "normal"     # the tty's udev properties: normal, missing (no database) or stale
    usb_udev: str = "normal"     # the USB device's: normal, or missing (no ID_* from udev's database)

    @property
    def name(self) -> str:
        """The sysfs name and USB port path, e.g. `1-2`."""
        return f"{self.bus}-{self.port}"

    @property
    def devnode(self) -> str:
        return f"/dev/bus/usb/{self.bus:03d}/{self.devnum:03d}"

    @property
    def syspath(self) -> str:
        return port_syspath(self.bus, self.port)

    @property
    def tty_path(self) -> str | None:
        return None if self.tty_index is None else f"/dev/ttyACM{self.tty_index}"

    def id_properties(self) -> dict[str, str]:
        """The udev ID_* properties that udev's usb_id builtin gives the device and its children."""
        d = self.descriptors
        vendor, model = d.manufacturer.replace(" ", "_"), d.product_name.replace(" ", "_")
        return {"ID_BUS": "usb", "ID_VENDOR": vendor, "ID_VENDOR_ENC": d.manufacturer.replace(" ", "\\x20"),
                "ID_VENDOR_ID": f"{d.vendor:04x}", "ID_MODEL": model,
                "ID_MODEL_ENC": d.product_name.replace(" ", "\\x20"), "ID_MODEL_ID": f"{d.product:04x}",
                "ID_REVISION": f"{d.bcd_device:04x}", "ID_SERIAL": f"{vendor}_{model}_{d.serial}",
                "ID_SERIAL_SHORT": d.serial,
                "ID_PATH": f"pci-0000:00:14.0-usb-0:{self.port}",
                "ID_PATH_TAG": f"pci-0000_00_14_0-usb-0_{self.port.replace('.', '_')}"}

    def records(self) -> list[Record]:
        """Device, interfaces and (for a CDC app) the tty, parents first."""
        d = self.descriptors
        minor = (self.bus - 1) * 128 + self.devnum - 1
        ids = self.id_properties()
        dev = Record(
            syspath=self.syspath, node=self.devnode[len("/dev/"):],
            properties={"SUBSYSTEM": "usb", "DEVTYPE": "usb_device", "DRIVER": "usb",
                        "DEVNAME": self.devnode, "BUSNUM": f"{self.bus:03d}", "DEVNUM": f"{self.devnum:03d}",
                        "MAJOR": "189", "MINOR": str(minor),
                        "PRODUCT": f"{d.vendor:x}/{d.product:x}/{d.bcd_device:x}",
                        "TYPE": "{}/{}/{}".format(*d.device_class), **(ids if self.usb_udev != "missing" else {})},
            attributes={"busnum": str(self.bus), "devnum": str(self.devnum), "speed": str(d.speed_mbps),
                        "dev": f"189:{minor}", "devpath": self.port, "bConfigurationValue": "1",
                        "bNumConfigurations": "1", "bNumInterfaces": f"{len(d.interfaces):2d}",
                        "bDeviceClass": f"{d.device_class[0]:02x}", "bMaxPacketSize0": "64",
                        "idVendor": f"{d.vendor:04x}", "idProduct": f"{d.product:04x}",
                        "bcdDevice": f"{d.bcd_device:04x}", "manufacturer": d.manufacturer,
                        "product": d.product_name, "serial": d.serial, "maxchild": "0",
                        "version": f"{d.bcd_usb >> 8:2x}.{d.bcd_usb & 0xff:02x}", "removable": "removable"},
            binary={"descriptors": d.sysfs_descriptors()})
        out = [dev]
        for itf in d.interfaces:
            props = {"SUBSYSTEM": "usb", "DEVTYPE": "usb_interface",
                     "INTERFACE": f"{itf.cls}/{itf.subclass}/{itf.protocol}",
                     "PRODUCT": dev.properties["PRODUCT"], "TYPE": dev.properties["TYPE"]}
            if itf.driver:
                props["DRIVER"] = itf.driver
            out.append(Record(
                syspath=f"{self.syspath}/{self.name}:1.{itf.number}", properties=props,
                attributes={"bInterfaceNumber": f"{itf.number:02x}", "bInterfaceClass": f"{itf.cls:02x}",
                            "bInterfaceSubClass": f"{itf.subclass:02x}",
                            "bInterfaceProtocol": f"{itf.protocol:02x}", "bAlternateSetting": " 0",
                            "bNumEndpoints": f"{len(itf.endpoints):02x}"}))
        if self.tty_index is not None:
            name = f"ttyACM{self.tty_index}"
            out.append(Record(
                syspath=f"{self.syspath}/{self.name}:1.0/tty/{name}", node=name,
                properties=self.tty_properties(name, ids), attributes={"dev": f"166:{self.tty_index}"}))
        return out

    def tty_properties(self, name: str, ids: dict[str, str]) -> dict[str, str]:
        """What libudev reports for the tty: the kernel's uevent plus udev's database entry, which
        `tty_udev` can leave out (no udevd, as in a container) or make stale (an entry left by an
        earlier device with the same minor: another vendor, serial and interface)."""
        kernel = {"SUBSYSTEM": "tty", "DEVNAME": f"/dev/{name}", "MAJOR": "166", "MINOR": str(self.tty_index)}
        if self.tty_udev == "missing":
            return kernel
        if self.tty_udev == "stale":
            return {**kernel, "ID_BUS": "usb", "ID_VENDOR_ID": "1209", "ID_MODEL_ID": "0003", "ID_MODEL": "Other",
                    "ID_SERIAL_SHORT": "X", "ID_SERIAL": "Other_Other_X", "ID_USB_INTERFACE_NUM": "02",
                    "ID_PATH": "pci-0000:00:14.0-usb-0:9", "USEC_INITIALIZED": "1000000"}
        return {**kernel, **ids, "ID_USB_INTERFACE_NUM": "00",
                "ID_USB_INTERFACES": ":020200:0a0000:ff0001:", "ID_USB_DRIVER": "cdc_acm",
                "ID_USB_CLASS_FROM_DATABASE": "Miscellaneous Device",
                "ID_MM_DEVICE_IGNORE": "1", "ID_MM_CANDIDATE": "0",
                "DEVLINKS": f"/dev/serial/by-id/usb-{ids['ID_SERIAL']}-if00 "
                            f"/dev/serial/by-path/{ids['ID_PATH']}:1.0",
                "TAGS": ":systemd:", "CURRENT_TAGS": ":systemd:",
                "USEC_INITIALIZED": "1000000"}
