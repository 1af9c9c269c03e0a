"""The host side of an rp2040py chip's USB device controller, at transaction level.

rp2040py models the RP2040's USB controller from the device side only. `HostLink` plays the
host: bus reset, control transfers (setup, data and status stages), bulk and interrupt packets.
It corrects what the model leaves out (each fix is small and named in `patch_controller`):

- OUT data goes only to buffers the firmware armed, one packet per completion, in the half
  (buffer 0 or 1 of a double-buffered endpoint) the firmware armed; otherwise it waits (NAK).
- BUFF_CPU_SHOULD_HANDLE reports which half completed.
- Only the bus reset the host drives counts (the model signals one on any write-1-to-clear).
- A STALL armed on EP0 counts only in the direction the host uses next.
- IN packets that arrive with no transfer pending are kept for the next one.

Every method runs on the emulator's engine-room thread; other threads call `submit()`.
"""
from __future__ import annotations

import os
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from .device import EPIPE, Transfer

AVAILABLE, FULL, STALL, SEL, LEN = 1 << 10, 1 << 15, 1 << 11, 1 << 12, 0x3FF
EP0_IN_BC, EP0_OUT_BC = 0x80, 0x84
BUFF_STATUS, BUFF_CPU_SHOULD_HANDLE, EP_STALL_ARM = 0x58, 0x5C, 0x68
DOUBLE_BUF = 1 << 30
DEBUG = bool(os.environ.get("PICOHARNESS_DEBUG"))


def _log(*parts) -> None:
    if DEBUG:
        print("link:", *parts, file=sys.stderr, flush=True)


@dataclass
class _Control:
    transfer: Transfer
    phase: str = "setup"            # data_in | data_out | status_in | status_out
    data: bytearray = field(default_factory=bytearray)
    out_left: bytes = b""


