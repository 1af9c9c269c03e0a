"""`picoctl monitor` command-line checks that need no board."""
from __future__ import annotations

import os
import pty
import signal
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
    (["--json", "--hex"], "--json carries times and text"),
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
    assert proc.wait(timeout=10) == -signal.SIGPIPE        # the rule of every command (README, Exit status)
    os.close(master)
    assert first == b"one\r\n"
    assert proc.stderr.read() == b""


@pytest.mark.parametrize("no_color, term, options, coloured", [
    (None, "xterm", [], True),
    ("1", "xterm", [], False),
    (None, "dumb", [], False),
    (None, "xterm", ["--color", "never"], False),
    ("1", "dumb", ["--color", "always"], True),
])
def test_colours_only_on_a_terminal_and_never_with_no_color(picoctl, no_color, term, options, coloured):
    board_master, board_slave = pty.openpty()
    tty.setraw(board_master)
    board_path = os.ttyname(board_slave)
    os.close(board_slave)
    out_master, out_slave = pty.openpty()                  # stdout is a terminal
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = term
    if no_color:
        env["NO_COLOR"] = no_color
    proc = subprocess.Popen([picoctl, "monitor", board_path, "--timestamps=mono", "--no-input", "--expect", "ready",
                             "--timeout", "10", *options], stdout=out_slave, stderr=subprocess.PIPE, env=env)
    os.close(out_slave)
    os.write(board_master, b"ready\r\n")
    assert proc.wait(timeout=15) == 0
    shown = b""
    while True:
        try:
            chunk = os.read(out_master, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(out_master)
    os.close(board_master)
    assert b"ready" in shown
    assert (b"\x1b[" in shown) == coloured


def test_config_file_timestamps_and_log_folder_apply_unless_given(picoctl, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'timestamps = "mono"\nlog-dir = "{tmp_path / "logs"}"\n')

    def run(*options):
        master, slave = pty.openpty()
        tty.setraw(master)
        path = os.ttyname(slave)
        os.close(slave)
        proc = subprocess.Popen([picoctl, "monitor", path, "--quiet", "--lines", "2", "--config", str(config), *options],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ, NO_COLOR="1"))
        os.write(master, b"one\r\ntwo\r\n")
        out, err = proc.communicate(timeout=15)
        os.close(master)
        assert proc.returncode == 0, err
        return out.decode().splitlines()

    lines = run()
    assert [line.startswith("[+") for line in lines] == [True, True], lines
    assert lines[0].endswith(" one")
    assert "] one" in (tmp_path / "logs" / "monitor.log").read_text()
    given = run("--timestamps", "wall", "--log", str(tmp_path / "given.log"))
    assert given[0][0] == "[" and given[0][1].isdigit() and given[0][3] == ":", given
    assert (tmp_path / "given.log").exists()
    assert (tmp_path / "logs" / "monitor.log").read_text().count("one") == 1
