"""A pty-backed `/dev/ttyACM*`: the app's CDC port as a program on the host sees it.

umockdev backs a tty record with a pty and keeps the master side. An ioctl handler on the node
lets the harness see DTR/RTS (what cdc_acm turns into SET_CONTROL_LINE_STATE); every other tty
ioctl runs on the client's pty as on a real tty. glibc's tcsetattr() calls ioctl() internally,
out of the preload's reach, so the line coding (SET_LINE_CODING, the 1200-baud touch) is read
from the pty itself: the master side sees the speed the client set on its side.
"""
from __future__ import annotations

import errno
import fcntl
import os
import sys
import select
import struct
import termios
import threading
import tty as ttymod
from typing import Callable

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import GLib, UMockdev  # noqa: E402

TIOCMGET, TIOCMBIS, TIOCMBIC, TIOCMSET = 0x5415, 0x5416, 0x5417, 0x5418
TIOCVHANGUP, TIOCGPTPEER = 0x5437, 0x5441
TIOCM_DTR, TIOCM_RTS, TIOCM_CTS, TIOCM_CAR, TIOCM_DSR = 0x002, 0x004, 0x020, 0x040, 0x100
DEBUG = bool(os.environ.get("PICOHARNESS_DEBUG"))
BAUD_CODES = {getattr(termios, n): int(n[1:]) for n in dir(termios)
              if n.startswith("B") and n[1:].isdigit()}


class TtyHandler(UMockdev.IoctlBase):
    """Ioctl handler of one emulated ttyACM: modem lines and line coding, the rest passed through."""

    def __init__(self, on_lines: Callable[[bool, bool], None]):
        super().__init__()
        self.on_lines = on_lines
        self.lines = 0
        self.gone = False
        # Called before each modem-line request: the port reads the line coding then, so a
        # 1200-baud touch (tcsetattr, then DTR dropped or the port closed) is seen in order,
        # whatever the polling does on a loaded machine.
        self.before_lines: Callable[[], None] | None = None

    def do_handle_ioctl(self, client) -> bool:
        request = client.get_request()
        if DEBUG:
            print(f"tty ioctl {request:#x}", file=sys.stderr, flush=True)
        try:
            if self.gone:
                client.complete(-1, errno.EIO)
                return True
            if request in (TIOCMGET, TIOCMBIS, TIOCMBIC, TIOCMSET):
                if self.before_lines:
                    self.before_lines()
                data = client.get_arg().resolve(0, 4)
                if request == TIOCMGET:
                    data.update(0, struct.pack("<i", self.lines | TIOCM_CTS | TIOCM_CAR | TIOCM_DSR))
                else:
                    bits = struct.unpack("<i", bytes(data.retrieve())[:4])[0]
                    new = {TIOCMBIS: self.lines | bits, TIOCMBIC: self.lines & ~bits,
                           TIOCMSET: bits}[request] & (TIOCM_DTR | TIOCM_RTS)
                    changed = new != self.lines
                    self.lines = new
                    if changed:
                        self.on_lines(bool(new & TIOCM_DTR), bool(new & TIOCM_RTS))
                client.complete(0, 0)
                return True
            result, err = client.execute()
            client.complete(result, err)
        except GLib.Error as e:               # the client vanished mid-call
            del e
        return True


class PtyPort:
    """The board's side of one ttyACM: bytes to the host, bytes from the host, DTR state."""

    def __init__(self, master_fd: int, on_host_data: Callable[[bytes], None],
                 on_baud: Callable[[int], None] | None = None):
        self.fd = master_fd
        self.on_baud = on_baud
        self.baud = None
        self.baud_lock = threading.Lock()
        attrs = termios.tcgetattr(self.fd)
        ttymod.setraw(self.fd)
        del attrs
        os.set_blocking(self.fd, False)
        self.on_host_data = on_host_data
        self.dropped = 0
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True, name=f"pty{master_fd}")
        self.thread.start()

    def write(self, data: bytes) -> int:
        """Queues bytes for the host; what does not fit the pty buffer is dropped and counted."""
        total = 0
        while total < len(data) and not self.closed.is_set():
            try:
                total += os.write(self.fd, data[total:])
            except BlockingIOError:
                r, w, _ = select.select([], [self.fd], [], 0.2)
                if not w:
                    break
            except OSError:
                break
        self.dropped += len(data) - total
        return total

    def check_baud(self) -> None:
        """Reports a change of the speed the host set on its side (polled, and on DTR requests)."""
        with self.baud_lock:
            try:
                speed = termios.tcgetattr(self.fd)[5]
            except (termios.error, OSError):
                return
            baud = BAUD_CODES.get(speed)
            if self.baud is None:
                self.baud = baud
                return
            if baud == self.baud:
                return
            self.baud = baud
        if self.on_baud and baud is not None:
            self.on_baud(baud)

    def _pump(self) -> None:
        while not self.closed.is_set():
            self.check_baud()
            try:
                r, _, _ = select.select([self.fd], [], [], 0.05)
            except (OSError, ValueError):
                return
            if not r:
                continue
            try:
                chunk = os.read(self.fd, 4096)
            except BlockingIOError:
                continue
            except OSError:
                # EIO: no process holds the slave side open right now.
                self.closed.wait(0.02)
                continue
            if chunk:
                self.on_host_data(chunk)

    def hang_up(self) -> None:
        """What cdc_acm does to the tty when the board leaves: every file the host has open on it is
        hung up (read returns 0, write EIO, poll POLLHUP; unread input is dropped). The slave side,
        opened through the master (TIOCGPTPEER), gets TIOCVHANGUP, which needs CAP_SYS_ADMIN; without
        it the tty stays as it was and only the remove uevent tells the host."""
        try:
            peer = fcntl.ioctl(self.fd, TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            fcntl.ioctl(peer, TIOCVHANGUP)
        except OSError:
            pass
        finally:
            os.close(peer)

    def close(self) -> None:
        """Stops the pump; the testbed closes the master side when it removes the tty."""
        self.closed.set()
        self.thread.join(timeout=1)
