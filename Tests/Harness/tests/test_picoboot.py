"""PICOBOOT through the real libusb (pyusb) against the Python bootrom model, faults included."""
import json
import time

from picoharness.board import sim_program_image

CLIENT = ["-m", "picoharness.tools.picoboot_client"]
FLASH = 0x1000_0000


def script(boards, steps, board=None, timeout=60):
    return boards.picoboot_script(steps, board=board, timeout=timeout)


def listing(boards):
    r = boards.python(CLIENT + ["list"], timeout=30)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines() if json.loads(line)["vid"] == 0x2E8A]


def test_libusb_enumerates_bootsel_and_app_boards(emulated_board):
    boards = emulated_board(boards=[{"kind": "sim-rp2040"}, {"kind": "sim-rp2040", "mode": "app"},
                                    {"kind": "sim-rp2350"}])
    seen = {(d["bus"], d["address"]): d for d in listing(boards)}
    s = boards.status()
    assert seen[(1, s[0]["address"])]["pid"] == 0x0003 and seen[(1, s[0]["address"])]["serial"] == "E0C912D24340"
    assert seen[(1, s[0]["address"])]["interfaces"] == [[0, 8, 6, 0x50], [1, 0xFF, 0, 0]]
    assert seen[(1, s[1]["address"])]["pid"] == 0x000A and [2, 0xFF, 0, 1] in seen[(1, s[1]["address"])]["interfaces"]
    assert seen[(1, s[2]["address"])]["pid"] == 0x000F and seen[(1, s[2]["address"])]["serial"] == s[2]["unique_id"]
    assert [d["port"] for d in sorted(seen.values(), key=lambda d: d["port"])] == [[1], [2], [3]]


def test_erase_write_read_and_and_semantics(emulated_board):
    boards = emulated_board()
    out = script(boards, [
        {"op": "exclusive"}, {"op": "exit_xip"},
        {"op": "erase", "addr": FLASH, "size": 8192},
        {"op": "write", "addr": FLASH, "hex": "0f" * 256},
        {"op": "write", "addr": FLASH, "hex": "f3" * 256},          # not erased: AND
        {"op": "write", "addr": FLASH + 4096, "pattern_size": 4096},
        {"op": "read", "addr": FLASH, "size": 256},
        {"op": "read", "addr": FLASH + 4096, "size": 4096},
    ])
    assert all("error" not in o for o in out), out
    assert out[6]["hex"] == "03" * 256
    assert bytes.fromhex(out[7]["hex"]) == bytes((i * 7 + 3) & 0xFF for i in range(4096))
    assert boards.read_flash(0, 0, 2) == b"\x03\x03"


def test_errors_stall_and_the_status_names_them(emulated_board):
    boards = emulated_board()
    out = script(boards, [
        {"op": "erase", "addr": FLASH + 1, "size": 4096},              # BAD_ALIGNMENT
        {"op": "read", "addr": 0x5000_0000, "size": 64},                # INVALID_ADDRESS
        {"op": "raw", "cmd": 0x0A, "args_hex": "00" * 16},              # REBOOT2 on RP2040
        {"op": "read", "addr": FLASH, "size": 16},                      # recovered
    ])
    assert [o.get("status", {}).get("code") for o in out[:3]] == [5, 4, 1]
    assert all(o["errno"] == 32 for o in out[:3])                        # EPIPE: a stall
    assert out[3]["hex"] == "ff" * 16


def test_reboot_reenumerates_as_app_on_the_same_port(emulated_board):
    boards = emulated_board()
    boards.write_flash(0, 0, sim_program_image())
    before = boards.board(0)
    out = script(boards, [{"op": "reboot", "delay_ms": 10}])
    assert "error" not in out[0], out
    after = boards.wait(0, mode="app", timeout=30)
    assert after["port"] == before["port"] and after["address"] != before["address"]
    assert after["serial"] == before["unique_id"] and after["tty"]
    apps = listing(boards)
    assert [(a["pid"], a["address"]) for a in apps] == [(0x000A, after["address"])]


def test_reset_interface_returns_the_app_to_bootsel(emulated_board):
    boards = emulated_board(mode="app", heartbeat=0)
    app = boards.board(0)
    code = ("import usb.core; d = usb.core.find(idVendor=0x2e8a); "
            "d.ctrl_transfer(0x21, 0x01, 0, 2, None, 1000)")
    r = boards.python(["-c", code], timeout=20)
    assert r.returncode == 0, r.stderr
    b = boards.wait(0, mode="bootsel", timeout=30)
    assert b["port"] == app["port"] and b["serial"] == "E0C912D24340"


