"""The lab: many boards at once, board identity across modes, and names, through the built picoctl,
the real libusb and libudev, and the harness's simulated boards.

`python -m pytest -s Tests/Harness/tests/test_lab.py -k timing` prints the measured figures.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PICOCTL = str(REPO / ".build" / "debug" / "picoctl")

pytestmark = pytest.mark.skipif(not Path(PICOCTL).exists(), reason="picoctl is not built (swift build)")


def image(tmp_path, size=64 * 1024, seed=7):
    data = bytes(((i * 31 + seed + (i >> 8)) & 0xFF) for i in range(size))
    path = tmp_path / f"image-{seed}.bin"
    path.write_bytes(data)
    return path, data


def json_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def read_lines_until(stream, predicate, timeout):
    """Lines of a child's stdout until one satisfies `predicate` (returned with all lines read)."""
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        if predicate(line):
            return lines, True
    return lines, False


# --- many boards at once ---------------------------------------------------------------------


def test_unplug_one_of_eight_mid_flash_the_others_succeed(emulated_board, tmp_path):
    """Eight boards flashed at once; board 4 (port 1-4) is pulled out while it writes. Exit status 1,
    the board named as failed with the disconnection; the seven others hold the image."""
    slow = {"erase_sector": 0.01, "program_page": 0.002}
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "timing": slow} for _ in range(8)])
    path, data = image(tmp_path)
    inventory = tmp_path / "boards.toml"
    inventory.write_text('four = "port:1-4"\n')
    p = boards.popen([PICOCTL, "flash", str(path), "--force", "--all", "--no-reboot", "--json", "--inventory", str(inventory)],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def writing_on_1_4(line):
            event = json.loads(line) if line.startswith("{") else {}
            return event.get("board") == "1-4" and event.get("event") == "progress" and event.get("phase") == "write"
        lines, seen = read_lines_until(p.stdout, writing_on_1_4, timeout=60)
        assert seen, "".join(lines)
        boards.unplug(3)
        out, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    events = json_lines("".join(lines) + out)
    results = {e["board"]: e for e in events if e.get("event") == "board-result"}
    assert p.returncode == 1, err
    assert sorted(results) == [f"1-{i}" for i in range(1, 9)]
    assert results["1-4"]["result"] == "failed"
    assert "disconnected" in results["1-4"]["error"] or "NO_DEVICE" in results["1-4"]["error"]
    assert all(results[f"1-{i}"]["result"] == "flashed" for i in (1, 2, 3, 5, 6, 7, 8))
    assert results["1-4"]["name"] == "four" and results["1-1"]["name"] is None
    assert "1 of 8 boards failed: four (1-4)" in err
    for index in (0, 1, 2, 4, 5, 6, 7):
        assert boards.read_flash(index, 0, len(data)) == data


def test_board_appearing_during_a_parallel_flash_is_left_alone(emulated_board, tmp_path):
    """The boards are chosen when the flash starts: one plugged in meanwhile is not touched."""
    slow = {"erase_sector": 0.01, "program_page": 0.002}
    specs = [{"kind": "sim-rp2040", "timing": slow} for _ in range(3)] + [{"kind": "sim-rp2040", "mode": "off"}]
    boards = emulated_board(boards=specs)
    path, data = image(tmp_path)
    p = boards.popen([PICOCTL, "flash", str(path), "--force", "--all", "--no-reboot", "--json"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines, seen = read_lines_until(p.stdout, lambda l: '"progress"' in l, timeout=60)
    assert seen
    boards.plug(3, bootsel=True)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    results = [e for e in json_lines("".join(lines) + out) if e.get("event") == "board-result"]
    assert sorted(r["board"] for r in results) == ["1-1", "1-2", "1-3"]
    assert boards.read_flash(3, 0, 16) == b"\xff" * 16


def test_several_selectors_pick_the_boards_of_a_parallel_flash(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040"}, {"kind": "sim-rp2040"}, {"kind": "sim-rp2350"},
                                    {"kind": "sim-rp2350", "mode": "app"}])
    chip_id = boards.board(3)["unique_id"]
    inventory = tmp_path / "boards.toml"
    inventory.write_text('second = "port:1-2"\n')
    path, data = image(tmp_path, size=4096)
    env = boards.preload_env(dict(os.environ, PICOCTL_INVENTORY=str(inventory)))
    r = boards.run([PICOCTL, "flash", str(path), "--force", "--all", "--no-reboot", "--json", "--serial", f"second,{chip_id}"],
                   timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    results = [e for e in json_lines(r.stdout) if e.get("event") == "board-result"]
    assert sorted((e["board"], e["result"]) for e in results) == [("1-2", "flashed"), ("1-4", "flashed")]
    assert boards.read_flash(1, 0, len(data)) == data and boards.read_flash(3, 0, len(data)) == data
    assert boards.read_flash(0, 0, 16) == b"\xff" * 16 and boards.read_flash(2, 0, 16) == b"\xff" * 16
    nobody = boards.run([PICOCTL, "reboot", "--all", "--serial", "nobody,nothing"], timeout=60, env=env)
    assert nobody.returncode == 4


def test_live_progress_per_board_on_a_terminal_plain_lines_otherwise(emulated_board, tmp_path):
    if not shutil.which("script"):
        pytest.skip("needs script(1) for a terminal")
    # 256 pages of 8 ms: each 16 KiB write chunk takes 0.5 s of board time, so the bars get a rate and an ETA.
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "timing": {"erase_sector": 0.03, "program_page": 0.008}}
                                    for _ in range(3)])
    path, _ = image(tmp_path, size=64 * 1024)
    inventory = tmp_path / "boards.toml"
    inventory.write_text('left = "port:1-1"\n')
    env = {"PICOCTL_INVENTORY": str(inventory)}
    tty = boards.run(["script", "-qec", f"{PICOCTL} flash {path} --force --all --no-reboot", "/dev/null"],
                     timeout=120, env=boards.preload_env(dict(os.environ, **env)))
    assert tty.returncode == 0, tty.stdout
    # One line per board, redrawn in place: the cursor goes back up over the three lines.
    assert "\x1b[3A" in tty.stdout
    assert "left 1-1  write" in tty.stdout and "1-2       write" in tty.stdout
    # Each board's bar has the fields of a single board's: elapsed time, rate and ETA; its last line
    # is worded as a single board's flash ends.
    assert re.search(r"1-2       write   \[[#-]+\] +\d+%  \d+/64 KiB  [\d.]+ s  \d+ KiB/s  ETA [\d.]+ s", tty.stdout), tty.stdout
    assert "left 1-1  flashed 64 KiB in " in tty.stdout and ", 0/16 sectors unchanged" in tty.stdout
    # Then the table, with the inventory's names.
    table = tty.stdout.replace("\r", "").split("\n")
    header = next(line for line in table if line.startswith("NAME"))
    assert header.split() == ["NAME", "BOARD", "IDENTITY", "RESULT", "TIME", "WRITTEN", "UNCHANGED"]

    # A terminal too short for the block: a plain line per board instead of redrawing.
    short = boards.run(["script", "-qec", f"stty rows 3 cols 100; {PICOCTL} flash {path} --force --all --no-reboot", "/dev/null"],
                       timeout=120, env=boards.preload_env(dict(os.environ, **env)))
    assert short.returncode == 0, short.stdout
    assert "\x1b[3A" not in short.stdout and "left (1-1): up to date: 16/16 sectors unchanged" in short.stdout

    piped = boards.run([PICOCTL, "flash", str(path), "--force", "--all", "--no-reboot"], timeout=120,
                       env=boards.preload_env(dict(os.environ, **env)))
    assert piped.returncode == 0, piped.stderr
    assert "\x1b[" not in piped.stderr
    assert sorted(l.split(":")[0] for l in piped.stderr.splitlines()) == ["1-2", "1-3", "left (1-1)"]
    assert all("up to date: 16/16 sectors unchanged (" in l for l in piped.stderr.splitlines())
    rows = piped.stdout.splitlines()
    assert len(rows) == 4 and all(" up to date " in r for r in rows[1:])


