"""`picoctl monitor` command-line checks that need no board."""
from __future__ import annotations

import os
import pty
import subprocess
import tty

import pytest


def monitor(picoctl, *args, timeout=10):
    return subprocess.run([picoctl, "monitor", *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, NO_COLOR="1"))


@pytest.mark.parametrize("args, message", [
    (["--baud", "12345"], "--baud 12345 is not supported"),
    (["--all", "--serial", "E6605481DB484600"], "--all follows every board"),
    (["--bus", "1", "--address", "2"], "use --serial or --port"),
    (["--expect", "(unclosed"], "bad pattern"),
    (["--timeout", "0"], "--timeout must be a positive"),
    (["--lines", "0"], "--lines must be at least 1"),
    (["--port", "not-a-port"], "is not a USB port path"),
    (["ttyACM0"], "absolute path"),
])
def test_bad_command_lines_are_usage_errors(picoctl, args, message):
    result = monitor(picoctl, *args)
    assert result.returncode == 64, result.stderr
    assert message in result.stderr


def test_log_file_that_cannot_be_opened_is_exit_3(picoctl, tmp_path):
    result = monitor(picoctl, "/dev/null-not-a-tty", "--log", str(tmp_path / "missing" / "dir" / "log"))
    assert result.returncode == 3
    assert "cannot open log file" in result.stderr


def test_help_documents_the_exit_statuses(picoctl):
    result = subprocess.run([picoctl, "monitor", "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    for text in ("--expect", "--fail-on", "--timeout", "Ctrl-]", "10 --fail-on", "11 --timeout"):
        assert text in result.stdout.replace("\n", " ")


def test_a_pty_path_is_followed_and_stdout_closing_ends_the_run(picoctl):
    master, slave = pty.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    os.close(slave)
    proc = subprocess.Popen([picoctl, "monitor", path, "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.write(master, b"one\r\ntwo\r\n")
    first = proc.stdout.read(5)
    proc.stdout.close()                                   # like `picoctl monitor | head -1`
    os.write(master, b"three\r\n" * 1000)
    assert proc.wait(timeout=10) == 0
    os.close(master)
    assert first == b"one\r\n"
    assert proc.stderr.read() == b""
