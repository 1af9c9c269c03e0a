"""`picoctl monitor` at the edges: a log that cannot be written, two readers on one tty, patterns
across a cut of an over-long line, errors said once and at once. Ptys stand in for a board where the
point is the binary, emulated boards where it is the tty of a board."""
from __future__ import annotations

import os
import pty
import subprocess
import time
import tty

from conftest import Running


def board_pty():
    """A raw pty: (master fd to write the board's output, path of the side picoctl opens)."""
    master, slave = pty.openpty()
    tty.setraw(master)
    path = os.ttyname(slave)
    os.close(slave)
    return master, path


def start(picoctl, *args):
    return subprocess.Popen([picoctl, "monitor", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, NO_COLOR="1"))


def wait_for_stderr(proc, text: bytes, timeout=10) -> bytes:
    """Reads stderr until `text` shows (the process keeps running)."""
    seen = b""
    deadline = time.monotonic() + timeout
    os.set_blocking(proc.stderr.fileno(), False)
    while text not in seen:
        assert time.monotonic() < deadline, f"{text!r} not seen; stderr: {seen!r}"
        chunk = proc.stderr.read()
        if chunk:
            seen += chunk
        else:
            time.sleep(0.05)
    return seen


# --- 13.7: a log that cannot be written ------------------------------------------------------------

def test_a_log_that_cannot_be_written_is_said_once_and_fails_the_run_with_3(picoctl, tmp_path):
    master, path = board_pty()
    log = tmp_path / "board.log"
    log.symlink_to("/dev/full")                           # every write: ENOSPC, as on a full disk
    proc = start(picoctl, path, "--quiet", "--log", str(log), "--expect", "ready", "--timeout", "10")
    time.sleep(0.5)
    os.write(master, b"one\r\ntwo\r\nthree\r\nready\r\n")
    out, err = proc.communicate(timeout=15)
    os.close(master)
    assert proc.returncode == 3, err
    assert err.decode().count("cannot write to log file") == 1, err
    assert b"No space left on device" in err
    assert b"ready" in out                                # the console still showed every line


# --- 13.8: one reader per tty ------------------------------------------------------------------------

def test_a_second_monitor_on_a_tty_names_the_holder_and_exits_5(picoctl):
    master, path = board_pty()
    first = start(picoctl, path, "--no-input")
    try:
        wait_for_stderr(first, b"connected to")
        second = subprocess.run([picoctl, "monitor", path, "--no-input", "--timeout", "10"], capture_output=True,
                                text=True, timeout=15)
        assert second.returncode == 5, second.stderr
        assert f"PID {first.pid}" in second.stderr and "picoctl monitor" in second.stderr, second.stderr
        assert "--share" in second.stderr
        assert second.stderr.count("error:") == 1, second.stderr
        # --share reads alongside the first reader.
        shared = subprocess.run([picoctl, "monitor", path, "--share", "--no-input", "--timeout", "1"],
                                capture_output=True, text=True, timeout=15)
        assert shared.returncode == 11, shared.stderr   # connected, then its timeout
        assert "connected to" in shared.stderr
        assert first.poll() is None
    finally:
        first.terminate()
        first.wait(10)
        os.close(master)
    # Once the first reader is gone, the tty is free again.
    master, path = board_pty()
    again = start(picoctl, path, "--no-input", "--expect", "hello", "--timeout", "10")
    wait_for_stderr(again, b"connected to")
    os.write(master, b"hello\r\n")
    assert again.wait(15) == 0
    os.close(master)


def test_a_second_monitor_on_an_emulated_board_exits_5(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0.2)
    serial = boards.board(0)["serial"]
    first = Running(boards, [picoctl, "monitor", "--serial", serial, "--no-input"])
    try:
        first.wait_for(b"connected to", where="err")
        second = Running(boards, [picoctl, "monitor", "--serial", serial, "--no-input", "--timeout", "10"])
        assert second.finish() == 5, second.stderr
        assert f"PID {first.proc.pid}" in second.stderr, second.stderr
        assert first.proc.poll() is None
    finally:
        first.proc.terminate()
        first.finish()


# --- 13.9: patterns across a cut of an over-long line -----------------------------------------------

def test_expect_matches_across_the_16_kib_cut(picoctl):
    master, path = board_pty()
    proc = start(picoctl, path, "--quiet", "--no-input", "--expect", "READY", "--timeout", "10")
    time.sleep(0.5)
    os.write(master, b"x" * (16 * 1024 - 2) + b"READY and more\r\n")   # "RE" | "ADY" at the cut
    out, err = proc.communicate(timeout=15)
    os.close(master)
    assert proc.returncode == 0, err
    assert b"matched --expect" not in err or b"ADY" in err


def test_help_says_how_long_lines_are_handled(picoctl):
    text = subprocess.run([picoctl, "monitor", "--help"], capture_output=True, text=True).stdout.replace("\n", " ")
    assert "16 KiB" in text and "straddles a cut" in " ".join(text.split())


# --- 13.11: errors said once, and at once ------------------------------------------------------------

def test_a_tty_that_cannot_be_opened_is_reported_once(picoctl):
    result = subprocess.run([picoctl, "monitor", "/dev/null", "--no-input"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 5, result.stderr
    assert result.stderr.count("error:") == 1, result.stderr
    assert "/dev/null" in result.stderr


def test_an_absent_tty_with_no_reconnect_fails_at_once_with_4(picoctl):
    start_time = time.monotonic()
    result = subprocess.run([picoctl, "monitor", "/nonexistent", "--no-reconnect", "--timeout", "30"],
                            capture_output=True, text=True, timeout=40)
    assert result.returncode == 4, result.stderr
    assert time.monotonic() - start_time < 5
    assert result.stderr.count("error:") == 1 and "/nonexistent" in result.stderr


def test_monitor_all_whose_stdout_closes_ends_by_sigpipe(emulated_board, picoctl):
    import signal
    boards = emulated_board(count=2, mode="app", heartbeat=0.1)
    read_end, write_end = os.pipe()
    os.close(read_end)                                    # like `picoctl monitor --all | head -c100`
    proc = boards.popen([picoctl, "monitor", "--all", "--timeout", "20"], stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGPIPE, err


def test_sighup_ends_the_monitor_cleanly_with_130(picoctl):
    import signal
    master, path = board_pty()
    proc = start(picoctl, path, "--no-input")
    wait_for_stderr(proc, b"connected to")
    proc.send_signal(signal.SIGHUP)                       # the terminal or ssh connection closed
    assert proc.wait(10) == 130
    os.close(master)
