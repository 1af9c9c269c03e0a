"""The emulated devices as libudev and a tty client see them, under the real preload."""
import json
import os
import subprocess
import time

import pytest

UDEV = ["-m", "picoharness.tools.udev_client"]


def udev_list(boards, subsystem):
    r = boards.python(UDEV + ["list", subsystem], timeout=20)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_app_tty_has_the_properties_of_a_real_pico_tty(emulated_board):
    boards = emulated_board(count=1, mode="app", heartbeat=0)
    b = boards.board(0)
    ttys = [d for d in udev_list(boards, "tty") if d["properties"].get("DEVNAME") == b["tty"]]
    assert len(ttys) == 1
    p = ttys[0]["properties"]
    assert p["ID_VENDOR_ID"] == "2e8a" and p["ID_MODEL_ID"] == "000a"
    assert p["ID_SERIAL_SHORT"] == b["serial"] == b["unique_id"]
    assert p["ID_USB_INTERFACE_NUM"] == "00" and p["ID_MM_DEVICE_IGNORE"] == "1"
    assert p["SUBSYSTEM"] == "tty"
    assert ttys[0]["syspath"].endswith(f"/{b['port']}/{b['port']}:1.0/tty/{b['tty'][5:]}")


def test_usb_devices_carry_bus_address_and_serial(emulated_board):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app"}, {"kind": "sim-rp2350"}])
    devs = {d["properties"]["DEVNAME"]: d for d in udev_list(boards, "usb")
            if d["properties"].get("DEVTYPE") == "usb_device"}
    for b in boards.status():
        d = devs[b["devnode"]]
        assert d["serial_attr"] == b["serial"]
        assert d["properties"]["BUSNUM"] == "001" and int(d["properties"]["DEVNUM"]) == b["address"]
    assert boards.board(1)["serial"] == boards.board(1)["unique_id"]      # RP2350 BOOTSEL: chip id
    assert boards.board(0)["serial"] != "E0C912D24340"


def test_monitor_sees_remove_then_add_on_replug(emulated_board):
    boards = emulated_board(count=1, mode="app", heartbeat=0)
    mon = boards.popen(boards_python(boards) + UDEV + ["monitor", "10", "10", "tty"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness_env(boards))
    try:
        assert json.loads(mon.stdout.readline())["ready"]
        t0 = time.monotonic()
        boards.unplug(0)
        boards.plug(0)
        first = json.loads(mon.stdout.readline())
        line = mon.stdout.readline()
        assert line, mon.stderr.read()
        second = json.loads(line)
        assert (first["action"], second["action"]) == ("remove", "add")
        assert first["properties"]["ID_SERIAL_SHORT"] == second["properties"]["ID_SERIAL_SHORT"]
        assert second["properties"]["SUBSYSTEM"] == "tty"
        assert time.monotonic() - t0 < 15
    finally:
        mon.kill()
        mon.wait(5)


def boards_python(boards):
    from picoharness.client import harness_python
    return [harness_python()]


def harness_env(boards):
    from picoharness.client import HARNESS_DIR
    env = boards.preload_env()
    env["PYTHONPATH"] = str(HARNESS_DIR)
    return env


TTY_CLIENT = r"""
import fcntl, os, struct, sys, time, select
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
fcntl.ioctl(fd, 0x5416, struct.pack("i", 2))          # TIOCMBIS DTR
got = b""
deadline = time.monotonic() + 20
os.write(fd, b"ping\r")
while b"echo: ping" not in got and time.monotonic() < deadline:
    if select.select([fd], [], [], 0.2)[0]:
        got += os.read(fd, 4096)
sys.stdout.buffer.write(got)
"""


def test_dtr_opens_the_console_and_host_lines_reach_the_board(emulated_board):
    boards = emulated_board(count=1, mode="app", heartbeat=0)
    b = boards.board(0)
    r = boards.run([boards_python(boards)[0], "-c", TTY_CLIENT, b["tty"]], timeout=20, text=False)
    assert r.returncode == 0, r.stderr
    r.stdout = r.stdout.decode()
    assert f"picoctl-sim app on rp2040 serial {b['serial']} boot 1\r\n" in r.stdout
    assert "echo: ping\r\n" in r.stdout
    assert boards.tty_read(0) == b"ping\r"
    assert any(e["event"] == "lines" and e["dtr"] for e in boards.events())


def test_harness_process_stops_with_its_owner(emulated_board):
    boards = emulated_board(count=1)
    pid = boards.proc.pid
    boards.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_1200_baud_touch_set_with_tcsetattr_reboots_to_bootsel(emulated_board):
    boards = emulated_board(count=1, mode="app", heartbeat=0)
    app = boards.board(0)
    touch = ("import os, sys, termios\n"
             "fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)\n"
             "a = termios.tcgetattr(fd); a[4] = a[5] = termios.B1200\n"
             "termios.tcsetattr(fd, termios.TCSANOW, a)\n")
    r = boards.run([boards_python(boards)[0], "-c", touch, app["tty"]], timeout=20)
    assert r.returncode == 0, r.stderr
    b = boards.wait(0, mode="bootsel", timeout=30)
    assert b["port"] == app["port"] and b["boots"] == 2
    assert [e["baud"] for e in boards.events() if e["event"] == "baud"] == [1200]


def test_libusb_hotplug_sees_departure_and_arrival_on_reboot(emulated_board):
    boards = emulated_board(count=1)
    before = boards.board(0)
    p = boards.popen(boards_python(boards) + ["-m", "picoharness.tools.libusb_hotplug", "15", "2"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=harness_env(boards))
    try:
        assert json.loads(p.stdout.readline())["ready"]
        boards.reboot(0, to="bootsel")
        events = [json.loads(p.stdout.readline()) for _ in range(2)]
    finally:
        p.kill()
        p.wait(5)
    # libusb may see the add uevent a moment before the harness's status shows the new address.
    after = boards.wait(0, mode="bootsel", address=events[1]["address"], timeout=30)
    assert after["address"] != before["address"]
    assert [(e["event"], e["address"]) for e in events] == [("left", before["address"]), ("arrived", after["address"])]
    assert events[1]["pid"] == 0x0003


HANGUP_CLIENT = r"""
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
print("open", flush=True)
poll = select.poll()
poll.register(fd, select.POLLIN)
while True:
    events = poll.poll(30000)
    if not events:
        sys.exit("no hangup within 30 s")
    if events[0][1] & select.POLLHUP:
        break
    os.read(fd, 4096)                                   # output before the board left
print("pollhup", flush=True)
print("read", len(os.read(fd, 4096)), flush=True)
try:
    os.write(fd, b"x")
    print("write ok", flush=True)
except OSError as e:
    print("write", e.errno, flush=True)
"""


def test_a_board_that_leaves_hangs_up_its_tty(emulated_board):
    """As cdc_acm does when the board leaves: a program holding the tty gets POLLHUP, read returns 0
    (end of file) and write fails with EIO, whatever udev says."""
    boards = emulated_board(count=1, mode="app", heartbeat=0)
    b = boards.board(0)
    client = boards.popen([boards_python(boards)[0], "-c", HANGUP_CLIENT, b["tty"]],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert client.stdout.readline() == "open\n", client.stderr.read()
    boards.unplug(0)
    out, err = client.communicate(timeout=60)
    assert client.returncode == 0, err
    assert out.splitlines() == ["pollhup", "read 0", "write 5"], out
