"""usbdevfs served by the harness: the ioctls libusb issues on /dev/bus/usb/BBB/DDD.

One handler per enumerated device. It keeps URB state per client (one open file each),
refuses a second claimer with EBUSY, reports STALL as -EPIPE, and after an unplug fails every
call with ENODEV once the client has reaped what was pending. Completion: the device's transfer
is written back into the client's URB (status at offset 4, actual_length at 28, IN bytes into the
buffer), then REAPURBNDELAY points the client's argument at that URB.
"""
from __future__ import annotations

import errno
import os
import struct
import sys
import threading
from collections import deque

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import GLib, UMockdev  # noqa: E402

from .device import Setup, Transfer, UsbFunction  # noqa: E402

CONTROL, BULK_IOCTL, RESETEP, SETINTERFACE, SETCONFIGURATION = 0xC0185500, 0xC0185502, 0x80045503, 0x80085504, 0x80045505
GETDRIVER, SUBMITURB, DISCARDURB, REAPURB, REAPURBNDELAY = 0x41045508, 0x8038550A, 0x0000550B, 0x4008550C, 0x4008550D
CLAIMINTERFACE, RELEASEINTERFACE, CONNECTINFO, IOCTL = 0x8004550F, 0x80045510, 0x40085511, 0xC0105512
RESET, CLEAR_HALT, GET_CAPABILITIES, DISCONNECT_CLAIM, GET_SPEED = 0x5514, 0x80045515, 0x8004551A, 0x8108551B, 0x551F
IOCTL_DISCONNECT, IOCTL_CONNECT = 0x5516, 0x5517
CAPS = 0x01 | 0x04 | 0x08 | 0x10   # ZERO_PACKET, NO_PACKET_SIZE_LIM, BULK_SCATTER_GATHER, REAP_AFTER_DISCONNECT
URB_SIZE = 56
DEBUG = bool(os.environ.get("PICOHARNESS_DEBUG"))


class _Urb:
    """A submitted URB: the client's memory (struct and buffer) and the device's transfer."""

    def __init__(self, urb_data, buffer_data, transfer: Transfer, buffer_offset: int):
        self.urb_data = urb_data
        self.buffer_data = buffer_data
        self.transfer = transfer
        self.buffer_offset = buffer_offset   # 8 for control (the setup packet), else 0


class _Client:
    """Per-open-file state: claimed interfaces, URBs in flight and URBs ready to reap."""

    def __init__(self, client) -> None:
        self.client = client
        self.claimed: set[int] = set()
        self.in_flight: dict[int, _Urb] = {}     # client address -> URB
        self.done: deque[_Urb] = deque()


