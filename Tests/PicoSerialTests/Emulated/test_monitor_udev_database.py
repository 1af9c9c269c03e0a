"""The tty and the board agree whatever the udev database says: `monitor` (by serial, by port, any
board, `--all`), `flash --monitor` and `list` read a tty's identity from sysfs (its USB interface and
device), so a missing database (no udevd, as in a container) or a stale one (an entry left by an
earlier device with the same minor) neither hides nor misnames the board."""
from __future__ import annotations

import json

import pytest

from conftest import Running

STATES = ["missing", "stale"]     # the harness's tty_udev: no ID_* properties / another device's


@pytest.mark.parametrize("tty_udev", STATES)
def test_monitor_finds_and_names_the_board_from_sysfs(emulated_board, picoctl, tty_udev):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app", "heartbeat": 0.2, "tty_udev": tty_udev}])
    board = boards.board(0)
    described = f"{board['tty']} (2e8a:000a, serial {board['serial']}, port {board['port']}, interface 0)"
    for selection in (["--serial", board["serial"]], ["--port", board["port"]], []):
        run = Running(boards, [picoctl, "monitor", "-v", *selection, "--lines", "1", "--timeout", "10"])
        assert run.finish() == 0, (selection, run.stderr)
        assert f"found {described}" in run.stderr, (selection, run.stderr)
        assert "tick" in run.stdout or f"serial {board['serial']}" in run.stdout, run.stdout


@pytest.mark.parametrize("tty_udev", STATES)
def test_monitor_all_labels_the_board_by_its_real_serial(emulated_board, picoctl, tty_udev):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app", "heartbeat": 0, "tty_udev": tty_udev}])
    serial = boards.board(0)["serial"]
    run = Running(boards, [picoctl, "monitor", "--all", "--json", "--lines", "1", "--timeout", "10"])
    assert run.finish() == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]
    connected = [e for e in events if e["event"] == "connected"]
    assert [e["board"] for e in connected] == [serial], events


@pytest.mark.parametrize("tty_udev", STATES)
def test_list_and_monitor_agree_on_the_tty(emulated_board, picoctl, tty_udev):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app", "heartbeat": 0, "tty_udev": tty_udev}])
    board = boards.board(0)
    listed = boards.run([picoctl, "list", "--json"], timeout=30)
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)["boards"]
    assert entry["tty"] == board["tty"] and entry["serial"] == board["serial"]
    run = Running(boards, [picoctl, "monitor", "-v", "--serial", entry["serial"], "--lines", "1", "--timeout", "10"])
    assert run.finish() == 0, run.stderr
    assert f"connected to {entry['tty']} (2e8a:000a, serial {entry['serial']}" in run.stderr


def test_flash_monitor_follows_the_rebooted_board_without_a_udev_database(emulated_board, picoctl, tmp_path):
    from picoharness.board import sim_program_image
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "bootsel", "heartbeat": 0, "tty_udev": "missing"}])
    image = tmp_path / "app.bin"
    image.write_bytes(sim_program_image())
    run = Running(boards, [picoctl, "flash", str(image), "--force", "--monitor", "--expect", "app on rp2040",
                           "--timeout", "30"])
    assert run.finish(60) == 0, run.stderr
    assert "picoctl-sim app on rp2040" in run.stdout
