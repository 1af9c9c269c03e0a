"""A pico-sdk app with `stdio_usb`, modelled: CDC-ACM requests, the reset interface, printf output.

The program it stands for prints a banner when the host raises DTR, then `tick N` lines every
`heartbeat` seconds while DTR is up, and answers each line the host sends with `echo: LINE`.
Output is dropped while DTR is low, as the SDK does. The reset interface's RESET_TO_BOOTSEL and
RESET_TO_FLASH (and the 1200-baud touch, seen through the tty) reboot the board.
"""
from __future__ import annotations

import struct
import threading

from .descriptors import DeviceDescriptors
from .device import Setup, Stall, Transfer, UsbFunction


class AppModel(UsbFunction):
    """The USB side of the app: control requests of the CDC and reset interfaces."""

    def __init__(self, descriptors: DeviceDescriptors, board):
        super().__init__(descriptors)
        self.board = board
        self.line_coding = struct.pack("<IBBB", 115200, 0, 0, 8)
        self.pending: list[Transfer] = []

    def vendor_or_class_request(self, s: Setup, data: bytes) -> bytes:
        if (s.request_type & 0x1F) != 1:
            raise Stall()
        itf = s.index & 0xFF
        if itf == 2 and s.request in (1, 2):                 # reset interface
            if s.request == 1:
                self.board.reboot("bootsel", 0.01, disable_mask=s.value & 0x7F)
            else:
                self.board.reboot("flash", 0.1)
            return b""
        if itf == 0:
            if s.request == 0x20:                            # SET_LINE_CODING
                self.line_coding = bytes(data[:7])
                baud = struct.unpack_from("<I", self.line_coding)[0]
                if baud == 1200:
                    self.board.reboot("bootsel", 0.01)
                return b""
            if s.request == 0x21:                            # GET_LINE_CODING
                return self.line_coding
            if s.request == 0x22:                            # SET_CONTROL_LINE_STATE
                self.board.set_lines(bool(s.value & 1), bool(s.value & 2))
                return b""
        raise Stall()

    def submit_data(self, t: Transfer) -> None:
        if t.is_in:
            self.pending.append(t)                           # the tty path carries the data
        else:
            t.complete(0)

    def cancel(self, t: Transfer) -> None:
        if t in self.pending:
            self.pending.remove(t)


class AppProgram:
    """What the modelled app prints: banner on DTR, heartbeat ticks, echoes of host lines."""

    def __init__(self, board, heartbeat: float):
        self.board = board
        self.heartbeat = heartbeat
        self.ticks = 0
        self.line = bytearray()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"app{board.index}")
        self.thread.start()

    def on_dtr(self, up: bool) -> None:
        if up:
            self.board.print_line(f"picoctl-sim app on {self.board.chip} serial {self.board.serial} "
                                  f"boot {self.board.boots}")

    def on_host_data(self, data: bytes) -> None:
        for b in data:
            if b in (10, 13):
                if self.line:
                    self.board.print_line("echo: " + self.line.decode(errors="replace"))
                    self.line.clear()
            else:
                self.line.append(b)

    def _run(self) -> None:
        while self.heartbeat > 0 and not self.stop.wait(self.heartbeat):
            if self.board.dtr:
                self.ticks += 1
                self.board.print_line(f"tick {self.ticks}")

    def close(self) -> None:
        self.stop.set()
