"""Emulated-board tests of `picoctl monitor`: the built binary, the real libudev and termios, boards
served by the shared harness (Tests/Harness) through umockdev.

    .venv/bin/python -m pytest Tests/PicoSerialTests/Emulated
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "Tests" / "Harness"))

from picoharness.pytest_plugin import emulated_board, picoctl  # noqa: E402,F401  (the shared fixtures)


def make_bootable(boards, index: int = 0) -> None:
    """Puts a boot2 with a valid CRC in the board's flash, so a replug comes back running the app."""
    from picoharness.flash import crc32_mpeg2
    head = bytes(252)
    boards.write_flash(index, 0, head + crc32_mpeg2(head).to_bytes(4, "little"))


class Running:
    """A program started under the preload whose stdout and stderr are collected as they come."""

    def __init__(self, boards, argv: list[str], **kw):
        env = dict(os.environ, NO_COLOR="1")
        self.proc = boards.popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, **kw)
        self.out = bytearray()
        self.err = bytearray()
        self.lock = threading.Condition()
        self.threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.out), daemon=True),
                        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True)]
        for t in self.threads:
            t.start()

    def _pump(self, stream, into: bytearray) -> None:
        while True:
            chunk = stream.read1(65536)
            if not chunk:
                return
            with self.lock:
                into += chunk
                self.lock.notify_all()

    def wait_for(self, text: bytes, where: str = "out", timeout: float = 10) -> None:
        """Waits until `text` has appeared on stdout (or stderr); fails the test on timeout."""
        buffer = self.out if where == "out" else self.err
        deadline = time.monotonic() + timeout
        with self.lock:
            while text not in buffer:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and text not in buffer:
                    if self.proc.poll() is not None:
                        self.lock.wait(0.2)
                        if text in buffer:
                            return
                    pytest.fail(f"{text!r} not seen on std{where} within {timeout} s;\n"
                                f"stdout: {bytes(self.out)[-2000:]!r}\nstderr: {bytes(self.err).decode(errors='replace')}")
                self.lock.wait(min(left, 0.2))

    def finish(self, timeout: float = 20) -> int:
        """Waits for the exit status (kills the program after `timeout`)."""
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"picoctl did not exit within {timeout} s; stderr: {bytes(self.err).decode(errors='replace')}")
        for t in self.threads:
            t.join(5)
        return status

    @property
    def stdout(self) -> str:
        return bytes(self.out).decode(errors="replace")

    @property
    def stderr(self) -> str:
        return bytes(self.err).decode(errors="replace")
