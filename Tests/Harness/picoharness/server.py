"""The harness process: a testbed with emulated boards, driven through a control socket.

    python -m picoharness.server --kind sim-rp2040 --count 2 [--mode app] [--control PATH]

It prints one JSON line when ready: {"UMOCKDEV_DIR", "LD_PRELOAD", "control", "boards"}. Programs
started later with that environment see the boards. The control socket takes one JSON object
per line and answers one per line (see README.md). It exits on "quit", SIGTERM/SIGINT, or, with
--exit-with-stdin, when its stdin closes (so a crashed test leaves no orphan).
"""
from __future__ import annotations

import argparse
import base64
import errno
import faulthandler
import json
import os
import signal
import socket
import sys
import threading
import time

from .board import Board, BoardOptions
from .picoboot_model import Timing
from .testbed import Testbed
from .usbbus import DeviceNumbers, TtyNumbers, hub_records, root_hub_interface_record, root_hub_record

PRELOAD = "libumockdev-preload.so.0"


def make_board(kind: str, index: int, port: str, testbed, numbers, ttys, options, events):
    """A board of `kind`: sim-rp2040, sim-rp2350 or rp2040py."""
    if kind.startswith("sim-"):
        options.chip = kind[4:]
        return Board(index, port, testbed, numbers, ttys, options, events)
    if kind == "rp2040py":
        from .rp2040_backend import Rp2040pyBoard
        options.chip = "rp2040"
        return Rp2040pyBoard(index, port, testbed, numbers, ttys, options, events)
    raise ValueError(f"unknown board kind {kind!r} (sim-rp2040, sim-rp2350, rp2040py)")


class Harness:
    """Boards on one testbed, plus the event log the control channel reports."""

    def __init__(self, specs: list[dict]):
        self.testbed = Testbed()
        self.numbers, self.ttys = DeviceNumbers(), TtyNumbers()
        self.events_log: list[dict] = []
        self.events_cv = threading.Condition()
        self.testbed.add([root_hub_record(1), root_hub_interface_record(1)], announce=False)
        self.boards: list = []
        hubs: set[str] = set()
        for i, spec in enumerate(specs):
            port = str(spec.get("port", i + 1))
            parts = port.split(".")
            for depth in range(1, len(parts)):                # hubs on the way, parents first
                hub = ".".join(parts[:depth])
                if hub not in hubs:
                    hubs.add(hub)
                    self.testbed.add(hub_records(1, hub, self.numbers.take(1)), announce=False)
            opts = BoardOptions(mode=spec.get("mode", "bootsel"),
                                heartbeat=float(spec.get("heartbeat", 0.5)),
                                flash_size=int(spec.get("flash_size", 2 * 1024 * 1024)),
                                app_usb=bool(spec.get("app_usb", True)),
                                flash_devinfo=spec.get("flash_devinfo"),
                                tty_udev=spec.get("tty_udev", "normal"),
                                usb_udev=spec.get("usb_udev", "normal"),
                                timing=Timing(**spec.get("timing", {})),
                                partition_table=spec.get("partition_table"),
                                otp={str(k): v for k, v in spec.get("otp", {}).items()},
                                otp_locks={str(k): v for k, v in spec.get("otp_locks", {}).items()},
                                rom_version=int(spec.get("rom_version", 3)))
            self.boards.append(make_board(spec.get("kind", "sim-rp2040"), i, port, self.testbed,
                                          self.numbers, self.ttys, opts, self.event))
        for b, spec in zip(self.boards, specs):
            if spec.get("firmware"):
                b.load_image(spec["firmware"])
        for b in self.boards:
            if b.options.mode != "off":
                if b.options.mode == "app":
                    b.start_in_app()
                else:
                    b.plug(bootsel=True)

    def event(self, e: dict) -> None:
        with self.events_cv:
            e = dict(e, seq=len(self.events_log), t=time.monotonic())
            self.events_log.append(e)
            self.events_cv.notify_all()

    def env(self) -> dict:
        return {"UMOCKDEV_DIR": self.testbed.root, "LD_PRELOAD": PRELOAD}

    # Control commands ------------------------------------------------------------------------------
    def handle(self, req: dict) -> dict:
        cmd = req.get("cmd")
        board = self.boards[int(req["board"])] if "board" in req else None
        if cmd == "status":
            return {"boards": [b.describe() for b in self.boards], **self.env()}
        if cmd == "plug":
            board.plug(bootsel=bool(req.get("bootsel", False)))
        elif cmd == "unplug":
            board.unplug()
        elif cmd == "reboot":
            board.reboot({"app": "flash"}.get(req.get("to", "flash"), req.get("to", "flash")),
                         float(req.get("delay", 0.0)))
        elif cmd == "tty_write":
            data = base64.b64decode(req["b64"]) if "b64" in req else req["data"].encode()
            return {"written": board.write_console(data, force=bool(req.get("force", True)))}
        elif cmd == "tty_read":
            data, board.host_rx[:] = bytes(board.host_rx), b""
            return {"b64": base64.b64encode(data).decode(), "text": data.decode(errors="replace")}
        elif cmd == "fault":
            f = board.options.faults
            for k in ("stall_at", "stall_status", "disconnect_at"):
                if k in req:
                    setattr(f, k, req[k])
            if "deny" in req:
                board.set_deny(errno.EACCES if req["deny"] is True else int(req["deny"] or 0))
        elif cmd == "timing":
            for k in ("erase_sector", "erase_block", "program_page"):
                if k in req:
                    setattr(board.options.timing, k, float(req[k]))
        elif cmd == "set":
            for k in ("heartbeat", "reenumerate_gap"):
                if k in req:
                    setattr(board.options, k, float(req[k]))
        elif cmd == "read_flash":
            data = board.read_flash(int(req.get("offset", 0)), int(req["size"]))
            return {"b64": base64.b64encode(data).decode()}
        elif cmd == "write_flash":
            board.write_flash(int(req.get("offset", 0)), base64.b64decode(req["b64"]))
        elif cmd == "events":
            return {"events": self.wait_events(int(req.get("since", 0)), req.get("match"),
                                               float(req.get("timeout", 0)))}
        elif cmd == "wait":
            return self.wait_state(board, req)
        elif cmd == "quit":
            return {"quit": True}
        else:
            raise ValueError(f"unknown command {cmd!r}")
        return {}

    def wait_events(self, since: int, match: dict | None, timeout: float) -> list[dict]:
        """Events from `since` on; with `match`, waits up to `timeout` s for one that matches."""
        deadline = time.monotonic() + timeout
        with self.events_cv:
            while True:
                found = [e for e in self.events_log[since:]
                         if not match or all(e.get(k) == v for k, v in match.items())]
                if found or not match or time.monotonic() >= deadline:
                    return found if match else self.events_log[since:]
                self.events_cv.wait(max(0.0, deadline - time.monotonic()))

    def wait_state(self, board, req: dict) -> dict:
        """Waits until the board's `describe()` has every key/value in req["state"]."""
        deadline = time.monotonic() + float(req.get("timeout", 10))
        want = req["state"]
        with self.events_cv:
            while True:
                now = board.describe()
                if all(now.get(k) == v for k, v in want.items()):
                    return {"board": now}
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"board {board.index} did not reach {want} (now {now})")
                self.events_cv.wait(min(left, 0.1))

    def close(self) -> None:
        self.testbed.quiet = True      # a monitor that stopped reading must not delay the exit
        for b in self.boards:
            try:
                b.shutdown()
            except Exception:  # noqa: BLE001 - best effort on the way out
                pass
        self.testbed.close()


