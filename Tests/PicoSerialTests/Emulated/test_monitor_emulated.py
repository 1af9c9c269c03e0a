"""`picoctl monitor` against emulated Pico apps: discovery through libudev, DTR, hotplug, automation exits."""
from __future__ import annotations

import os
import pty
import signal
import subprocess
import time

from conftest import Running, make_bootable


def test_finds_the_tty_by_serial_and_raises_dtr(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0)
    board = boards.board(0)
    run = Running(boards, [picoctl, "monitor", "-v", "--serial", board["serial"].lower(), "--lines", "1",
                           "--timeout", "10"])
    assert run.finish() == 0, run.stderr
    # Every property came from libudev: vendor, product, serial, port path (from the devpath), interface.
    assert f"found {board['tty']} (2e8a:000a, serial {board['serial']}, port 1-1, interface 0)" in run.stderr
    # The app prints its banner only once DTR is up (TIOCMBIS reached the emulated CDC driver).
    assert run.stdout.startswith(f"picoctl-sim app on rp2040 serial {board['serial']} boot 1")
    assert "DTR raised" in run.stderr
    assert boards.events(event="lines", dtr=True)


def test_selects_by_port_path_and_by_tty(emulated_board, picoctl):
    boards = emulated_board(count=2, mode="app", heartbeat=0)
    second = boards.board(1)
    by_port = Running(boards, [picoctl, "monitor", "--port", second["port"], "--lines", "1", "--timeout", "10"])
    assert by_port.finish() == 0, by_port.stderr
    assert f"serial {second['serial']}" in by_port.stdout
    by_tty = Running(boards, [picoctl, "monitor", second["tty"], "--expect", "by path", "--timeout", "10"])
    by_tty.wait_for(b"connected to " + second["tty"].encode(), where="err")
    boards.tty_write(1, "found by path\r\n")
    assert by_tty.finish() == 0, by_tty.stderr


def test_two_boards_and_no_selection_is_exit_4_naming_both(emulated_board, picoctl):
    boards = emulated_board(count=2, mode="app", heartbeat=0)
    run = Running(boards, [picoctl, "monitor", "--timeout", "5"])
    assert run.finish() == 4
    for b in boards.status():
        assert b["serial"] in run.stderr
    assert "--serial" in run.stderr


def test_waits_for_the_board_then_reports_appearance_to_dtr(emulated_board, picoctl):
    boards = emulated_board(mode="off", heartbeat=0)
    make_bootable(boards)
    serial = boards.board(0)["unique_id"]
    run = Running(boards, [picoctl, "monitor", "-v", "--serial", serial, "--expect", "app on", "--timeout", "15"])
    run.wait_for(b"waiting for serial", where="err")
    boards.plug(0)
    assert run.finish() == 0, run.stderr
    assert "DTR raised" in run.stderr and "ms after the tty appeared" in run.stderr


def test_expect_fail_on_timeout_and_lines_exit_statuses(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0)
    tty = boards.board(0)["tty"]

    failing = Running(boards, [picoctl, "monitor", tty, "--expect", "PASS", "--fail-on", "FAIL|panic", "--timeout", "10"])
    boards.wait(0, dtr=True)
    boards.tty_write(0, "test 1 ok\r\ntest 2 FAIL: got 3\r\nPASS\r\n")
    assert failing.finish() == 10
    assert failing.stdout.splitlines()[-1] == "test 2 FAIL: got 3", "output stops at the deciding line"
    assert "test 2 FAIL" in failing.stderr

    silent = Running(boards, [picoctl, "monitor", tty, "--expect", "never printed", "--timeout", "1"])
    assert silent.finish() == 11
    assert "timed out" in silent.stderr

    counted = Running(boards, [picoctl, "monitor", tty, "--lines", "3", "--timeout", "10"])
    boards.wait(0, dtr=True)
    boards.tty_write(0, "a\r\nb\r\nc\r\nd\r\ne\r\n")
    assert counted.finish() == 0
    assert counted.stdout.splitlines()[-3:] == ["a", "b", "c"]


def test_no_reconnect_exits_7_when_the_board_leaves(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0)
    run = Running(boards, [picoctl, "monitor", "--no-reconnect", "--timeout", "20"])
    run.wait_for(b"app on")
    boards.unplug(0)
    assert run.finish() == 7
    assert "disconnected from" in run.stderr and "went away" in run.stderr


def test_sigterm_exits_130(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0)
    run = Running(boards, [picoctl, "monitor"])
    run.wait_for(b"app on")
    run.proc.send_signal(signal.SIGTERM)
    assert run.finish() == 130


def test_keys_typed_on_a_terminal_reach_the_board_and_ctrl_bracket_exits(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0)
    master, slave = pty.openpty()
    env = dict(os.environ, NO_COLOR="1")
    proc = boards.popen([picoctl, "monitor", "--send-eol", "cr"], stdin=slave, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, env=env)
    os.close(slave)
    try:
        boards.wait(0, dtr=True)
        os.write(master, b"hello pico\r")
        received = b""
        deadline = time.monotonic() + 10
        while not received.endswith(b"\r") and time.monotonic() < deadline:
            received += boards.tty_read(0)
            time.sleep(0.05)
        assert received == b"hello pico\r", "the typed line reaches the board, Enter sent as CR"
        os.write(master, b"\x1d")
        out, err = proc.communicate(timeout=10)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert b"echo: hello pico" in out
    assert b"exit with Ctrl-]" in err


