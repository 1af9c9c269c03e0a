"""Start emulated boards and talk to them from a test (pytest or plain Python).

    with EmulatedBoards(kind="sim-rp2040", count=2) as boards:
        boards.run(["picoctl", "list"])                # runs under the preload
        boards.unplug(0); boards.wait(0, mode="off")
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

HARNESS_DIR = Path(__file__).resolve().parent.parent          # Tests/Harness
REPO = HARNESS_DIR.parent.parent


def harness_python() -> str:
    """The venv's python (system Python + python3-gi + pinned packages), else this one."""
    venv = REPO / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


class ControlError(RuntimeError):
    """The harness refused a control command."""


class EmulatedBoards:
    """A harness process with `count` boards of `kind`; closes (and kills) it on exit."""

    def __init__(self, kind: str = "sim-rp2040", count: int = 1, mode: str = "bootsel",
                 heartbeat: float = 0.5, boards: list[dict] | None = None, start_timeout: float = 60):
        specs = boards or [{"kind": kind, "mode": mode, "heartbeat": heartbeat} for _ in range(count)]
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "UMOCKDEV_DIR")}
        env["PYTHONPATH"] = str(HARNESS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen(
            [harness_python(), "-m", "picoharness.server", "--boards", json.dumps(specs), "--exit-with-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, start_new_session=True)
        ready: dict = {}

        def read_ready():
            line = self.proc.stdout.readline()
            if line:
                ready.update(json.loads(line))
        t = threading.Thread(target=read_ready, daemon=True)
        t.start()
        t.join(start_timeout)
        if not ready:
            self.close()
            raise RuntimeError("the board harness did not start (see its stderr above)")
        self.root = ready["UMOCKDEV_DIR"]
        self.control_path = ready["control"]
        self.env = {"UMOCKDEV_DIR": ready["UMOCKDEV_DIR"], "LD_PRELOAD": ready["LD_PRELOAD"]}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.control_path)
        self.sock.settimeout(120)
        self.file = self.sock.makefile("rwb")
        self.lock = threading.Lock()

    # Control -----------------------------------------------------------------------------------------
    def control(self, cmd: str, **args) -> dict:
        """Sends one control command; returns the answer or raises `ControlError`."""
        with self.lock:
            self.file.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
            self.file.flush()
            answer = json.loads(self.file.readline())
        if not answer.pop("ok"):
            raise ControlError(answer["error"])
        return answer

    def status(self) -> list[dict]:
        """Every board's current state (mode, serial, devnode, tty, port, dtr, ...)."""
        return self.control("status")["boards"]

    def board(self, index: int = 0) -> dict:
        return self.status()[index]

    def unplug(self, index: int = 0) -> None:
        self.control("unplug", board=index)

    def plug(self, index: int = 0, bootsel: bool = False) -> None:
        self.control("plug", board=index, bootsel=bootsel)

    def reboot(self, index: int = 0, to: str = "app") -> None:
        """Reboots like the reset button (to "app"/"flash") or with BOOTSEL held ("bootsel")."""
        self.control("reboot", board=index, to=to)

    def tty_write(self, index: int, data: bytes | str, force: bool = True) -> int:
        """The board prints `data` on its CDC port (with force, even while DTR is low)."""
        raw = data.encode() if isinstance(data, str) else data
        return self.control("tty_write", board=index, b64=base64.b64encode(raw).decode(), force=force)["written"]

    def tty_read(self, index: int = 0) -> bytes:
        """Bytes the host wrote to the board's tty since the last call."""
        return base64.b64decode(self.control("tty_read", board=index)["b64"])

    def fault(self, index: int = 0, **faults) -> None:
        """stall_at=N, stall_status=S, disconnect_at=N (PICOBOOT command numbers), deny=True/errno."""
        self.control("fault", board=index, **faults)

    def read_flash(self, index: int, offset: int, size: int) -> bytes:
        return base64.b64decode(self.control("read_flash", board=index, offset=offset, size=size)["b64"])

    def write_flash(self, index: int, offset: int, data: bytes) -> None:
        self.control("write_flash", board=index, offset=offset, b64=base64.b64encode(data).decode())

    def wait(self, index: int = 0, timeout: float = 30, **state) -> dict:
        """Waits until the board's status has every given key/value (e.g. mode="app", dtr=True)."""
        return self.control("wait", board=index, state=state, timeout=timeout)["board"]

    def events(self, since: int = 0, timeout: float = 0, **match) -> list[dict]:
        """The event log (connect, disconnect, lines, baud, fault) from `since`; waits for a match."""
        return self.control("events", since=since, match=match or None, timeout=timeout)["events"]

    # Running programs --------------------------------------------------------------------------------
    def preload_env(self, base: dict | None = None) -> dict:
        """An environment that shows the emulated boards to libusb/libudev programs."""
        env = dict(os.environ if base is None else base)
        env.update(self.env)
        return env

    def run(self, argv: list[str], timeout: float = 60, check: bool = False, **kw) -> subprocess.CompletedProcess:
        """Runs a program under the preload; captures text output; kills it after `timeout`."""
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        return subprocess.run(argv, env=self.preload_env(kw.pop("env", None)), timeout=timeout,
                              check=check, **kw)

    def popen(self, argv: list[str], **kw) -> subprocess.Popen:
        """Starts a program under the preload (the caller waits for or kills it)."""
        return subprocess.Popen(argv, env=self.preload_env(kw.pop("env", None)), **kw)

    def python(self, module_or_code: list[str], **kw) -> subprocess.CompletedProcess:
        """Runs the harness's python (with the harness on PYTHONPATH) under the preload."""
        env = self.preload_env()
        env["PYTHONPATH"] = str(HARNESS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
        return self.run([harness_python(), *module_or_code], env=env, **kw)

    def picoboot_script(self, steps: list[dict], board: dict | None = None, timeout: float = 60,
                        all_ok: bool = False) -> list[dict]:
        """Runs PICOBOOT steps with the pyusb client (`picoharness.tools.picoboot_client script`)
        under the preload, on `board` (its bus/address) or the only BOOTSEL board; returns one
        answer per step. A failing client process fails the calling test, and so does any step
        that answered an error when `all_ok` is set."""
        extra = [] if board is None else ["--bus", str(board["bus"]), "--address", str(board["address"])]
        r = self.python(["-m", "picoharness.tools.picoboot_client", "script", json.dumps(steps), *extra],
                        timeout=timeout)
        assert r.returncode == 0, r.stderr
        answers = [json.loads(line) for line in r.stdout.splitlines()]
        assert not all_ok or all("error" not in a for a in answers), answers
        return answers

    # Lifetime ----------------------------------------------------------------------------------------
    def close(self) -> None:
        """Stops the harness: politely, then by signal, never leaving it behind."""
        try:
            if hasattr(self, "file"):
                self.control("quit")
        except Exception:  # noqa: BLE001 - it may already be gone
            pass
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        for leftover in (getattr(self, "root", None), getattr(self, "control_path", None)):
            if leftover and os.path.lexists(leftover):       # only after a kill
                shutil.rmtree(leftover, ignore_errors=True) if os.path.isdir(leftover) else os.unlink(leftover)

    def __enter__(self) -> "EmulatedBoards":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
