"""Command keys (Ctrl-T then a key) of the built `picoctl monitor`, with a pty as the user's terminal,
on emulated boards."""
from __future__ import annotations

import os
import re
import pty
import subprocess
import threading
import time

import pytest

from conftest import make_bootable

CTRL_T = b"\x14"


class Console:
    """picoctl monitor with a pty on stdin (the user's keyboard); stdout and stderr collected."""

    def __init__(self, boards, *argv: str):
        self.boards = boards
        self.keyboard, slave = pty.openpty()
        self.proc = boards.popen(list(argv), stdin=slave, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
        os.close(slave)
        self.out, self.err = bytearray(), bytearray()
        self.lock = threading.Condition()
        for stream, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err)):
            threading.Thread(target=self._pump, args=(stream, into), daemon=True).start()

    def _pump(self, stream, into):
        while chunk := stream.read1(65536):
            with self.lock:
                into += chunk
                self.lock.notify_all()

    def type(self, data: bytes) -> None:
        os.write(self.keyboard, data)

    def wait_for(self, text: bytes, where: str = "err", timeout: float = 20, after: int = 0) -> int:
        """Waits for `text` on stderr (or stdout) past offset `after`; returns the offset just past it."""
        buffer = self.err if where == "err" else self.out
        deadline = time.monotonic() + timeout
        with self.lock:
            while (at := buffer.find(text, after)) < 0:
                if time.monotonic() > deadline:
                    pytest.fail(f"{text!r} not on std{where} within {timeout} s\nstdout: {bytes(self.out)[-1500:]!r}\n"
                                f"stderr: {bytes(self.err).decode(errors='replace')}")
                self.lock.wait(0.2)
            return at + len(text)

    def board_received(self, text: bytes, timeout: float = 10) -> bytes:
        received = b""
        deadline = time.monotonic() + timeout
        while text not in received and time.monotonic() < deadline:
            received += self.boards.tty_read(0)
            time.sleep(0.05)
        return received

    def finish(self, timeout: float = 20) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
            os.close(self.keyboard)


def start(emulated_board, picoctl, *args: str) -> Console:
    boards = emulated_board(mode="app", heartbeat=0)
    make_bootable(boards)
    c = Console(boards, picoctl, "monitor", *args)
    c.wait_for(b"connected to")
    boards.wait(0, dtr=True)
    return c


def test_help_unknown_literal_menu_key_and_quit(emulated_board, picoctl):
    c = start(emulated_board, picoctl)
    assert b"keys with Ctrl-T ?" in c.err
    c.type(CTRL_T + b"?")
    at = c.wait_for(b"Ctrl-T then: ? list these keys; q quit; r restart")
    c.type(CTRL_T + b"x")
    c.wait_for(b"Ctrl-T x is no command; Ctrl-T ? lists them", after=at)
    c.type(b"a" + CTRL_T + CTRL_T + b"b\r")
    assert c.board_received(b"b\r") == b"a\x14b\r", "Ctrl-T twice sends one Ctrl-T"
    c.type(CTRL_T + b"q")
    assert c.finish() == 0
    lines = [l for l in c.err.decode().splitlines() if l.startswith("picoctl: ")]
    assert len(lines) == 3, "one status line per action: connected, help, unknown key"


def test_timestamps_cycle_and_local_echo(emulated_board, picoctl):
    c = start(emulated_board, picoctl)
    c.type(CTRL_T + b"t")
    c.wait_for(b"picoctl: timestamps: wall\n")
    c.boards.tty_write(0, "first\r\n")
    c.wait_for(b"] first", where="out")
    for kind in (b"iso", b"epoch", b"mono", b"delta", b"off"):
        c.type(CTRL_T + b"t")
        c.wait_for(b"picoctl: timestamps: " + kind)
    at = len(c.out)
    c.boards.tty_write(0, "second\r\n")
    c.wait_for(b"second", where="out", after=at)
    assert c.out[at:].startswith(b"second"), "timestamps off again"
    c.type(CTRL_T + b"e")
    c.wait_for(b"local echo: on")
    at = len(c.out)
    c.type(b"hello\r")
    c.wait_for(b"echo: hello", where="out", after=at)
    assert c.out.find(b"hello\n", at) < c.out.find(b"echo: hello", at), "the typed line is shown before the board answers"
    c.type(CTRL_T + b"c")
    c.wait_for(b"screen cleared")
    c.wait_for(b"\x1b[H\x1b[2J", where="out")
    c.type(b"\x1d")
    assert c.finish() == 0


