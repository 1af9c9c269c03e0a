"""Descriptors read from a real (emulated) device, in the shape `usbbus.Enumeration` expects."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from .descriptors import Endpoint, Interface

DRIVERS = {(2, 2): "cdc_acm", (0x0A, 0): "cdc_acm", (8, 6): "usb-storage"}


@dataclass
class RawDescriptors:
    """Device and configuration descriptor bytes plus the three strings, as enumeration read them."""
    device_bytes: bytes
    config_bytes: bytes
    manufacturer: str
    product_name: str
    serial: str
    speed_mbps: int = 12

    @property
    def bcd_usb(self) -> int:
        return struct.unpack_from("<H", self.device_bytes, 2)[0]

    @property
    def device_class(self) -> tuple[int, int, int]:
        return tuple(self.device_bytes[4:7])

    @property
    def vendor(self) -> int:
        return struct.unpack_from("<H", self.device_bytes, 8)[0]

    @property
    def product(self) -> int:
        return struct.unpack_from("<H", self.device_bytes, 10)[0]

    @property
    def bcd_device(self) -> int:
        return struct.unpack_from("<H", self.device_bytes, 12)[0]

    @property
    def interfaces(self) -> tuple[Interface, ...]:
        """Alternate setting 0 of each interface, with its endpoints and the kernel driver Linux binds."""
        out: list[Interface] = []
        current, eps = None, []
        data, i = self.config_bytes, 0
        while i + 1 < len(data) and data[i] >= 2:
            length, kind = data[i], data[i + 1]
            if kind == 4 and length >= 9:
                if current is not None:
                    out.append(Interface(*current, tuple(eps), driver=DRIVERS.get(tuple(current[1:3]), "")))
                current, eps = (data[i + 2], data[i + 5], data[i + 6], data[i + 7]) if data[i + 3] == 0 else None, []
            elif kind == 5 and length >= 7 and current is not None:
                eps.append(Endpoint(data[i + 2], data[i + 3] & 3, struct.unpack_from("<H", data, i + 4)[0], data[i + 6]))
            i += length
        if current is not None:
            out.append(Interface(*current, tuple(eps), driver=DRIVERS.get(tuple(current[1:3]), "")))
        return tuple(out)

    def device(self) -> bytes:
        return self.device_bytes

    def configuration(self) -> bytes:
        return self.config_bytes

    def sysfs_descriptors(self) -> bytes:
        return self.device_bytes + self.config_bytes

    def string(self, index: int, langid: int = 0x0409) -> bytes | None:
        return None
