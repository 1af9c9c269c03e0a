"""What sits behind a usbdevfs node: a USB device function that answers transfers.

The usbdevfs handler turns each URB into a `Transfer` and hands it to a `UsbFunction`, which
completes it now or later, from any thread (an emulated CPU completes IN transfers when its
firmware has data). Standard requests (descriptors, configuration, halts) are answered here;
class and vendor requests go to the subclass.
"""
from __future__ import annotations

import errno
import struct
import threading
from dataclasses import dataclass, field
from typing import Callable

from .descriptors import DeviceDescriptors

EPIPE, ENOENT, ESHUTDOWN, ENODEV = errno.EPIPE, errno.ENOENT, errno.ESHUTDOWN, errno.ENODEV


class Stall(Exception):
    """The device answers a request with STALL."""


@dataclass(frozen=True)
class Setup:
    """An 8-byte control setup packet."""
    request_type: int
    request: int
    value: int
    index: int
    length: int

    @staticmethod
    def parse(raw: bytes) -> "Setup":
        return Setup(*struct.unpack("<BBHHH", raw[:8]))

    @property
    def device_to_host(self) -> bool:
        return bool(self.request_type & 0x80)


@dataclass(eq=False)
class Transfer:
    """One URB as the device sees it. `complete()` may be called once, from any thread."""
    endpoint: int                 # address; bit 7 = IN; 0 / 0x80 for control
    kind: int                     # 1 interrupt, 2 control, 3 bulk
    length: int                   # IN: bytes wanted; OUT: len(data)
    data: bytes = b""             # OUT payload (control: data stage)
    setup: Setup | None = None
    on_complete: Callable[["Transfer"], None] | None = None
    status: int | None = None     # 0 or -errno once complete
    result: bytes = b""           # IN payload once complete
    actual: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def is_in(self) -> bool:
        return bool(self.endpoint & 0x80)

    def complete(self, status: int = 0, data: bytes = b"", actual: int | None = None) -> bool:
        """Finishes the transfer; False when it was already finished (e.g. discarded)."""
        with self.lock:
            if self.status is not None:
                return False
            self.status = status
            self.result = data[: self.length] if self.is_in else b""
            self.actual = len(self.result) if self.is_in else (len(self.data) if actual is None else actual)
            if status != 0 and not self.is_in and actual is None:
                self.actual = 0
        if self.on_complete:
            self.on_complete(self)
        return True


class UsbFunction:
    """Base of every emulated device: standard requests, halts, and the hooks subclasses fill in."""

    def __init__(self, descriptors: DeviceDescriptors):
        self.descriptors = descriptors
        self.halted: set[int] = set()
        self.lock = threading.RLock()

    # Hooks -----------------------------------------------------------------------------------
    def vendor_or_class_request(self, setup: Setup, data: bytes) -> bytes:
        """Answers a class/vendor control request; raise `Stall` to refuse it."""
        raise Stall()

    def submit_data(self, transfer: Transfer) -> None:
        """Takes a bulk or interrupt transfer; complete it now or later."""
        transfer.complete(-EPIPE)

    def cancel(self, transfer: Transfer) -> None:
        """Forgets a transfer that the host discarded."""

    def bus_reset(self) -> None:
        """The host reset the device (USBDEVFS_RESET)."""
        self.halted.clear()

    def endpoint_halt_cleared(self, endpoint: int) -> None:
        """The host cleared a halt (CLEAR_FEATURE ENDPOINT_HALT)."""

    # Entry point for the usbdevfs handler ---------------------------------------------------
    def submit(self, transfer: Transfer) -> None:
        """Routes a transfer: control requests here, data transfers to `submit_data`."""
        if transfer.kind != 2:
            if transfer.endpoint in self.halted:
                transfer.complete(-EPIPE)
            else:
                self.submit_data(transfer)
            return
        setup = transfer.setup
        assert setup is not None
        try:
            answer = self.standard_request(setup, transfer.data)
            if answer is None:
                answer = self.vendor_or_class_request(setup, transfer.data)
        except Stall:
            transfer.complete(-EPIPE)
            return
        transfer.complete(0, answer[: setup.length] if setup.device_to_host else b"")

    def clear_halt(self, endpoint: int) -> None:
        """Clears a halt on the device side, as CLEAR_FEATURE(ENDPOINT_HALT) does."""
        self.halted.discard(endpoint)
        self.endpoint_halt_cleared(endpoint)

    def standard_request(self, s: Setup, data: bytes) -> bytes | None:
        """GET_DESCRIPTOR, configuration, interface, status and halt requests; None if not standard."""
        if s.request_type & 0x60:
            return None
        d = self.descriptors
        if s.request == 6 and s.device_to_host:                  # GET_DESCRIPTOR
            kind, index = s.value >> 8, s.value & 0xFF
            if kind == 1:
                return d.device()
            if kind == 2 and index == 0:
                return d.configuration()
            if kind == 3:
                answer = d.string(index)
                if answer is not None:
                    return answer
            raise Stall()
        if s.request == 0 and s.device_to_host:                  # GET_STATUS
            return b"\x00\x00"
        if s.request == 8 and s.device_to_host:                  # GET_CONFIGURATION
            return b"\x01"
        if s.request in (9, 11):                                 # SET_CONFIGURATION / SET_INTERFACE
            return b""
        if s.request == 1 and (s.request_type & 0x1F) == 2:      # CLEAR_FEATURE(ENDPOINT_HALT)
            self.clear_halt(s.index & 0xFF)
            return b""
        if s.request in (1, 3):                                  # other CLEAR/SET_FEATURE
            return b""
        raise Stall()