def test_a_second_claimer_gets_busy(emulated_board):
    boards = emulated_board()
    code = """
import usb.core, usb.util, subprocess, sys
d = usb.core.find(idVendor=0x2e8a)
usb.util.claim_interface(d, 1)
other = subprocess.run([sys.executable, "-c", "import usb.core, usb.util\\n"
    "d = usb.core.find(idVendor=0x2e8a)\\n"
    "try:\\n usb.util.claim_interface(d, 1)\\n print('claimed')\\n"
    "except usb.core.USBError as e:\\n print('errno', e.errno)"], capture_output=True, text=True)
print(other.stdout.strip())
"""
    r = boards.python(["-c", code], timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "errno 16"


def test_disconnect_at_command_n_gives_no_device(emulated_board):
    boards = emulated_board()
    boards.fault(0, disconnect_at=3)
    out = script(boards, [{"op": "exclusive"}, {"op": "exit_xip"},
                          {"op": "erase", "addr": FLASH, "size": 4096}, {"op": "read", "addr": FLASH, "size": 4}])
    assert "error" not in out[0] and "error" not in out[1]
    assert out[2]["errno"] == 19 or "No such device" in out[2]["error"], out
    assert boards.wait(0, mode="off", timeout=30)["devnode"] is None
    boards.plug(0)
    assert boards.wait(0, mode="bootsel", timeout=30)["boots"] == 2


def test_stall_at_command_n_with_chosen_status(emulated_board):
    boards = emulated_board()
    boards.fault(0, stall_at=2, stall_status=10)
    out = script(boards, [{"op": "exclusive"}, {"op": "exit_xip"}, {"op": "exit_xip"}])
    assert out[1]["status"]["code"] == 10 and "error" not in out[2]


def test_permission_denied_on_the_node(emulated_board):
    boards = emulated_board()
    boards.fault(0, deny=True)
    code = ("import usb.core, usb.util\nd = usb.core.find(idVendor=0x2e8a)\n"
            "try:\n usb.util.claim_interface(d, 1)\n print('claimed')\nexcept usb.core.USBError as e:\n print(e.errno)")
    r = boards.python(["-c", code], timeout=20)
    assert r.stdout.strip() == "13", r.stderr                            # EACCES from open()
    boards.fault(0, deny=0)
    r = boards.python(["-c", code], timeout=20)
    assert r.stdout.strip() == "claimed", r.stderr


def test_rp2350_get_info_and_reboot2(emulated_board):
    boards = emulated_board(kind="sim-rp2350")
    uid = boards.board(0)["unique_id"]
    out = script(boards, [{"op": "raw", "cmd": 0x8B, "args_hex": "01000000" + "01000000" + "00" * 8, "length": 256},
                          {"op": "raw", "cmd": 0x02, "args_hex": "00" * 12},
                          {"op": "reboot2", "flags": 2, "delay_ms": 10}])
    words = [int.from_bytes(bytes.fromhex(out[0]["hex"])[i:i + 4], "little") for i in range(0, 20, 4)]
    assert words[0] == 4 and words[1] == 1 and f"{words[4]:08X}{words[3]:08X}" == uid
    assert out[1]["status"]["code"] == 1                                  # REBOOT: UNKNOWN_CMD
    assert boards.wait(0, boots=2, mode="bootsel", timeout=30)["serial"] == uid


def test_thirty_two_boards_enumerate_and_each_flashes(emulated_board):
    boards = emulated_board(count=32)
    t0 = time.monotonic()
    found = listing(boards)
    list_seconds = time.monotonic() - t0
    assert len(found) == 32 and len({d["port"][0] for d in found}) == 32
    last = boards.board(31)
    out = script(boards, [{"op": "erase", "addr": FLASH, "size": 4096},
                          {"op": "write", "addr": FLASH, "hex": "a5" * 256}], board=last)
    assert all("error" not in o for o in out)
    assert boards.read_flash(31, 0, 1) == b"\xa5" and boards.read_flash(30, 0, 1) == b"\xff"
    assert list_seconds < 15


def test_boards_behind_a_hub_have_dotted_port_paths(emulated_board):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "port": "3.1"}, {"kind": "sim-rp2040", "port": "3.2"},
                                    {"kind": "sim-rp2350", "port": "4"}])
    assert [b["port"] for b in boards.status()] == ["1-3.1", "1-3.2", "1-4"]
    ports = sorted(d["port"] for d in listing(boards))
    assert ports == [[3, 1], [3, 2], [4]]
    out = script(boards, [{"op": "read", "addr": FLASH, "size": 4}], board=boards.board(1))
    assert out[0]["hex"] == "ffffffff"
