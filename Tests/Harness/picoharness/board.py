"""One emulated board on the bus: its identity, flash, mode, and what the host sees of it.

A board enumerates as a BOOTSEL device or as a pico-sdk app (with its ttyACM), and goes away
and comes back on unplug, reboot and reset: each appearance gets the next device number on
the same port path, like on Linux. Sim boards use the Python bootrom and app models; the
rp2040py backend (see `rp2040_backend`) plugs into the same `connect()`/`disconnect()` calls.
"""
from __future__ import annotations

import os
import struct
import threading
import time
from dataclasses import dataclass, field

from . import descriptors as desc
from .app_model import AppModel, AppProgram
from .flash import Flash, bootable, crc32_mpeg2
from .picoboot_model import Faults, PicobootModel, Timing
from .testbed import Testbed
from .tty import PtyPort, TtyHandler
from .usbbus import DeviceNumbers, Enumeration, TtyNumbers
from .usbdevfs import UsbDevfsHandler

RP2040_BOOTSEL_SERIAL = "E0C912D24340"     # the same on every RP2040 in BOOTSEL
RAM_APP_SERIAL = "EEEEEEEEEEEEEEEE"
DENIED_NODE_TARGET = "/sys/devices/system/cpu/online"


def sim_program_image() -> bytes:
    """A stand-in for a flashed program: a boot2 whose CRC the RP2040 bootrom accepts, then a tag."""
    boot2 = b"picoctl-sim boot2".ljust(252, b"\0")
    return boot2 + crc32_mpeg2(boot2).to_bytes(4, "little") + b"picoctl-sim app".ljust(256, b"\0")

@dataclass
class BoardOptions:
    """How a board is built and behaves; every field can be set from the control channel."""
    chip: str = "rp2040"
    mode: str = "bootsel"                   # initial mode: bootsel | app | off
    flash_size: int = 2 * 1024 * 1024
    flash_devinfo: int | None = None          # RP2350 GET_INFO flash device word; None: as OTP would hold it
    heartbeat: float = 0.5                  # app: seconds between "tick N" lines (0 = none)
    reenumerate_gap: float = 0.05           # seconds between disconnect and re-enumeration
    app_product: str = "Pico"
    tty_udev: str = "normal"                # the tty's udev properties: normal | missing | stale
    usb_udev: str = "normal"                # the USB device's udev properties: normal | missing (no ID_*, no udevd)
    app_usb: bool = True                    # False: the program in flash runs without USB (no device appears)
    timing: Timing = field(default_factory=Timing)
    faults: Faults = field(default_factory=Faults)
    partition_table: dict | None = None     # RP2350: picotool partition-table JSON the bootrom has loaded
    otp: dict = field(default_factory=dict)  # RP2350: OTP row (decimal string) -> raw 24-bit value
    otp_locks: dict = field(default_factory=dict)  # RP2350: OTP page (decimal string) -> lock level
    rom_version: int = 3                    # RP2350: the bootrom's version byte (2 A2, 3 A3, 4 A4)