# --- identity and names ------------------------------------------------------------------------


def test_list_watch_reports_a_mode_change_of_the_same_board_by_name(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app", "port": "3.2"},
                                    {"kind": "sim-rp2350", "mode": "bootsel", "port": "4"},
                                    {"kind": "sim-rp2040", "mode": "off", "port": "5"}])
    uid = boards.board(0)["unique_id"]
    chip_id = boards.board(1)["serial"]
    inventory = tmp_path / "boards.toml"
    inventory.write_text(f'bench-3 = "{uid}"\nbench-4 = "{chip_id}"\n')
    p = boards.popen([PICOCTL, "list", "--watch", "--timeout", "12", "--inventory", str(inventory)],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines, seen = read_lines_until(p.stdout, lambda l: l.startswith("= bench-4"), timeout=20)
        assert seen, "".join(lines)
        boards.reboot(0, to="bootsel")
        more, seen = read_lines_until(p.stdout, lambda l: l.startswith("~ bench-3 1-3.2: app → BOOTSEL"), timeout=20)
        lines += more
        assert seen, "".join(lines)
        boards.write_flash(1, 0, bytes(range(256)))          # something to boot, else it comes back in BOOTSEL
        boards.reboot(1, to="app")
        more, seen = read_lines_until(p.stdout, lambda l: l.startswith("~ bench-4 1-4: BOOTSEL → app"), timeout=20)
        lines += more
        assert seen, "".join(lines)
        boards.plug(2, bootsel=True)
        more, seen = read_lines_until(p.stdout, lambda l: l.startswith("+ ") and "1-5" in l, timeout=20)
        lines += more
        assert seen, "".join(lines)
        started = time.monotonic()
        boards.unplug(2)
        more, seen = read_lines_until(p.stdout, lambda l: l.startswith("- ") and "1-5" in l, timeout=20)
        lines += more
        assert seen, "".join(lines)
        assert time.monotonic() - started >= 2.5, "a departure is held for the grace time"
    finally:
        p.kill()
        p.wait()
    text = "".join(lines)
    # No departure or arrival was reported for the two boards that only changed mode.
    assert not any(l[:1] in "+-" and ("1-3.2" in l or "1-4" in l) for l in text.splitlines()), text


def test_list_watch_json_carries_the_learned_unique_id_of_an_rp2040_in_bootsel(emulated_board, tmp_path):
    boards = emulated_board(kind="sim-rp2040", mode="app")
    uid = boards.board(0)["unique_id"]
    p = boards.popen([PICOCTL, "list", "--watch", "--json", "--timeout", "8"], stdout=subprocess.PIPE, text=True)
    try:
        lines, _ = read_lines_until(p.stdout, lambda l: '"present"' in l, timeout=20)
        boards.reboot(0, to="bootsel")
        more, seen = read_lines_until(p.stdout, lambda l: '"changed"' in l, timeout=20)
        assert seen, "".join(lines + more)
    finally:
        p.kill()
        p.wait()
    changed = json.loads(more[-1])
    assert changed["from_mode"] == "app" and changed["board"]["mode"] == "bootsel"
    assert changed["board"]["serial_unique"] is False
    assert changed["unique_id"] == uid


def test_list_programs_reads_the_unique_id_of_an_rp2040_in_bootsel_and_names_it(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040"}, {"kind": "sim-rp2040"}])
    uid = boards.board(1)["unique_id"]
    inventory = tmp_path / "boards.toml"
    inventory.write_text(f'bench-2 = "{uid}"\n')
    env = boards.preload_env(dict(os.environ, PICOCTL_INVENTORY=str(inventory)))
    quick = json.loads(boards.run([PICOCTL, "list", "--json"], timeout=60, env=env).stdout)["boards"]
    assert [(b["unique_id"], b["name"]) for b in quick] == [(None, None), (None, None)], "not read without --programs"
    probed = boards.run([PICOCTL, "list", "--json", "--programs"], timeout=120, env=env)
    assert probed.returncode == 0, probed.stderr
    records = json.loads(probed.stdout)["boards"]
    assert [b["unique_id"] for b in records] == [boards.board(0)["unique_id"], uid]
    assert [b["name"] for b in records] == [None, "bench-2"]
    table = boards.run([PICOCTL, "list", "--programs"], timeout=120, env=env).stdout.splitlines()
    assert table[2].startswith("bench-2 ") and table[2].endswith(f"unique id {uid}")
    # A device command finds it by that name (or the id) too: the candidates' flash unique ids are read.
    path, data = image(tmp_path, size=4096)
    flash = boards.run([PICOCTL, "flash", str(path), "--force", "--serial", "bench-2", "--no-reboot"], timeout=120, env=env)
    assert flash.returncode == 0, flash.stderr
    assert boards.read_flash(1, 0, len(data)) == data and boards.read_flash(0, 0, 16) == b"\xff" * 16
    other = boards.run([PICOCTL, "info", "--device", "--serial", "0123456789ABCDEF"], timeout=120, env=env)
    assert other.returncode == 4, other.stderr


def test_monitor_all_labels_lines_with_inventory_names(emulated_board, tmp_path):
    boards = emulated_board(kind="sim-rp2040", count=2, mode="app", heartbeat=0.2)
    uid = boards.board(0)["unique_id"]
    other = boards.board(1)["unique_id"]
    inventory = tmp_path / "boards.toml"
    inventory.write_text(f'bench-1 = "{uid}"\n')
    env = boards.preload_env(dict(os.environ, PICOCTL_INVENTORY=str(inventory)))
    r = boards.run([PICOCTL, "monitor", "--all", "--expect", "tick 3", "--timeout", "20"], timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    assert "[bench-1] tick 1" in r.stdout and f"[{other}] " in r.stdout
    assert f"[{uid}]" not in r.stdout


def test_every_command_accepts_a_name_where_it_accepts_a_serial(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040"}, {"kind": "sim-rp2040"},
                                    {"kind": "sim-rp2350", "mode": "app", "heartbeat": 0.2}])
    chip_id = boards.board(2)["unique_id"]
    inventory = tmp_path / "boards.toml"
    inventory.write_text(f'rig = "port:1-2"\nbench-3 = "{chip_id}"\n')
    path, data = image(tmp_path, size=4096)
    env = boards.preload_env(dict(os.environ, PICOCTL_INVENTORY=str(inventory)))
    saved = tmp_path / "saved.bin"

    def run(*args):
        r = boards.run([PICOCTL, *args], timeout=120, env=env)
        assert r.returncode == 0, f"{args}: {r.stderr}"
        return r

    # Every device command, with the name of an RP2040 in BOOTSEL (named by port) in place of a serial.
    run("info", "--device", "--serial", "rig")
    run("flash", str(path), "--force", "--serial", "rig", "--no-reboot")
    run("verify", str(path), "--serial", "rig")
    run("save", str(saved), "--range", f"0x10000000+{len(data):#x}", "--serial", "rig")
    assert saved.read_bytes() == data
    run("erase", "--range", "0x10000000..0x10001000", "--serial", "rig")
    assert boards.read_flash(1, 0, 16) == b"\xff" * 16 and boards.read_flash(0, 0, 16) == b"\xff" * 16
    # The RP2350 app named by its chip id: monitor, reboot, then flash and info in BOOTSEL.
    monitor = run("monitor", "--serial", "bench-3", "--expect", "tick 1", "--timeout", "20")
    assert "tick 1" in monitor.stdout
    run("reboot", "--bootsel", "--serial", "bench-3")
    boards.wait(2, mode="bootsel", timeout=20)
    flash = run("flash", str(path), "--force", "--serial", "bench-3", "--no-reboot")
    assert flash.stdout.startswith("bench-3 1-3 ")
    run("info", "--device", "--serial", "bench-3")
    unknown = boards.run([PICOCTL, "info", "--device", "--serial", "nobody"], timeout=60, env=env)
    assert unknown.returncode == 4


def test_reboot_all_names_the_boards_it_knows(emulated_board, tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app"}, {"kind": "sim-rp2350", "mode": "app"}])
    uid = boards.board(0)["unique_id"]
    inventory = tmp_path / "boards.toml"
    inventory.write_text(f'bench-1 = "{uid}"\n')
    env = boards.preload_env(dict(os.environ, PICOCTL_INVENTORY=str(inventory)))
    text = boards.run([PICOCTL, "reboot", "--all", "--bootsel"], timeout=120, env=env)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert len(lines) == 2 and sum(l.startswith(f"bench-1: {uid} is in BOOTSEL") for l in lines) == 1, lines
    for index in (0, 1):
        boards.wait(index, mode="bootsel", timeout=20)
    back = boards.run([PICOCTL, "reboot", "--all", "--json"], timeout=120, env=env)
    assert back.returncode == 0, back.stderr
    # In BOOTSEL the RP2040 shares its serial with every RP2040: no name unless it is named by port.
    assert sorted((l["port"], l["name"]) for l in json_lines(back.stdout)) == [("1-1", None), ("1-2", None)]


# --- 32 boards ------------------------------------------------------------------------------


def test_list_of_32_boards_through_libusb(emulated_board):
    """32 simulated boards (half in BOOTSEL, half running an app with a tty) through the real libusb,
    listed five times. The time is printed (pytest -s) as a figure; its target lives in the
    benchmarks, not in this test, which a loaded machine would make flaky."""
    specs = [{"kind": "sim-rp2040" if i % 4 else "sim-rp2350", "mode": "bootsel" if i % 2 else "app"} for i in range(32)]
    boards = emulated_board(boards=specs)
    times = []
    for _ in range(5):
        start = time.monotonic()
        r = boards.run([PICOCTL, "list", "--json"], timeout=60)
        times.append(time.monotonic() - start)
        assert r.returncode == 0, r.stderr
        assert len(json.loads(r.stdout)["boards"]) == 32
    print(f"\npicoctl list --json, 32 boards: median {statistics.median(times):.3f} s, "
          f"best {min(times):.3f} s, worst {max(times):.3f} s")
