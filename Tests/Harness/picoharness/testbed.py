"""The umockdev testbed: sysfs records for a USB bus, its devices, interfaces and ttys.

Devices are added parent first and removed children first, with add/remove uevents that carry
every udev property, as systemd-udevd broadcasts them. umockdev 0.17's `remove_device()` leaves
class/bus links and device nodes behind (re-adding the same path would then abort), so removal
cleans them up.

A device node's persistent links (its `DEVLINKS` property: `/dev/serial/by-id/…`, `/dev/serial/by-path/…`)
are made in the testbed's /dev as udev makes them (relative symlinks to the node) and go with the
device; an ioctl handler attached to the node serves them too, so a program that opens a link (ser2net)
sees the same tty as one that opens the node.
"""
from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass, field

import gi

gi.require_version("UMockdev", "1.0")
from gi.repository import UMockdev  # noqa: E402

from . import uevent  # noqa: E402

PCI_PARENT = "/devices/pci0000:00/0000:00:14.0"


@dataclass
class Record:
    """One sysfs device: path under /sys, text and binary attributes, udev properties."""
    syspath: str                       # e.g. /sys/devices/pci0000:00/0000:00:14.0/usb1/1-2
    properties: dict[str, str]
    attributes: dict[str, str] = field(default_factory=dict)
    binary: dict[str, bytes] = field(default_factory=dict)
    node: str | None = None            # e.g. bus/usb/001/002 (relative to /dev)

    @property
    def devpath(self) -> str:
        return self.syspath[len("/sys"):]

    def to_umockdev(self) -> str:
        lines = [f"P: {self.devpath}"]
        if self.node:
            lines.append(f"N: {self.node}")
        for k, v in self.properties.items():
            lines.append(f"E: {k}={v}")
        for k, v in self.attributes.items():
            escaped = v.replace("\\", "\\\\").replace("\n", "\\n")
            lines.append(f"A: {k}={escaped}\\n")
        for k, v in self.binary.items():
            lines.append(f"H: {k}={v.hex().upper()}")
        return "\n".join(lines) + "\n"


class Testbed:
    """A umockdev testbed with hotplug: `add()` and `remove()` emit uevents to preloaded monitors."""

    def __init__(self) -> None:
        self.tb = UMockdev.Testbed.new()
        self.root = os.path.realpath(self.tb.get_root_dir())
        self.lock = threading.RLock()
        self.present: dict[str, Record] = {}
        self.handlers: dict[str, object] = {}
        self.links: dict[str, list[str]] = {}     # device node -> its DEVLINKS made in the testbed
        self.quiet = False                  # set on shutdown: no uevents while tearing down

    def add(self, records: list[Record], announce: bool = True) -> None:
        """Creates `records` (parents first) and sends one "add" uevent for each."""
        with self.lock:
            for rec in records:
                self.tb.add_from_string(rec.to_umockdev())
                self.present[rec.syspath] = rec
                self._link(rec)
            if announce:
                for rec in records:
                    uevent.send(self.root, "add", rec.devpath, rec.properties)

    def announce(self, action: str, records: list[Record]) -> None:
        """Sends `action` uevents for `records` in order."""
        if self.quiet:
            return
        for rec in records:
            uevent.send(self.root, action, rec.devpath, rec.properties)

    def attach(self, devnode: str, handler) -> None:
        """Serves `devnode` and its links with an ioctl handler, replacing one left from an earlier device."""
        with self.lock:
            for path in [devnode, *self.links.get(devnode, [])]:
                self._detach(path)
                self.tb.attach_ioctl(path, handler)
                self.handlers[path] = handler

    def _detach(self, path: str) -> None:
        if self.handlers.pop(path, None) is not None:
            try:
                self.tb.detach_ioctl(path)
            except Exception:      # noqa: BLE001 - already gone
                pass

    def _link(self, rec: Record) -> None:
        """Makes the node's DEVLINKS in the testbed's /dev, relative as udev makes them."""
        if not rec.node:
            return
        node = "/dev/" + rec.node
        links = [link for link in rec.properties.get("DEVLINKS", "").split() if link.startswith("/dev/")]
        for link in links:
            path = self.root + link
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.islink(path):
                os.unlink(path)
            os.symlink(os.path.relpath(self.root + node, os.path.dirname(path)), path)
        if links:
            self.links[node] = links

    def remove(self, records: list[Record], announce: bool = True) -> None:
        """Sends "remove" uevents and deletes `records` children first, links and nodes included."""
        ordered = sorted(records, key=lambda r: r.syspath.count("/"), reverse=True)
        with self.lock:
            if announce and not self.quiet:
                for rec in ordered:
                    uevent.send(self.root, "remove", rec.devpath, rec.properties)
            for rec in ordered:
                self.tb.remove_device(rec.syspath)
                self._delete(rec)
                self.present.pop(rec.syspath, None)

    def _delete(self, rec: Record) -> None:
        name = os.path.basename(rec.syspath)
        subsystem = rec.properties.get("SUBSYSTEM", "")
        links = [f"sys/bus/{subsystem}/devices/{name}", f"sys/class/{subsystem}/{name}"]
        dev = rec.attributes.get("dev")
        if dev:
            links.append(f"sys/dev/char/{dev.strip()}")
        if rec.node:
            links += [f"dev/{rec.node}", "dev/.node/" + rec.node.replace("/", "_")]
            node = "/dev/" + rec.node
            for link in self.links.pop(node, []):
                if self.handlers.get(link) is self.handlers.get(node):
                    self._detach(link)
                # Only while it still points here: a device that came back may own it again.
                target = os.path.join(os.path.dirname(self.root + link), os.readlink(self.root + link)) \
                    if os.path.islink(self.root + link) else None
                if target and os.path.normpath(target) == os.path.normpath(self.root + node):
                    os.unlink(self.root + link)
        for rel in links:
            path = os.path.join(self.root, rel)
            if os.path.islink(path) or os.path.isfile(path):
                os.unlink(path)
        shutil.rmtree(self.root + rec.syspath, ignore_errors=True)

    def close(self) -> None:
        """Deletes the testbed directory."""
        shutil.rmtree(self.root, ignore_errors=True)