class HostLink:
    """Drives one emulated chip's USB device as a host would (see the module comment)."""

    def __init__(self, simulator, on_enabled: Callable[[], None], on_gone: Callable[[], None]):
        self.sim = simulator
        self.mcu = simulator.rp2040
        self.usb = self.mcu.usb_ctrl
        self.on_enabled = on_enabled
        self.on_gone = on_gone
        self.lock = threading.RLock()
        self.expect_reset = False
        self.reset_due = 0
        self.reset_done: Callable[[], None] | None = None
        self.ctrl_queue: deque[_Control] = deque()
        self.ctrl: _Control | None = None
        self.in_packets: dict[int, deque[bytes]] = {}
        self.in_urbs: dict[int, deque[Transfer]] = {}
        self.in_acc: dict[int, bytearray] = {}
        self.out_urbs: dict[int, deque[list]] = {}          # ep -> [transfer, remaining packets]
        self.next_half: dict[int, int] = {}                  # ep -> half the hardware fills next
        self.next_in_half: dict[int, int] = {}               # ep -> half the hardware sends next
        self.in_busy: set[int] = set()                       # ep with a sent packet not yet seen
        self.out_busy: set[int] = set()                      # ep with a packet the CPU has not taken
        self.should_handle = 0
        self.halted: set[int] = set()
        self.bus_resets = 0
        self.patch_controller()

    # Patches on the controller instance ------------------------------------------------------
    def patch_controller(self) -> None:
        usb = self.usb
        original_dpram_updated = usb.dpram_updated
        original_read = usb.read_uint32
        original_write = usb.write_uint32

        def dpram_updated(offset: int, value: int) -> None:
            if not usb._host_mode and EP0_IN_BC <= offset <= 0xFC:
                self._buffer_control_written(offset, value)
                endpoint, out = (offset - EP0_IN_BC) >> 3, bool(offset & 4)
                if out or endpoint:
                    # Served by this link: both halves, one packet per completion.
                    return
            original_dpram_updated(offset, value)

        def read_uint32(offset: int) -> int:
            if offset == BUFF_CPU_SHOULD_HANDLE:
                return self.should_handle
            return original_read(offset)

        def write_uint32(offset: int, value: int) -> None:
            original_write(offset, value)
            if offset == BUFF_STATUS:
                cleared = usb.raw_write_value
                for ep in list(self.out_busy):
                    if cleared & (1 << (ep * 2 + 1)):
                        self.out_busy.discard(ep)
                        self._pump_out(ep)
                for ep in list(self.in_busy):
                    if cleared & (1 << (ep * 2)):
                        self.in_busy.discard(ep)
                        self._send_in(ep)

        usb.dpram_updated = dpram_updated
        usb.read_uint32 = read_uint32
        usb.write_uint32 = write_uint32
        usb.on_usb_enabled = self._usb_enabled
        usb.on_reset_received = self._reset_received
        usb.on_endpoint_write = self._endpoint_write
        usb.on_endpoint_read = lambda ep, size: None      # OUT arming is seen in dpram_updated

    # Bus ---------------------------------------------------------------------------------------
    def _usb_enabled(self) -> None:
        _log("usb enabled")
        self.on_enabled()

    def bus_reset(self, then: Callable[[], None]) -> None:
        """Drives a bus reset (~10 ms of chip time); `then` runs once the firmware has seen it."""
        self.expect_reset = True
        self.reset_due = self.mcu.clock.nanos + 10_000_000
        self.reset_done = then
        self.usb.reset_device()

    def _reset_received(self) -> None:
        _log(f"reset received (expected: {self.expect_reset})")
        if not self.expect_reset or self.mcu.clock.nanos < self.reset_due:
            return                         # the firmware clearing the flag, not the host's reset
        self.expect_reset = False
        self.bus_resets += 1
        self.forget_all(-EPIPE)
        done, self.reset_done = self.reset_done, None
        if done:
            done()

    def forget_all(self, status: int) -> None:
        """Fails every transfer in flight (bus reset, unplug)."""
        pending = []
        if self.ctrl:
            pending.append(self.ctrl.transfer)
        pending += [c.transfer for c in self.ctrl_queue]
        pending += [t for q in self.in_urbs.values() for t in q]
        pending += [u[0] for q in self.out_urbs.values() for u in q]
        self.ctrl, self.ctrl_queue = None, deque()
        self.in_urbs, self.out_urbs, self.in_acc, self.in_packets = {}, {}, {}, {}
        self.next_half, self.out_busy, self.next_in_half, self.in_busy = {}, set(), {}, set()
        for t in pending:
            t.complete(status)

    # Entry point from other threads -----------------------------------------------------------
    def submit(self, t: Transfer) -> None:
        """Queues a transfer; it completes from the engine-room thread."""
        self.sim.schedule_threadsafe(lambda: self._submit(t))

    def _submit(self, t: Transfer) -> None:
        _log(f"submit ep{t.endpoint:02x} kind{t.kind} len{t.length} {t.setup or t.data[:16].hex()}")
        if t.status is not None:
            return                          # discarded meanwhile
        if t.kind == 2:
            self.ctrl_queue.append(_Control(t))
            self._next_control()
            return
        ep = t.endpoint & 0x7F
        if t.endpoint in self.halted:
            t.complete(-EPIPE)
        elif t.is_in:
            self.in_urbs.setdefault(ep, deque()).append(t)
            self._pump_in(ep)
        else:
            data = t.data
            packets = [data[i:i + 64] for i in range(0, len(data), 64)] or [b""]
            self.out_urbs.setdefault(ep, deque()).append([t, deque(packets)])
            self._pump_out(ep)

    def cancel(self, t: Transfer) -> None:
        """Forgets a discarded transfer (engine-room side)."""
        def drop():
            for q in self.in_urbs.values():
                if t in q:
                    q.remove(t)
            for q in self.out_urbs.values():
                for u in list(q):
                    if u[0] is t:
                        q.remove(u)
        self.sim.schedule_threadsafe(drop)

    def clear_halt(self, endpoint: int) -> None:
        self.halted.discard(endpoint)

    # Control transfers -------------------------------------------------------------------------
    def _next_control(self) -> None:
        if self.ctrl is not None or not self.ctrl_queue:
            return
        c = self.ctrl = self.ctrl_queue.popleft()
        s = c.transfer.setup
        raw = bytes([s.request_type, s.request]) + s.value.to_bytes(2, "little") + \
            s.index.to_bytes(2, "little") + s.length.to_bytes(2, "little")
        if s.device_to_host:
            c.phase = "data_in" if s.length else "status_out"
        else:
            c.out_left = bytes(c.transfer.data[:s.length])
            c.phase = "data_out" if c.out_left else "status_in"
        self.usb.send_setup_packet(raw)

    def _finish_control(self, status: int, data: bytes = b"") -> None:
        c, self.ctrl = self.ctrl, None
        if c:
            c.transfer.complete(status, data)
        self._next_control()

    def _ep0_out_ready(self) -> None:
        c = self.ctrl
        if c is None or not self._bc(0, True) & AVAILABLE:
            return
        if c.phase == "data_out":
            chunk, c.out_left = c.out_left[:64], c.out_left[64:]
            self._deliver_out(0, 0, chunk)
            if not c.out_left:
                c.phase = "status_in"
        elif c.phase == "status_out":
            self._deliver_out(0, 0, b"")
            self._finish_control(0, bytes(c.data))

    # Device-side events ------------------------------------------------------------------------
    def _buffer_control_written(self, offset: int, value: int) -> None:
        endpoint, out = (offset - EP0_IN_BC) >> 3, bool(offset & 4)
        _log(f"bc ep{endpoint} {'out' if out else 'in'} {value:08x}")
        if value & STALL:
            self._stall(endpoint, out)
        if not out:
            if endpoint:
                if value & SEL and value & AVAILABLE:
                    self.next_in_half[endpoint] = 0
                self._send_in(endpoint)
            return
        if endpoint == 0:
            self._ep0_out_ready()
            return
        if value & SEL and value & AVAILABLE:
            self.next_half[endpoint] = 0        # first buffer after a reset: buffer 0
        self._pump_out(endpoint)

    def _stall(self, endpoint: int, out: bool) -> None:
        if endpoint == 0:
            c = self.ctrl
            if c is None:
                return
            uses_out = c.phase in ("data_out", "status_out")
            if uses_out == out:
                self._finish_control(-EPIPE)
            return
        address = endpoint if out else endpoint | 0x80
        self.halted.add(address)
        queue = self.out_urbs.pop(endpoint, deque()) if out else self.in_urbs.pop(endpoint, deque())
        for item in queue:
            (item[0] if out else item).complete(-EPIPE)

    def _endpoint_write(self, endpoint: int, buffer) -> None:
        data = bytes(buffer)
        _log(f"IN ep{endpoint} {data[:16].hex()} ({len(data)})")
        if endpoint == 0:
            c = self.ctrl
            if c is None:
                return
            if c.phase == "data_in":
                c.data += data
                if len(data) < 64 or len(c.data) >= c.transfer.setup.length:
                    c.phase = "status_out"
                    self._ep0_out_ready()
            elif c.phase == "status_in" and not data:
                self._finish_control(0)
            return
        self.in_packets.setdefault(endpoint, deque()).append(data)
        self._pump_in(endpoint)

    def _pump_in(self, ep: int) -> None:
        urbs, packets = self.in_urbs.get(ep), self.in_packets.get(ep)
        while urbs and packets:
            t = urbs[0]
            acc = self.in_acc.setdefault(ep, bytearray())
            packet = packets.popleft()
            acc += packet
            if len(packet) < 64 or len(acc) >= t.length:
                urbs.popleft()
                del self.in_acc[ep]
                t.complete(0, bytes(acc))

    def _pump_out(self, ep: int) -> None:
        """Hands the next OUT packet to the half the firmware armed next, one packet at a time;
        an unarmed half NAKs (the packet waits for the firmware's next write)."""
        urbs = self.out_urbs.get(ep)
        if not urbs or ep in self.out_busy:
            return
        half = self.next_half.get(ep, 0)
        if not (self._bc(ep, True) >> (16 * half)) & AVAILABLE:
            return
        item = urbs[0]
        packet = item[1].popleft()
        self._deliver_out(ep, half, packet)
        if self._endpoint_control(ep, True) & DOUBLE_BUF:
            self.next_half[ep] = half ^ 1
        if not item[1]:
            urbs.popleft()
            item[0].complete(0)

    def _send_in(self, ep: int) -> None:
        """Sends the next armed IN half (the model serves only buffer 0), one per completion."""
        if ep in self.in_busy:
            return
        half = self.next_in_half.get(ep, 0)
        bc = self._bc(ep, False)
        if not (bc >> (16 * half)) & AVAILABLE:
            return
        shift = 16 * half
        n = (bc >> shift) & LEN
        base = self._endpoint_control(ep, False) & 0xFFC0
        data = bytes(self.mcu.usb_dpram[base + 64 * half: base + 64 * half + n])
        bc &= ~((AVAILABLE | FULL | SEL) << shift)
        off = EP0_IN_BC + ep * 8
        self.mcu.usb_dpram[off:off + 4] = bc.to_bytes(4, "little")
        if self._endpoint_control(ep, False) & DOUBLE_BUF:
            self.next_in_half[ep] = half ^ 1
        self.in_busy.add(ep)
        if half:
            self.should_handle |= 1 << (ep * 2)
        else:
            self.should_handle &= ~(1 << (ep * 2))
        self.usb._indicate_buffer_ready(ep, False)
        self._endpoint_write(ep, data)

    def _bc(self, ep: int, out: bool) -> int:
        off = EP0_IN_BC + ep * 8 + (4 if out else 0)
        return int.from_bytes(self.mcu.usb_dpram[off:off + 4], "little")

    def _endpoint_control(self, endpoint: int, out: bool) -> int:
        off = 0x8 + 8 * (endpoint - 1) + (4 if out else 0)
        return int.from_bytes(self.mcu.usb_dpram[off:off + 4], "little")

    def _deliver_out(self, ep: int, half: int, packet: bytes) -> None:
        """Fills one armed half of an OUT endpoint and signals it, as the hardware does."""
        dpram = self.mcu.usb_dpram
        bc_off = EP0_OUT_BC + ep * 8
        bc = int.from_bytes(dpram[bc_off:bc_off + 4], "little")
        base = 0x100 if ep == 0 else self._endpoint_control(ep, True) & 0xFFC0
        shift = 16 * half
        n = min(len(packet), (bc >> shift) & LEN)
        dpram[base + 64 * half: base + 64 * half + n] = packet[:n]
        bc = (bc & ~((LEN | AVAILABLE | SEL) << shift)) | ((FULL | n) << shift)
        dpram[bc_off:bc_off + 4] = bc.to_bytes(4, "little")
        _log(f"deliver ep{ep} half{half} n={n} base={base:x} bc={bc:08x} {packet[:16].hex()}")
        if ep:
            self.out_busy.add(ep)
        if half:
            self.should_handle |= 1 << (ep * 2 + 1)
        else:
            self.should_handle &= ~(1 << (ep * 2 + 1))
        self.usb._indicate_buffer_ready(ep, True)
