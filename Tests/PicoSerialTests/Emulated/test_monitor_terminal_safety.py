"""A board's bytes cannot take over the user's terminal: the built `picoctl monitor` follows a pty
that plays a hostile board, with a second pty as the user's terminal on its stdout."""
from __future__ import annotations

import os
import pty
import select
import subprocess
import time
import tty

import pytest

HOSTILE = (b"boot \x1b[1;31mred\x1b[0m ok\r\n"          # colour: passes
           b"\x1b]52;c;cm0gLXJmIH4=\x07"                 # OSC 52: clipboard write
           b"\x1b]0;pwned\x1b\\"                         # window title
           b"\x1bP1$qm\x1b\\"                            # DCS
           b"\x1b[2J\x1b[H\x1b[10A"                      # clear screen, cursor home, cursor up
           b"\xc2\x9b2J"                                 # C1 CSI encoded as UTF-8
           b"nul\x00bel\x07 bad\xff\xfe utf8 \xe2\x82 end\r\n"
           b"25 \xc2\xb0C \xe2\x9c\x93\r\n")

SAFE = (b"boot \x1b[1;31mred\x1b[0m ok\n"
        b"^[]52;c;cm0gLXJmIH4=^G^[]0;pwned^[\\^[P1$qm^[\\^[[2J^[[H^[[10A^[[2J"
        b"nul^@bel^G bad\\xff\\xfe utf8 \\xe2\\x82 end\n"
        b"25 \xc2\xb0C \xe2\x9c\x93\n")


def follow(picoctl, board_bytes: bytes | list[bytes], *args: str) -> tuple[bytes, int]:
    """Runs the monitor on a pty board with another pty as its stdout; returns what the terminal got
    and the exit status. A list of pieces is written one at a time, 2 ms apart."""
    board, board_tty = pty.openpty()
    tty.setraw(board)
    path = os.ttyname(board_tty)
    os.close(board_tty)
    screen, screen_tty = pty.openpty()
    tty.setraw(screen_tty)          # exact bytes (no "\n" → "\r\n") on the terminal's side
    proc = subprocess.Popen([picoctl, "monitor", path, "--quiet", "--no-reconnect", *args], stdin=subprocess.DEVNULL,
                            stdout=screen_tty, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
    os.close(screen_tty)
    time.sleep(0.3)                 # the monitor opens the board
    pieces = board_bytes if isinstance(board_bytes, list) else [board_bytes]
    for piece in pieces:
        os.write(board, piece)
        if len(pieces) > 1:
            time.sleep(0.002)
    board_bytes = b"".join(pieces)
    seen = bytearray()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if select.select([screen], [], [], 0.3)[0]:
            try:
                seen += os.read(screen, 65536)
            except OSError:         # the monitor ended and closed the terminal
                break
        elif seen.count(b"\n") >= board_bytes.count(b"\n"):
            break
    os.close(board)                 # the board goes away: exit 7 with --no-reconnect
    status = proc.wait(timeout=10)
    while select.select([screen], [], [], 0.1)[0]:
        try:
            chunk = os.read(screen, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(screen)
    return bytes(seen), status


def test_hostile_sequences_are_shown_escaped_and_colour_passes(picoctl):
    seen, status = follow(picoctl, HOSTILE, "--eol", "lf")
    assert status == 7
    assert seen == SAFE


def test_raw_passes_every_byte(picoctl):
    seen, status = follow(picoctl, HOSTILE, "--raw")
    assert status == 7
    assert seen == HOSTILE


def test_line_mode_is_sanitized_too(picoctl):
    seen, status = follow(picoctl, HOSTILE, "--lines", "3")
    assert status == 0
    assert seen == SAFE


def test_log_never_holds_an_escape_unless_log_raw(picoctl, tmp_path):
    log, raw_log = tmp_path / "board.log", tmp_path / "raw.log"
    follow(picoctl, HOSTILE, "--log", str(log))
    follow(picoctl, HOSTILE, "--log", str(raw_log), "--log-raw")
    text = log.read_bytes()
    assert b"\x1b" not in text
    assert b"boot red ok\n" in text                       # colour dropped
    assert b"^[]52;c;cm0gLXJmIH4=^G" in text
    assert b"nul^@bel^G bad\\xff\\xfe" in text
    raw = raw_log.read_bytes()
    assert b"\x1b]52;c;cm0gLXJmIH4=\x07" in raw and b"\x00" in raw and b"\xff\xfe" in raw


@pytest.mark.parametrize("chunk", [1, 7])
def test_chunking_does_not_change_what_is_shown(picoctl, chunk):
    # Small writes with pauses between them, so sequences and characters arrive cut across reads.
    pieces = [HOSTILE[i:i + chunk] for i in range(0, len(HOSTILE), chunk)]
    seen, status = follow(picoctl, pieces, "--eol", "lf")
    assert status == 7
    assert seen == SAFE
