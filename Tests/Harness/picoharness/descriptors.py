"""USB descriptors of the boards the harness emulates: RP2040/RP2350 BOOTSEL and a pico-sdk app.

Bytes follow what real boards send (pico-facts.md §2 and §4): a BOOTSEL device with a mass
storage and a PICOBOOT interface, and a `stdio_usb` app with CDC-ACM plus the reset interface.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

VENDOR_RPI = 0x2E8A


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: address (bit 7 = IN), transfer type (2 bulk, 3 interrupt), packet size."""
    address: int
    kind: int = 2
    size: int = 64
    interval: int = 0

    def encode(self) -> bytes:
        return struct.pack("<BBBBHB", 7, 5, self.address, self.kind, self.size, self.interval)


@dataclass(frozen=True)
class Interface:
    """One interface with its class triple, endpoints and class-specific descriptors."""
    number: int
    cls: int
    subclass: int
    protocol: int
    endpoints: tuple[Endpoint, ...] = ()
    string_index: int = 0
    extra: bytes = b""
    driver: str = ""

    def encode(self) -> bytes:
        head = struct.pack("<BBBBBBBBB", 9, 4, self.number, 0, len(self.endpoints),
                           self.cls, self.subclass, self.protocol, self.string_index)
        return head + self.extra + b"".join(e.encode() for e in self.endpoints)


@dataclass(frozen=True)
class DeviceDescriptors:
    """Everything a host reads from a device at enumeration."""
    vendor: int
    product: int
    bcd_usb: int
    bcd_device: int
    device_class: tuple[int, int, int]
    interfaces: tuple[Interface, ...]
    strings: tuple[str, ...]            # index 1.. ; index 0 is the language list
    iad: bytes = b""
    max_power_2ma: int = 250
    speed_mbps: int = 12

    @property
    def manufacturer(self) -> str:
        return self.strings[0]

    @property
    def product_name(self) -> str:
        return self.strings[1]

    @property
    def serial(self) -> str:
        return self.strings[2]

    def device(self) -> bytes:
        """The 18-byte device descriptor."""
        c, s, p = self.device_class
        return struct.pack("<BBHBBBBHHHBBBB", 18, 1, self.bcd_usb, c, s, p, 64, self.vendor,
                           self.product, self.bcd_device, 1, 2, 3, 1)

    def configuration(self) -> bytes:
        """The full configuration descriptor with its interfaces and endpoints."""
        body = self.iad + b"".join(i.encode() for i in self.interfaces)
        head = struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), len(self.interfaces), 1, 0, 0x80,
                           self.max_power_2ma)
        return head + body

    def sysfs_descriptors(self) -> bytes:
        """What Linux shows in the `descriptors` sysfs attribute: device + configuration."""
        return self.device() + self.configuration()

    def string(self, index: int, langid: int = 0x0409) -> bytes | None:
        """String descriptor `index` (0 = supported languages), or None when absent."""
        if index == 0:
            return bytes([4, 3, 0x09, 0x04])
        if index > len(self.strings):
            return None
        text = self.strings[index - 1].encode("utf-16-le")
        return bytes([2 + len(text), 3]) + text


def bootsel(chip: str, serial: str, interfaces_disabled: int = 0) -> DeviceDescriptors:
    """A board in BOOTSEL: mass storage (unless disabled) and PICOBOOT, found by class 0xff/0/0."""
    itfs: list[Interface] = []
    if not interfaces_disabled & 1:
        itfs.append(Interface(len(itfs), 8, 6, 0x50, (Endpoint(0x81), Endpoint(0x02)),
                              driver="usb-storage"))
    if not interfaces_disabled & 2:
        itfs.append(Interface(len(itfs), 0xFF, 0, 0, (Endpoint(0x03), Endpoint(0x84))))
    rp2350 = chip == "rp2350"
    return DeviceDescriptors(
        vendor=VENDOR_RPI, product=0x000F if rp2350 else 0x0003,
        bcd_usb=0x0210 if rp2350 else 0x0110, bcd_device=0x0100, device_class=(0, 0, 0),
        interfaces=tuple(itfs), strings=("Raspberry Pi", "RP2 Boot", serial))


def app(chip: str, serial: str, product: str = "Pico") -> DeviceDescriptors:
    """A pico-sdk app with `stdio_usb`: CDC-ACM (interfaces 0, 1) and the reset interface (2)."""
    cdc_functional = (bytes([5, 0x24, 0x00, 0x20, 0x01])      # header, CDC 1.20
                      + bytes([5, 0x24, 0x01, 0x00, 0x01])    # call management
                      + bytes([4, 0x24, 0x02, 0x02])          # ACM: line coding + serial state
                      + bytes([5, 0x24, 0x06, 0x00, 0x01]))   # union: 0 controls 1
    itfs = (
        Interface(0, 2, 2, 0, (Endpoint(0x81, kind=3, size=8, interval=16),), 4, cdc_functional,
                  driver="cdc_acm"),
        Interface(1, 0x0A, 0, 0, (Endpoint(0x02), Endpoint(0x82)), driver="cdc_acm"),
        Interface(2, 0xFF, 0, 1, (), 5),
    )
    iad = bytes([8, 0x0B, 0, 2, 2, 2, 0, 0])
    return DeviceDescriptors(
        vendor=VENDOR_RPI, product=0x0009 if chip == "rp2350" else 0x000A, bcd_usb=0x0200,
        bcd_device=0x0100, device_class=(0xEF, 2, 1), interfaces=itfs, iad=iad,
        strings=("Raspberry Pi", product, serial, "Board CDC", "Reset"))