def test_log_pause_dtr_and_send_file(emulated_board, picoctl, tmp_path):
    log = tmp_path / "board.log"
    payload = tmp_path / "payload.txt"
    payload.write_bytes(b"line one\rline two\r")
    c = start(emulated_board, picoctl, "--log", str(log))
    c.boards.tty_write(0, "kept\r\n")
    c.wait_for(b"kept", where="out")
    c.type(CTRL_T + b"l")
    c.wait_for(b"log: paused")
    c.boards.tty_write(0, "not logged\r\n")
    c.wait_for(b"not logged", where="out")
    c.type(CTRL_T + b"l")
    c.wait_for(b"log: writing to " + str(log).encode())
    c.boards.tty_write(0, "logged again\r\n")
    c.wait_for(b"logged again", where="out")
    c.type(CTRL_T + b"d")
    c.wait_for(b"DTR lowered")
    c.boards.wait(0, dtr=False)
    c.type(CTRL_T + b"d")
    c.wait_for(b"DTR raised")
    c.boards.wait(0, dtr=True)
    c.type(CTRL_T + b"s")
    c.wait_for(b"send file: ")
    c.type(str(payload).encode() + b"\r")
    c.wait_for(b"sent 18 bytes of " + str(payload).encode())
    assert c.board_received(b"line two\r").endswith(b"line one\rline two\r")
    c.type(CTRL_T + b"q")
    assert c.finish() == 0
    text = log.read_text()
    assert "kept" in text and "logged again" in text
    assert "not logged" not in text


def test_restart_and_bootsel_keys_go_through_the_reset_interface(emulated_board, picoctl):
    c = start(emulated_board, picoctl)
    c.type(CTRL_T + b"r")
    c.wait_for(b"was told to restart its program")
    c.wait_for(b"reconnected to")
    c.wait_for(b"boot 2", where="out")
    c.type(CTRL_T + b"b")
    c.wait_for(b"is in BOOTSEL")
    c.boards.wait(0, mode="bootsel")
    c.type(CTRL_T + b"q")
    assert c.finish() == 0


def test_flash_key_flashes_the_image_again_and_follows_the_new_program(emulated_board, picoctl, tmp_path):
    image = tmp_path / "app.bin"
    from picoharness.flash import crc32_mpeg2
    head = bytes(range(252))
    vectors = (0x20042000).to_bytes(4, "little") + (0x10000109).to_bytes(4, "little")   # passes flash's boot checks
    body = head + crc32_mpeg2(head).to_bytes(4, "little") + vectors + b"new program" * 100
    image.write_bytes(body)
    c = start(emulated_board, picoctl, "--image", str(image))
    c.type(CTRL_T + b"f")
    c.wait_for(b"flashing " + str(image).encode())
    c.wait_for(b"; rebooted")
    c.wait_for(b"reconnected to")
    c.wait_for(b"boot 3", where="out")      # through BOOTSEL (boot 2) into the new program
    assert c.boards.read_flash(0, 0, len(body)) == body
    c.type(CTRL_T + b"q")
    assert c.finish() == 0


def test_flash_key_without_an_image_says_so(emulated_board, picoctl):
    c = start(emulated_board, picoctl)
    c.type(CTRL_T + b"f")
    c.wait_for(b"flash: no image: give monitor --image FILE")
    c.type(CTRL_T + b"q")
    assert c.finish() == 0


def test_flash_key_on_the_real_bootrom_follows_the_companion_back(emulated_board, picoctl):
    from conftest import REPO
    uf2 = REPO / "Firmware" / "build" / "picoctl-companion.uf2"
    if not uf2.exists():
        pytest.skip("Firmware/build.sh has not built the companion firmware")
    boards = emulated_board(boards=[{"kind": "rp2040py", "mode": "app", "firmware": str(uf2)}])
    boards.wait(0, mode="app", timeout=60)
    c = Console(boards, picoctl, "monitor", "--image", str(uf2))
    c.wait_for(b"connected to", timeout=60)
    c.wait_for(b"heartbeat 1 ", where="out", timeout=60)
    c.type(CTRL_T + b"f")
    c.wait_for(b"flashing " + str(uf2).encode())
    c.wait_for(b"; rebooted", timeout=180)          # through the companion's reset interface, BOOTSEL and back
    at = c.wait_for(b"reconnected to", timeout=120)
    out_at = len(c.out)
    c.wait_for(b"picoctl-companion 0.1.0", where="out", after=out_at, timeout=60)
    c.wait_for(b"heartbeat 1 ", where="out", after=out_at, timeout=60)
    assert b"sectors unchanged (100%)" in c.err[:at], "the board already held the image: checked, nothing written"
    c.type(CTRL_T + b"q")
    assert c.finish() == 0


