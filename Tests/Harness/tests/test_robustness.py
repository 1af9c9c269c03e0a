"""What end-to-end scenarios lean on: a client killed mid-flash, many replugs, several real chips."""
import json
import signal
import subprocess
import time
from pathlib import Path

PICOCTL = str(Path(__file__).resolve().parents[3] / ".build" / "debug" / "picoctl")
CLIENT = ["-m", "picoharness.tools.picoboot_client"]
FLASH = 0x1000_0000


def harness_env(boards):
    from picoharness.client import HARNESS_DIR
    env = boards.preload_env()
    env["PYTHONPATH"] = str(HARNESS_DIR)
    return env


def python():
    from picoharness.client import harness_python
    return harness_python()


def test_client_killed_mid_write_leaves_a_board_the_next_client_can_use(emulated_board):
    boards = emulated_board()
    boards.control("timing", board=0, program_page=0.002)          # 64 KiB take ~0.5 s to program
    steps = [{"op": "erase", "addr": FLASH, "size": 65536}, {"op": "write", "addr": FLASH, "pattern_size": 65536}]
    p = boards.popen([python(), *CLIENT, "script", json.dumps(steps)], env=harness_env(boards),
                     stdout=subprocess.PIPE, text=True)
    assert json.loads(p.stdout.readline())["op"] == "erase"
    time.sleep(0.1)
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    r = boards.python(CLIENT + ["script", json.dumps([
        {"op": "reset"}, {"op": "exclusive"},
        {"op": "erase", "addr": FLASH, "size": 4096},
        {"op": "write", "addr": FLASH, "hex": "5a" * 256},
        {"op": "read", "addr": FLASH, "size": 4}])], timeout=60)
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert out and all("error" not in o for o in out), (out, r.stderr)
    assert out[-1]["hex"] == "5a5a5a5a"


def test_fifty_replugs_of_an_app_keep_tty_and_events_consistent(emulated_board):
    boards = emulated_board(mode="app", heartbeat=0)
    ttys = set()
    for _ in range(50):
        boards.unplug(0)
        boards.plug(0)
        b = boards.wait(0, mode="app", timeout=30)
        ttys.add(b["tty"])
    events = boards.events()
    assert len(ttys) == 50                              # a fresh ttyACM index each time (README)
    assert [e["event"] for e in events if e["event"] in ("connect", "disconnect")] == \
        ["connect"] + ["disconnect", "connect"] * 50
    assert boards.tty_write(0, "still here\r\n") == 12


def test_two_real_chips_flash_independently(emulated_board):
    boards = emulated_board(kind="rp2040py", count=2)
    a = boards.wait(0, mode="bootsel", timeout=60)
    b = boards.wait(1, mode="bootsel", timeout=60)
    for board, byte in ((a, "11"), (b, "22")):
        r = boards.python(CLIENT + ["script", json.dumps([
            {"op": "exclusive"}, {"op": "exit_xip"}, {"op": "erase", "addr": FLASH, "size": 4096},
            {"op": "write", "addr": FLASH, "hex": byte * 256}]),
            "--bus", "1", "--address", str(board["address"])], timeout=120)
        assert r.returncode == 0 and "error" not in r.stdout, r.stdout + r.stderr
    assert boards.read_flash(0, 0, 2) == b"\x11\x11" and boards.read_flash(1, 0, 2) == b"\x22\x22"


READ_FOREVER = """
import sys, usb.core, usb.util
dev = usb.core.find(idVendor=0x2e8a, idProduct=0x0003)
itf = next(i for i in dev.get_active_configuration() if i.bInterfaceClass == 0xff)
usb.util.claim_interface(dev, itf.bInterfaceNumber)
ep_in = next(e for e in itf if e.bEndpointAddress & 0x80)
print("reading", flush=True)
dev.read(ep_in.bEndpointAddress, 64, timeout=0)     # no command sent: pending until killed
"""


def test_a_read_left_pending_by_a_killed_process_does_not_eat_the_next_acknowledgement(emulated_board, tmp_path):
    """The kernel kills a dead process's URBs; the harness must not let them answer the next client."""
    boards = emulated_board()
    p = boards.popen([python(), "-c", READ_FOREVER], env=harness_env(boards), stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "reading"
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    image = tmp_path / "image.bin"
    image.write_bytes(bytes(range(256)) * 16)
    r = boards.run([PICOCTL, "flash", str(image), "--force", "--no-reboot"], timeout=120)
    assert r.returncode == 0, r.stderr
    assert boards.read_flash(0, 0, 4096) == image.read_bytes()
