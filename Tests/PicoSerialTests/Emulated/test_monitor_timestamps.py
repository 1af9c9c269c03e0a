"""`monitor --timestamps` kinds and the log header, through the built binary on a pty board."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import time
import tty

import pytest


def run(picoctl, *args: str, board_bytes: bytes = b"one\r\ntwo\r\n") -> tuple[subprocess.CompletedProcess, str]:
    board, board_tty = pty.openpty()
    tty.setraw(board)
    path = os.ttyname(board_tty)
    os.close(board_tty)
    proc = subprocess.Popen([picoctl, "monitor", path, "--no-reconnect", *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1", TZ="UTC"))
    time.sleep(0.3)
    os.write(board, board_bytes)
    out, err = proc.communicate(timeout=10)
    os.close(board)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out.decode(), err.decode()), path


@pytest.mark.parametrize("kind, pattern", [
    ("wall", r"\[\d\d:\d\d:\d\d\.\d{3}\] one"),
    ("iso", r"\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00\] one"),
    ("epoch", r"\[\d{10}\.\d{6}\] one"),
    ("mono", r"\[\+\d+\.\d{6}\] one"),
    ("delta", r"\[\+\d+\.\d{6}\] one"),
])
def test_each_timestamp_kind(picoctl, kind, pattern):
    result, _ = run(picoctl, f"--timestamps={kind}", "--lines", "2")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.splitlines()
    assert re.fullmatch(pattern, first), first
    assert re.fullmatch(pattern.replace("one", "two"), second), second


def test_epoch_is_now(picoctl):
    result, _ = run(picoctl, "--timestamps", "epoch", "--lines", "1")
    stamp = float(result.stdout.split("]")[0][1:])
    assert abs(stamp - time.time()) < 30


def test_bare_flag_is_wall_and_a_tty_after_it_is_the_tty(picoctl):
    result, _ = run(picoctl, "--timestamps", "--lines", "1")
    assert re.fullmatch(r"\[\d\d:\d\d:\d\d\.\d{3}\] one\n", result.stdout)


@pytest.mark.parametrize("args", [["--timestamps=bogus"], ["--timestamps", "bogus"], ["--timestamps=WALL"]])
def test_an_unknown_kind_is_a_usage_error(picoctl, args):
    result = subprocess.run([picoctl, "monitor", *args, "/dev/null"], capture_output=True, text=True)
    assert result.returncode == 64
    assert "is not a timestamp kind (use wall, iso, epoch, mono or delta)" in result.stderr


def test_log_starts_with_a_header_naming_date_board_and_tty(picoctl, tmp_path):
    log = tmp_path / "board.log"
    result, path = run(picoctl, "--log", str(log), "--lines", "2")
    assert result.returncode == 0, result.stderr
    header, *lines = log.read_text().splitlines()
    assert re.fullmatch(rf"# picoctl monitor \d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}\+00:00 board {path} tty {path}", header), header
    assert lines == ["one", "two"]