class Board:
    """A simulated board: Python bootrom model in BOOTSEL, Python app model when running."""

    kind = "sim"

    def __init__(self, index: int, port: str, testbed: Testbed, numbers: DeviceNumbers,
                 ttys: TtyNumbers, options: BoardOptions, events, bus: int = 1):
        self.index, self.port, self.bus = index, port, bus
        self.testbed, self.numbers, self.ttys = testbed, numbers, ttys
        self.options = options
        self.chip = options.chip
        base = 0xE660_5481_DB48_4600 if self.chip == "rp2040" else 0x7B1C_2D3E_0035_0100
        self.unique_id = base + index
        self.flash = Flash(options.flash_size, self.unique_id, options.flash_devinfo)
        self.events = events                     # callable(dict)
        self.lock = threading.RLock()
        self.mode = "off"
        self.visible = False
        self.ram_app = False
        self.boots = 0
        self.dtr = self.rts = False
        self.host_rx = bytearray()
        self.enum: Enumeration | None = None
        self.records: list = []
        self.handler: UsbDevfsHandler | None = None
        self.function = None
        self.tty_handler: TtyHandler | None = None
        self.pty: PtyPort | None = None
        self.program: AppProgram | None = None
        self.deny_errno = 0

    # Identity ------------------------------------------------------------------------------------
    @property
    def serial(self) -> str:
        """The USB serial of the current mode (RP2040 BOOTSEL: not unique)."""
        if self.mode == "bootsel" and self.chip == "rp2040":
            return RP2040_BOOTSEL_SERIAL
        if self.mode == "app" and self.ram_app:
            return RAM_APP_SERIAL
        return f"{self.unique_id:016X}"

    def describe(self) -> dict:
        """What tests need to know about the board right now."""
        e = self.enum if self.visible else None
        # A board counts as present once its uevents are out and its nodes are served.
        mode = self.mode if self.visible else "off"
        return {"index": self.index, "kind": self.kind, "chip": self.chip, "mode": mode,
                "serial": self.serial if self.mode != "off" else None,
                "unique_id": f"{self.unique_id:016X}", "port": f"{self.bus}-{self.port}",
                "bus": self.bus, "address": e.devnum if e else None, "devnode": e.devnode if e else None,
                "tty": e.tty_path if e else None, "dtr": self.dtr, "boots": self.boots,
                "commands": getattr(self.function, "commands", None),
                "usb": dict(self.handler.stats) if self.handler else None}

    # Enumeration -----------------------------------------------------------------------------------
    def connect(self, mode: str, disable_mask: int = 0, descriptors=None, function=None,
                tty: bool | None = None) -> None:
        """Appears on the bus in `mode` ("bootsel" or "app"), with uevents and, for an app, a tty.

        Backends that read real descriptors pass `descriptors` and the `function` serving them."""
        with self.lock:
            if self.mode != "off":
                return
            self.boots += 1
            self.mode = mode
            if descriptors is not None:
                d = descriptors
                self.function = function
            elif mode == "bootsel":
                d = desc.bootsel(self.chip, self.serial, disable_mask)
                self.function = self.make_bootsel_function(d)
            else:
                d = desc.app(self.chip, self.serial, self.options.app_product)
                self.function = self.make_app_function(d)
            drivers = {i.number: i.driver for i in d.interfaces if i.driver}
            with_tty = mode == "app" if tty is None else tty
            tty_index = self.ttys.take() if with_tty else None
            self.enum = Enumeration(self.bus, self.port, self.numbers.take(self.bus), d, tty_index,
                                    self.options.tty_udev, self.options.usb_udev)
            self.records = self.enum.records()
            self.handler = UsbDevfsHandler(self.function, drivers,
                                           os.path.join(self.testbed.root, self.enum.devnode.lstrip("/")))
            self.handler.deny_errno = self.deny_errno
            # The handler first: a program that scans sysfs at that moment (libusb_init) and opens
            # the node at once must find it served, or its ioctls reach a plain file (ENOTTY).
            self.testbed.attach(self.enum.devnode, self.handler)
            self.testbed.add(self.records, announce=False)
            if self.deny_errno:
                self._apply_deny()
            if tty_index is not None:
                self.tty_handler = TtyHandler(self.set_lines)
                self.testbed.attach(self.enum.tty_path, self.tty_handler)
                self.pty = PtyPort(self.testbed.tb.get_dev_fd(self.enum.tty_path), self.on_host_data,
                                   self.on_baud)
                self.tty_handler.before_lines = self.pty.check_baud
                self.start_program()
            self.testbed.announce("add", self.records)
            self.visible = True
            self.events({"board": self.index, "event": "connect", "mode": mode,
                         "devnode": self.enum.devnode, "tty": self.enum.tty_path, "serial": self.serial})

    def disconnect(self) -> None:
        """Leaves the bus: URBs in flight fail, the tty hangs up, remove uevents go out."""
        with self.lock:
            if self.mode == "off":
                return
            enum, records = self.enum, self.records
            self.visible = False
            if self.program:
                self.program.close()
                self.program = None
            if self.handler:
                self.handler.disconnect()
            if self.tty_handler:
                self.tty_handler.gone = True
            if self.pty:
                self.pty.hang_up()
                self.pty.close()
                self.pty = None
            self.testbed.remove(records)
            self.numbers.give_back(enum.bus, enum.devnum)
            if enum.tty_index is not None:
                self.ttys.give_back(enum.tty_index)
            self.mode, self.dtr, self.rts = "off", False, False
            self.enum = None
            self.stop_function()
            self.events({"board": self.index, "event": "disconnect", "devnode": enum.devnode,
                         "tty": enum.tty_path})

    def make_bootsel_function(self, d):
        return PicobootModel(self.chip, d, self.flash, self, self.options.timing, self.options.faults)

    def make_app_function(self, d):
        return AppModel(d, self)

    def start_program(self) -> None:
        self.program = AppProgram(self, self.options.heartbeat)

    def stop_function(self) -> None:
        """Hook for backends that run a CPU."""

    # Power and reboots ------------------------------------------------------------------------------
    def plug(self, bootsel: bool = False) -> None:
        """Powers the board: BOOTSEL when asked or when flash holds no bootable program."""
        self.ram_app = False
        self.connect("bootsel" if bootsel or not bootable(self.chip, self.flash) else "app")

    def unplug(self) -> None:
        """Cuts power: gone from the bus (RAM contents are lost)."""
        self.disconnect()

    def reboot(self, target: str, delay: float, disable_mask: int = 0) -> None:
        """Reboots after `delay` s into "flash" (app if bootable), "bootsel" or "ram" (RAM app)."""
        def run():
            self.disconnect()
            time.sleep(self.options.reenumerate_gap)
            if target == "bootsel":
                self.connect("bootsel", disable_mask)
            elif target == "ram":
                self.ram_app = True
                self.connect("app")
            else:
                self.ram_app = False
                if not bootable(self.chip, self.flash):
                    self.connect("bootsel")
                elif self.options.app_usb:
                    self.connect("app")
                else:                                 # runs, but shows nothing on USB
                    self.events({"board": self.index, "event": "running", "usb": False})
        threading.Timer(delay, run).start()

    def fault_disconnect(self) -> None:
        """An injected unplug (from inside a command): gone until `plug`."""
        self.events({"board": self.index, "event": "fault", "fault": "disconnect"})
        self.disconnect()

    def set_deny(self, err: int) -> None:
        """Fault: opening the node fails with EACCES (as without the udev rule) and every usbdevfs
        call fails with `err`; 0 clears it. It lasts across re-enumerations."""
        self.deny_errno = err
        if self.handler:
            self.handler.deny_errno = err
        if self.enum:
            self._apply_deny()

    def _apply_deny(self) -> None:
        # The harness runs as any user, often root, whom file modes do not stop; a read-only
        # kernel attribute refuses O_RDWR with EACCES to everyone, so the node points there.
        node = self.testbed.root + self.enum.devnode
        if os.path.lexists(node):
            os.unlink(node)
        if self.deny_errno:
            os.symlink(DENIED_NODE_TARGET, node)
        else:
            open(node, "wb").close()

    # The app's console -------------------------------------------------------------------------------
    def set_lines(self, dtr: bool, rts: bool) -> None:
        rising = dtr and not self.dtr
        self.dtr, self.rts = dtr, rts
        self.events({"board": self.index, "event": "lines", "dtr": dtr, "rts": rts})
        if rising and self.program:
            self.program.on_dtr(True)

    def on_baud(self, baud: int) -> None:
        self.events({"board": self.index, "event": "baud", "baud": baud})
        if baud == 1200 and self.mode == "app":
            self.reboot("bootsel", 0.01)

    def on_host_data(self, data: bytes) -> None:
        self.host_rx += data
        if self.program:
            self.program.on_host_data(data)

    def print_line(self, text: str) -> None:
        """The program's printf: reaches the host only while DTR is up, CRLF line ends."""
        self.write_console((text + "\r\n").encode(), force=False)

    def write_console(self, data: bytes, force: bool = True) -> int:
        """Bytes out of the board's CDC port; with `force` even while DTR is low."""
        pty = self.pty
        if pty is None or not (force or self.dtr):
            return 0
        return pty.write(data)


    # Backend-neutral helpers -------------------------------------------------------------------------
    def start_in_app(self) -> None:
        """Starts as if the board had been flashed and powered: running its app."""
        if not bootable(self.chip, self.flash):
            self.write_flash(0, sim_program_image())
        self.connect("app")

    def read_flash(self, offset: int, size: int) -> bytes:
        """Flash contents, for tests that check what a host wrote."""
        return self.flash.read(offset, size)

    def write_flash(self, offset: int, data: bytes) -> None:
        """Puts bytes into flash directly (erasing the sectors), as if flashed earlier."""
        self.flash.erase(offset - offset % 4096, (offset % 4096 + len(data) + 4095) // 4096 * 4096)
        self.flash.program(offset, data)

    def load_image(self, path: str) -> None:
        """Puts a program into flash as if flashed earlier: a BIN (from 0x10000000) or a UF2."""
        data = open(path, "rb").read()
        if data[:8] == b"UF2\nWQ]\x9e":
            for i in range(0, len(data) - 511, 512):
                block = data[i:i + 512]
                flags, addr, size = struct.unpack_from("<III", block, 8)
                if not flags & 1 and 0x1000_0000 <= addr < 0x1100_0000:
                    self.write_flash(addr - 0x1000_0000, block[32:32 + size])
        else:
            self.write_flash(0, data)

    def shutdown(self) -> None:
        """Harness exit."""
        self.disconnect()