def listen(path: str) -> socket.socket:
    """The control socket, already listening (so that the ready line never precedes it)."""
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(path):
        os.unlink(path)
    srv.bind(path)
    srv.listen(64)
    srv.settimeout(0.2)
    return srv


def serve(harness: Harness, srv: socket.socket, path: str, stop: threading.Event) -> None:
    """Accepts control connections; one thread each; JSON lines in and out."""

    def session(conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as f:
            for line in f:
                try:
                    answer = {"ok": True, **harness.handle(json.loads(line))}
                except Exception as e:  # noqa: BLE001 - reported to the caller
                    answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
                f.write((json.dumps(answer) + "\n").encode())
                f.flush()
                if answer.get("quit"):
                    stop.set()
                    return

    while not stop.is_set():
        try:
            conn, _ = srv.accept()
        except socket.timeout:
            continue
        threading.Thread(target=session, args=(conn,), daemon=True).start()
    srv.close()
    os.unlink(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="picoharness.server", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kind", default="sim-rp2040", help="sim-rp2040, sim-rp2350 or rp2040py")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--mode", default="bootsel", help="initial mode: bootsel, app or off")
    p.add_argument("--heartbeat", type=float, default=0.5)
    p.add_argument("--firmware", help="a BIN (from 0x10000000) or UF2 put into every board's flash")
    p.add_argument("--boards", help="JSON list of board specs (overrides --kind/--count/--mode)")
    p.add_argument("--control", help="control socket path (default: next to the testbed)")
    p.add_argument("--exit-with-stdin", action="store_true", help="exit when stdin closes")
    args = p.parse_args(argv)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    if os.environ.get("LD_PRELOAD", "").find("umockdev") >= 0:
        print("picoharness.server must not run under the umockdev preload", file=sys.stderr)
        return 2
    specs = json.loads(args.boards) if args.boards else [
        {"kind": args.kind, "mode": args.mode, "heartbeat": args.heartbeat, "firmware": args.firmware}
        for _ in range(args.count)]
    harness = Harness(specs)
    control = args.control or harness.testbed.root + ".control"
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    if args.exit_with_stdin:
        threading.Thread(target=lambda: (sys.stdin.buffer.read(), stop.set()), daemon=True).start()
    server = threading.Thread(target=serve, args=(harness, listen(control), control, stop), daemon=True)
    server.start()
    print(json.dumps({**harness.env(), "control": control, "pid": os.getpid(),
                      "boards": [b.describe() for b in harness.boards]}), flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        harness.close()
        server.join(timeout=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
