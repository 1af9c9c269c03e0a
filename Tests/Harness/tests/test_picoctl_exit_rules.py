"""One rule for every command: a malformed inventory is exit 2 wherever it is read (before any board
is touched), and a closed stdout ends a command by SIGPIPE after it released its board."""
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

PICOCTL = os.environ.get("PICOCTL") or str(Path(__file__).resolve().parents[3] / ".build" / "debug" / "picoctl")


@pytest.fixture
def bad_inventory(tmp_path):
    path = tmp_path / "boards.toml"
    path.write_text("bench-3 = \"E6605481DB484636\"\nthis is not an inventory line\n")
    return str(path)


@pytest.mark.parametrize("args", [
    ["list"],
    ["list", "--watch", "--timeout", "1"],
    ["flash", "IMAGE", "--serial", "bench-3"],
    ["flash", "IMAGE", "--no-reboot"],
    ["reboot"],
    ["monitor", "--all", "--timeout", "1"],
], ids=["list", "list-watch", "flash-by-name", "flash", "reboot", "monitor-all"])
def test_a_malformed_inventory_is_exit_2_from_every_command_and_touches_no_board(emulated_board, tmp_path,
                                                                                 bad_inventory, args):
    boards = emulated_board(kind="sim-rp2040")
    image = tmp_path / "app.bin"
    image.write_bytes(b"\x01" * 256)
    argv = [PICOCTL, *[str(image) if a == "IMAGE" else a for a in args], "--inventory", bad_inventory]
    result = boards.run(argv, timeout=60)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert f"{bad_inventory}:2:" in result.stderr
    assert result.stderr.count(bad_inventory) == 1, result.stderr
    board = boards.board(0)
    assert board["mode"] == "bootsel" and board["boots"] == 1 and not board["commands"], board


def test_a_named_inventory_that_cannot_be_read_is_exit_3(emulated_board, tmp_path):
    boards = emulated_board(kind="sim-rp2040")
    for args in (["list"], ["reboot"]):
        result = boards.run([PICOCTL, *args, "--inventory", str(tmp_path / "missing.toml")], timeout=60)
        assert result.returncode == 3, (args, result.stderr)


def closed_stdout_run(boards, argv):
    """Runs `argv` with a stdout pipe whose reader is gone before the first write."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    proc = boards.popen(argv, stdout=write_end, stderr=subprocess.PIPE)
    os.close(write_end)
    _, err = proc.communicate(timeout=60)
    return proc.returncode, err.decode(errors="replace")


def test_commands_without_a_board_end_by_sigpipe_when_stdout_is_closed(emulated_board, tmp_path):
    boards = emulated_board(kind="sim-rp2040")
    image = tmp_path / "app.bin"
    image.write_bytes(b"\x01" * 4096)
    for argv in ([PICOCTL, "list", "--json"], [PICOCTL, "info", str(image), "--type", "bin"]):
        status, err = closed_stdout_run(boards, argv)
        assert status == -signal.SIGPIPE, (argv, status, err)


def test_a_flash_whose_stdout_closes_releases_the_board_and_ends_by_sigpipe(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "timing": {"erase_sector": 0.02, "program_page": 0.002}}])
    image = os.urandom(128 * 1024)
    firmware = tmp_path / "random.bin"
    firmware.write_bytes(image)
    p = boards.popen([PICOCTL, "flash", str(firmware), "--force", "--no-reboot", "--no-helper", "--json"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in p.stdout:
        event = json.loads(line)
        if event["event"] == "progress" and event["phase"] == "write" and 0 < event["done"] < event["total"]:
            break
    p.stdout.close()                                      # like `picoctl flash --json ... | head`
    err = p.stderr.read().decode()
    assert p.wait(timeout=30) == -signal.SIGPIPE, err
    assert "released" in err, err

    again = boards.run([PICOCTL, "flash", str(firmware), "--force", "--no-reboot"], timeout=60)
    assert again.returncode == 0, again.stderr
    assert boards.read_flash(0, 0, len(image)) == image