def test_all_multiplexes_every_board_including_one_plugged_in_later(emulated_board, picoctl):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app", "heartbeat": 0},
                                    {"kind": "sim-rp2350", "mode": "app", "heartbeat": 0},
                                    {"kind": "sim-rp2040", "mode": "off", "heartbeat": 0}])
    make_bootable(boards, 2)
    run = Running(boards, [picoctl, "monitor", "--all", "--expect", "^last words$", "--timeout", "20"])
    first, second = boards.board(0), boards.board(1)
    run.wait_for(f"[{first['serial']}] picoctl-sim app".encode())
    run.wait_for(f"[{second['serial']}] picoctl-sim app".encode())
    boards.plug(2)
    third = boards.wait(2, mode="app", dtr=True)
    for index in (0, 1):
        boards.tty_write(index, f"hello from {index}\r\n")
    run.wait_for(f"[{second['serial']}] hello from 1\n".encode())
    run.wait_for(f"[{first['serial']}] hello from 0\n".encode())
    boards.tty_write(2, "last words\r\n")
    assert run.finish() == 0, run.stderr
    assert run.stdout.splitlines()[-1] == f"[{third['serial']}] last words"
    for line in run.stdout.splitlines():
        assert line.split("] ", 1)[0].lstrip("[") in {first["serial"], second["serial"], third["serial"]}


def test_all_timeout_is_reported_once(emulated_board, picoctl):
    boards = emulated_board(count=2, mode="app", heartbeat=0)
    run = Running(boards, [picoctl, "monitor", "--all", "--timeout", "1"])
    assert run.finish() == 11
    assert run.stderr.count("timed out") == 1


def test_baud_reaches_the_cdc_driver_and_1200_reboots_into_bootsel(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0)
    normal = Running(boards, [picoctl, "monitor", "--baud", "921600", "--lines", "1", "--timeout", "10"])
    assert normal.finish() == 0, normal.stderr
    assert boards.events(event="baud", baud=921600)
    # The 1200-baud touch: the app reboots into BOOTSEL, so its tty goes away for good.
    touched = Running(boards, [picoctl, "monitor", "--baud", "1200", "--no-reconnect", "--timeout", "10"])
    assert touched.finish() == 7, touched.stderr
    assert boards.wait(0, mode="bootsel")["mode"] == "bootsel"


def test_json_lines_for_scripts(emulated_board, picoctl):
    import json
    boards = emulated_board(mode="app", heartbeat=0)
    board = boards.board(0)
    run = Running(boards, [picoctl, "monitor", "--json", "--expect", "^done$", "--timeout", "10"])
    boards.wait(0, dtr=True)
    run.wait_for(b'"event":"line"')
    boards.tty_write(0, b"caf\xc3\xa9 ok\r\nraw \xff\xfe\r\ndone\r\n")
    assert run.finish() == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert events[0]["event"] == "connected" and events[0]["tty"] == board["tty"] and events[0]["dtr"] == "asserted"
    assert events[0]["board"] == board["serial"] and events[0]["port"] == board["port"]
    lines = [e for e in events if e["event"] == "line"]
    assert [e["text"] for e in lines[1:]] == ["café ok", "raw \ufffd\ufffd", "done"]
    assert lines[1]["utf8"] is True and "hex" not in lines[1]
    assert lines[2]["utf8"] is False and lines[2]["hex"] == "72617720fffe"
    assert all(e["board"] == board["serial"] and e["time"].endswith("Z") and e["mono"] >= 0 for e in lines)
    assert events[-1] == {"schema": 1, "event": "end", "status": 0, "reason": "expected"}


def test_all_with_json_ends_with_one_end_event(emulated_board, picoctl):
    import json
    boards = emulated_board(count=2, mode="app", heartbeat=0)
    run = Running(boards, [picoctl, "monitor", "--all", "--json", "--expect", "^go$", "--timeout", "10"])
    boards.wait(0, dtr=True)
    boards.wait(1, dtr=True)
    run.wait_for(b'"event":"line"')
    boards.tty_write(1, "go\r\n")
    assert run.finish() == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    ends = [e for e in events if e["event"] == "end"]
    assert ends == [{"schema": 1, "event": "end", "status": 0, "reason": "expected"}]
    assert events[-1] == ends[0]
    assert {e["board"] for e in events if e["event"] == "connected"} == {b["serial"] for b in boards.status()}


def test_follows_the_board_through_bootsel_and_back_as_after_a_flash(emulated_board, picoctl):
    boards = emulated_board(mode="app", heartbeat=0)
    port = boards.board(0)["port"]
    run = Running(boards, [picoctl, "monitor", "-v", "--port", port, "--expect", " boot 3$", "--timeout", "30"])
    run.wait_for(b" boot 1")
    boards.reboot(0, to="bootsel")                        # the tty goes; a BOOTSEL device has none
    boards.wait(0, mode="bootsel")
    boards.reboot(0, to="app")                            # back on a new ttyACM, same port
    run.wait_for(b" boot 3", timeout=20)
    assert run.finish() == 0, run.stderr
    assert run.stderr.count("disconnected from") == 1
    assert "reconnected to" in run.stderr and "ms after the tty appeared" in run.stderr
