"""`picoctl doctor` on emulated boards: it finds them through sysfs and udev as on a real host, and
reports a USB node this user cannot open (exit 1, with the fix)."""
import json
from pathlib import Path

import pytest

PICOCTL = Path(__file__).resolve().parents[3] / ".build" / "debug" / "picoctl"


def doctor(boards):
    if not PICOCTL.exists():
        pytest.skip("picoctl is not built (swift build)")
    r = boards.run([str(PICOCTL), "doctor", "--json"], timeout=60)
    return r.returncode, json.loads(r.stdout)


def test_doctor_lists_the_boards_and_advises_port_for_identical_bootsel_serials(emulated_board):
    boards = emulated_board(boards=[{"kind": "sim-rp2040"}, {"kind": "sim-rp2040"}, {"kind": "sim-rp2040", "mode": "app"}])
    status = boards.status()
    code, report = doctor(boards)
    assert code == 0 and report["needs_fixing"] is False, report
    assert [(d["port"], d["product_id"], d["node"]) for d in report["devices"]] == \
        [(b["port"], "0003" if b["mode"] == "bootsel" else "000a", b["devnode"]) for b in status]
    assert report["devices"][2]["ttys"] == [status[2]["tty"]]
    same = [f for f in report["findings"] if f["check"] == "bootsel-identity"]
    assert len(same) == 1 and "ports 1-1, 1-2" in same[0]["summary"] and "--port 1-1" in same[0]["fix"]


def test_doctor_reports_a_usb_node_that_cannot_be_opened(emulated_board):
    boards = emulated_board(count=2)
    boards.fault(1, deny=True)
    node = boards.board(1)["devnode"]
    code, report = doctor(boards)
    assert code == 1 and report["needs_fixing"] is True
    denied = [f for f in report["findings"] if f["severity"] == "problem"]
    assert [f["check"] for f in denied] == ["device-access"] and node in denied[0]["summary"]
    assert "60-picoctl.rules" in denied[0]["fix"]