class UsbDevfsHandler(UMockdev.IoctlBase):
    """The usbdevfs ioctl handler of one enumerated device."""

    def __init__(self, function: UsbFunction, drivers: dict[int, str] | None = None,
                 node_path: str | None = None):
        super().__init__()
        self.function = function
        self.node_path = node_path               # the node's file in the testbed (what clients open)
        self.drivers = dict(drivers or {})       # interface -> kernel driver bound to it
        self.lock = threading.RLock()
        self.clients: dict[int, _Client] = {}
        self.owners: dict[int, int] = {}         # interface -> client key
        self.gone = False
        self.deny_errno = 0                       # fault: every call fails with this errno
        self.stats = {"submitted": 0, "reaped": 0, "ioctls": 0}

    # Lifecycle -------------------------------------------------------------------------------
    def disconnect(self) -> None:
        """Unplug: every URB in flight completes with -ESHUTDOWN; later calls fail with ENODEV."""
        with self.lock:
            self.gone = True
            urbs = [u for c in self.clients.values() for u in c.in_flight.values()]
        for u in urbs:
            u.transfer.complete(-errno.ESHUTDOWN)

    def do_client_vanished(self, client) -> None:
        if DEBUG:
            print(f"usbdevfs: client {id(client):x} vanished", file=sys.stderr, flush=True)
        self._forget_client(id(client))

    def _forget_client(self, key: int) -> None:
        """A client closed its file (or died): its claims go, its URBs are cancelled."""
        with self.lock:
            state = self.clients.pop(key, None)
            for itf in [i for i, k in self.owners.items() if k == key]:
                del self.owners[itf]
        if state:
            for u in list(state.in_flight.values()):
                self.function.cancel(u.transfer)

    # Dispatch --------------------------------------------------------------------------------
    def do_handle_ioctl(self, client) -> bool:
        request = client.get_request()
        key = id(client)
        with self.lock:
            state = self.clients.get(key)
            if state is None:
                # umockdev 0.17 does not report clients that went away (no client-vanished), so a
                # new client is the moment to drop the state of those whose file is closed.
                # get_connected() does not always turn false either, so when no other process
                # has the node open, every other client is gone.
                alone = bool(self.clients) and self._open_count() == 1
                for other in [k for k in self.clients if alone or not self._alive(k)]:
                    self._forget_client(other)
                # Holding the wrapper keeps pygobject from making a new one (with a new id) later.
                state = self.clients[key] = _Client(client)
        self.stats["ioctls"] += 1
        try:
            if self.deny_errno:
                client.complete(-1, self.deny_errno)
            elif request == REAPURBNDELAY or request == REAPURB:
                self._reap(client, state)
            elif self.gone:
                client.complete(-1, errno.ENODEV)
            elif request == SUBMITURB:
                self._submit(client, key, state)
            elif request == DISCARDURB:
                self._discard(client, state)
            else:
                self._simple(client, request, key, state)
        except GLib.Error:
            pass                                   # the client went away mid-call
        return True

    def _int_arg(self, client, size: int = 4):
        data = client.get_arg().resolve(0, size)
        return data, bytes(data.retrieve())

    def _simple(self, client, request: int, key: int, state: _Client) -> None:
        if request == GET_CAPABILITIES:
            data = client.get_arg().resolve(0, 4)
            data.update(0, struct.pack("<I", CAPS))
            client.complete(0, 0)
        elif request == GET_SPEED:
            client.complete(2 if self.function.descriptors.speed_mbps == 12 else 3, 0)
        elif request == CONNECTINFO:
            data = client.get_arg().resolve(0, 8)
            data.update(0, struct.pack("<IB3x", 0, 0))
            client.complete(0, 0)
        elif request == GETDRIVER:
            data, raw = self._int_arg(client, 260)
            itf = struct.unpack_from("<I", raw)[0]
            driver = self.drivers.get(itf)
            if not driver:
                client.complete(-1, errno.ENODATA)
            else:
                data.update(4, driver.encode() + b"\0")
                client.complete(0, 0)
        elif request in (CLAIMINTERFACE, DISCONNECT_CLAIM):
            _, raw = self._int_arg(client, 4 if request == CLAIMINTERFACE else 264)
            itf = struct.unpack_from("<I", raw)[0]
            self._claim(client, key, state, itf, force=request == DISCONNECT_CLAIM)
        elif request == RELEASEINTERFACE:
            _, raw = self._int_arg(client)
            itf = struct.unpack_from("<I", raw)[0]
            with self.lock:
                if self.owners.get(itf) != key:
                    client.complete(-1, errno.EINVAL)
                    return
                del self.owners[itf]
                state.claimed.discard(itf)
            client.complete(0, 0)
        elif request == IOCTL:
            _, raw = self._int_arg(client, 16)
            itf, code = struct.unpack_from("<ii", raw)
            if code == IOCTL_DISCONNECT:
                if self.drivers.pop(itf, None) is None:
                    client.complete(-1, errno.ENODATA)
                    return
                client.complete(0, 0)
            elif code == IOCTL_CONNECT:
                client.complete(0, 0)
            else:
                client.complete(-1, errno.ENOTTY)
        elif request in (SETINTERFACE, SETCONFIGURATION, RESETEP):
            client.complete(0, 0)
        elif request == CLEAR_HALT:
            _, raw = self._int_arg(client)
            self.function.clear_halt(struct.unpack_from("<I", raw)[0] & 0xFF)
            client.complete(0, 0)
        elif request == RESET:
            self.function.bus_reset()
            client.complete(0, 0)
        else:
            client.complete(-1, errno.ENOTTY)

    def _claim(self, client, key: int, state: _Client, itf: int, force: bool) -> None:
        with self.lock:
            if itf >= len(self.function.descriptors.interfaces):
                client.complete(-1, errno.ENOENT)
                return
            owner = self.owners.get(itf)
            if owner is not None and owner != key and not self._alive(owner):
                self._forget_client(owner)          # its process died without releasing
                owner = None
            if (owner is not None and owner != key) or (itf in self.drivers and not force):
                client.complete(-1, errno.EBUSY)
                return
            self.drivers.pop(itf, None)
            self.owners[itf] = key
            state.claimed.add(itf)
        self._drop_stale_urbs(key, itf)
        client.complete(0, 0)

    def _drop_stale_urbs(self, key: int, itf: int) -> None:
        """A new claim of `itf`: URBs other clients left on its endpoints are cancelled.

        The kernel kills a process's URBs when its file closes; umockdev 0.17 does not tell the
        handler that a client went away, so a process that exited with a read pending (Ctrl-C
        mid-flash) would leave it queued on the device, where it would swallow the next
        client's first IN packet (PICOBOOT's acknowledgement). Only the owner of an interface
        can have live transfers on its endpoints, so those of any other client are stale.
        """
        endpoints = {e.address for i in self.function.descriptors.interfaces if i.number == itf
                     for e in i.endpoints}
        stale: list[_Urb] = []
        with self.lock:
            for other, state in self.clients.items():
                if other == key:
                    continue
                for address, urb in list(state.in_flight.items()):
                    if urb.transfer.endpoint in endpoints:
                        del state.in_flight[address]
                        stale.append(urb)
        for urb in stale:
            if DEBUG:
                print(f"usbdevfs: dropping a stale URB on endpoint {urb.transfer.endpoint:#x}",
                      file=sys.stderr, flush=True)
            self.function.cancel(urb.transfer)
            urb.transfer.complete(-errno.ENOENT)

    def _open_count(self) -> int | None:
        """How many open files of this node live processes hold (None when unknown)."""
        if not self.node_path:
            return None
        count = 0
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                fds = os.listdir(f"/proc/{pid}/fd")
            except OSError:
                continue
            for fd in fds:
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == self.node_path:
                        count += 1
                except OSError:
                    continue
        return count

    def _alive(self, key: int) -> bool:
        state = self.clients.get(key)
        try:
            return state is not None and bool(state.client.get_connected())
        except Exception:  # noqa: BLE001 - a finalized client is gone
            return False

    # URBs ------------------------------------------------------------------------------------
    def _submit(self, client, key: int, state: _Client) -> None:
        urb_data = client.get_arg().resolve(0, URB_SIZE)
        raw = bytes(urb_data.retrieve())
        kind, endpoint = raw[0], raw[1]
        length = struct.unpack_from("<i", raw, 24)[0]
        buffer_data = urb_data.resolve(16, length) if length > 0 else None
        buf = bytes(buffer_data.retrieve()) if buffer_data is not None else b""
        if kind == 2:
            setup = Setup.parse(buf)
            direction = 0x80 if setup.device_to_host else 0
            t = Transfer(endpoint=direction, kind=2, length=setup.length if setup.device_to_host else 0,
                         data=b"" if setup.device_to_host else buf[8:8 + setup.length], setup=setup)
            offset = 8
        elif kind in (1, 3):
            is_in = bool(endpoint & 0x80)
            t = Transfer(endpoint=endpoint, kind=kind, length=length if is_in else len(buf),
                         data=b"" if is_in else buf)
            offset = 0
        else:
            client.complete(-1, errno.EINVAL)
            return
        urb = _Urb(urb_data, buffer_data, t, offset)
        with self.lock:
            if self.gone:                     # unplugged while this call was on its way
                client.complete(-1, errno.ENODEV)
                return
            state.in_flight[urb_data.client_addr] = urb
        t.on_complete = lambda _t, u=urb, s=state: self._completed(s, u)
        self.stats["submitted"] += 1
        client.complete(0, 0)
        self.function.submit(t)

    def _completed(self, state: _Client, urb: _Urb) -> None:
        with self.lock:
            if state.in_flight.pop(urb.urb_data.client_addr, None) is not None:
                state.done.append(urb)

    def _discard(self, client, state: _Client) -> None:
        address = struct.unpack("<Q", bytes(client.get_arg().retrieve())[:8])[0]
        with self.lock:
            urb = state.in_flight.get(address)
        if urb is None:
            client.complete(-1, errno.EINVAL)
            return
        self.function.cancel(urb.transfer)
        urb.transfer.complete(-errno.ENOENT)
        client.complete(0, 0)

    def _reap(self, client, state: _Client) -> None:
        with self.lock:
            urb = state.done.popleft() if state.done else None
            empty_and_gone = urb is None and self.gone and not state.in_flight
        if urb is None:
            client.complete(-1, errno.ENODEV if empty_and_gone else errno.EAGAIN)
            return
        t = urb.transfer
        if t.is_in and t.result and urb.buffer_data is not None:
            urb.buffer_data.update(urb.buffer_offset, t.result)
        urb.urb_data.update(4, struct.pack("<i", t.status or 0))
        urb.urb_data.update(28, struct.pack("<i", t.actual))
        arg = client.get_arg().resolve(0, 8)
        arg.set_ptr(0, urb.urb_data)
        self.stats["reaped"] += 1
        client.complete(0, 0)