def test_timestamps_key_changes_the_log_too_with_a_line_saying_so(emulated_board, picoctl, tmp_path):
    log = tmp_path / "board.log"
    c = start(emulated_board, picoctl, "--log", str(log))
    c.boards.tty_write(0, "first\r\n")
    at = c.wait_for(b"first", where="out")
    c.type(CTRL_T + b"t")
    c.wait_for(b"picoctl: timestamps: wall (screen and log)\n")
    c.boards.tty_write(0, "second\r\n")
    at = c.wait_for(b"] second", where="out", after=at)
    c.type(CTRL_T + b"t")
    c.wait_for(b"picoctl: timestamps: iso (screen and log)\n")
    c.boards.tty_write(0, "third\r\n")
    at = c.wait_for(b"] third", where="out", after=at)
    for kind in (b"epoch", b"mono", b"delta", b"off"):
        c.type(CTRL_T + b"t")
        c.wait_for(b"picoctl: timestamps: " + kind)
    c.boards.tty_write(0, "fourth\r\n")
    c.wait_for(b"fourth", where="out", after=at)
    c.type(CTRL_T + b"q")
    assert c.finish() == 0
    lines = log.read_text().splitlines()
    assert lines[0].startswith("# picoctl monitor ") and " board " in lines[0]
    lines = lines[lines.index("first"):]      # after the board's banner
    assert re.fullmatch(r"# picoctl monitor \S+ timestamps wall from here", lines[1]), lines[1]
    assert re.fullmatch(r"\[\d\d:\d\d:\d\d\.\d{3}\] second", lines[2]), lines[2]
    assert re.fullmatch(r"# picoctl monitor \S+ timestamps iso from here", lines[3]), lines[3]
    assert re.fullmatch(r"\[\d{4}-\d\d-\d\dT\S+\] third", lines[4]), lines[4]
    assert re.fullmatch(r"# picoctl monitor \S+ no timestamps from here", lines[5]), "one line for several presses"
    assert lines[6:] == ["fourth"]


def test_dtr_lowered_by_the_key_stays_low_across_a_reconnection(emulated_board, picoctl):
    c = start(emulated_board, picoctl)
    c.type(CTRL_T + b"d")
    at = c.wait_for(b"DTR lowered (kept low across reconnections)")
    c.boards.wait(0, dtr=False)
    since = len(c.boards.events())
    c.boards.unplug(0)
    c.boards.plug(0)
    at = c.wait_for(b"reconnected to", after=at)
    line_end = c.err.find(b"\n", at)
    assert c.err[at:line_end].endswith(b"; DTR kept low (Ctrl-T d raises it)"), bytes(c.err[at:line_end])
    c.boards.wait(0, mode="app", dtr=False)
    assert c.boards.events(since=since, event="lines", dtr=True) == [], "DTR was not raised by the reconnection"
    c.type(CTRL_T + b"d")
    c.wait_for(b"DTR raised", after=at)
    c.boards.wait(0, dtr=True)
    c.type(CTRL_T + b"q")
    assert c.finish() == 0


def test_the_config_files_menu_key_and_the_command_line_over_it(emulated_board, picoctl, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('menu-key = "ctrl-a"\n')
    c = start(emulated_board, picoctl, "--config", str(config))
    assert b"keys with Ctrl-A ?" in c.err
    c.type(b"\x01?")
    c.wait_for(b"Ctrl-A then: ? list these keys")
    c.type(b"x" + CTRL_T + b"t\r")
    assert c.board_received(b"t\r") == b"x\x14t\r", "Ctrl-T is an ordinary key then"
    c.type(b"\x01q")
    assert c.finish() == 0
    c = Console(c.boards, picoctl, "monitor", "--config", str(config), "--menu-key", "ctrl-b")
    c.wait_for(b"keys with Ctrl-B ?")
    c.type(b"\x02q")
    assert c.finish() == 0
