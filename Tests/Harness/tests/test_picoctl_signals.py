"""Every way picoctl is stopped releases the board: Ctrl-C, SIGTERM and SIGHUP (a closed terminal or
ssh connection) mid-flash on a simulated board, then the next flash uses the board at once."""
import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

PICOCTL = str(Path(__file__).resolve().parents[3] / ".build" / "debug" / "picoctl")


@pytest.mark.parametrize("signum, name", [(signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM"),
                                          (signal.SIGHUP, "SIGHUP")])
def test_a_signal_mid_flash_resets_and_releases_the_board(emulated_board, tmp_path, signum, name):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "timing": {"erase_sector": 0.02, "program_page": 0.002}}])
    image = os.urandom(128 * 1024)
    firmware = tmp_path / "random.bin"
    firmware.write_bytes(image)
    p = boards.popen([PICOCTL, "flash", str(firmware), "--force", "--no-reboot", "--no-helper", "--json"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in p.stdout:                       # stop it once writing is under way
        event = json.loads(line)
        if event["event"] == "progress" and event["phase"] == "write" and 0 < event["done"] < event["total"]:
            break
    else:
        pytest.fail("no write progress seen")
    p.send_signal(signum)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, (p.returncode, err)
    assert f"interrupted by {name}" in err
    assert "released" in err

    again = boards.run([PICOCTL, "flash", str(firmware), "--force", "--no-reboot"], timeout=60)
    assert again.returncode == 0, again.stderr
    assert "LIBUSB_ERROR" not in again.stderr
    assert boards.read_flash(0, 0, len(image)) == image
