"""`PicoctlDriver` on a local USBFlashableDevice: labgrid's own udev matching (under the umockdev
preload) finds the emulated board from `picoctl lab labgrid-exporter`'s match, and the driver runs
picoctl for it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, venv_python

yaml = pytest.importorskip("yaml")
pytest.importorskip("labgrid")


def exporter_yaml(boards, picoctl: str, tmp_path, names: str) -> dict:
    inventory = tmp_path / "boards.toml"
    inventory.write_text(names)
    done = boards.run([picoctl, "lab", "labgrid-exporter", "--inventory", str(inventory)], timeout=60)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout), done


def run_entry(boards, env_file, *args, timeout=120) -> subprocess.CompletedProcess:
    """`python -m picoctl_labgrid` under the preload (labgrid matches resources through udev)."""
    env = boards.preload_env()
    env["PYTHONPATH"] = str(REPO / "contrib" / "labgrid") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([venv_python(), "-m", "picoctl_labgrid", "-c", str(env_file), *args],
                          capture_output=True, text=True, env=env, timeout=timeout)


def test_exporter_yaml_names_present_boards_by_unique_id_and_port(emulated_board, picoctl, tmp_path):
    boards = emulated_board(count=2, mode="app", heartbeat=0)
    first, second = boards.board(0), boards.board(1)
    config, done = exporter_yaml(boards, picoctl, tmp_path,
                                 f'bench-1 = "{first["serial"]}"\nrig = "port:{second["port"]}"\nabsent = "0123456789ABCDEF"\n')
    assert list(config) == ["bench-1", "rig"]
    assert config["bench-1"]["console"] == {"cls": "USBSerialPort", "match": {"ID_SERIAL_SHORT": first["serial"]},
                                            "speed": 115200}
    id_path = f"pci-0000:00:14.0-usb-0:{first['port'].split('-', 1)[1]}"
    assert config["bench-1"]["usb"] == {"cls": "USBFlashableDevice", "match": {"ID_PATH": id_path, "DEVTYPE": "usb_device"}}
    assert config["rig"]["console"]["match"] == {"@ID_PATH": f"pci-0000:00:14.0-usb-0:{second['port'].split('-', 1)[1]}"}
    assert "absent is not present" in done.stderr


def board_env(boards, picoctl, tmp_path, board):
    """A labgrid environment file whose target is `board`, named bench-1, found by the exporter's match."""
    config, _ = exporter_yaml(boards, picoctl, tmp_path, f'bench-1 = "{board["serial"]}"\n')
    env_file = tmp_path / "env.yaml"
    env_file.write_text(yaml.safe_dump({
        "targets": {"main": {"resources": {"USBFlashableDevice": {"match": config["bench-1"]["usb"]["match"]}},
                             "drivers": {"PicoctlDriver": {"picoctl": picoctl, "timeout": 60}}}},
        "imports": ["picoctl_labgrid"]}))
    return env_file


def test_driver_info_reboot_list_and_errors_with_picoctls_status(emulated_board, picoctl, tmp_path):
    boards = emulated_board(mode="app", heartbeat=0)
    board = boards.board(0)
    env_file = board_env(boards, picoctl, tmp_path, board)

    listed = run_entry(boards, env_file, "list")
    assert listed.returncode == 0, listed.stderr
    assert [b["port"] for b in json.loads(listed.stdout)] == [board["port"]]

    rebooted = run_entry(boards, env_file, "reboot", "--bootsel")
    assert rebooted.returncode == 0, rebooted.stderr
    boards.wait(0, mode="bootsel")
    info = run_entry(boards, env_file, "info")
    assert info.returncode == 0, info.stderr
    assert json.loads(info.stdout)   # picoctl's document about the board, read over PICOBOOT

    bad = tmp_path / "truncated.elf"
    bad.write_bytes(b"\x7fELF\x01\x01\x01garbage")
    failed = run_entry(boards, env_file, "flash", str(bad))
    assert failed.returncode == 2, failed.stderr   # picoctl's own exit status (invalid input), passed through
    assert failed.stderr == (f"picoctl_labgrid: {bad}: the ELF file is cut short: it needs 52 bytes and has 14 "
                             "(picoctl exit status 2)\n")
    # picoctl's fix line comes along with its error.
    wide = tmp_path / "x86_64.elf"
    wide.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(60))
    failed = run_entry(boards, env_file, "flash", str(wide))
    assert failed.returncode == 2, failed.stderr
    assert failed.stderr == (f"picoctl_labgrid: {wide}: this is a 64-bit ELF file; Pico programs are 32-bit Arm or RISC-V; "
                             "fix: build for the Pico (pico-sdk with PICO_PLATFORM rp2040, rp2350-arm-s or rp2350-riscv) "
                             "(picoctl exit status 2)\n")


def test_labgrids_pytest_plugin_gives_a_test_the_driver(emulated_board, picoctl, tmp_path):
    boards = emulated_board(mode="app", heartbeat=0)
    board = boards.board(0)
    env_file = board_env(boards, picoctl, tmp_path, board)
    (tmp_path / "test_board.py").write_text(
        "def test_the_board_is_listed_in_its_app(target):\n"
        "    pico = target.get_driver('PicoctlDriver')\n"
        f"    assert [(b['port'], b['mode']) for b in pico.list()] == [({board['port']!r}, 'app')]\n")
    env = boards.preload_env()
    env["PYTHONPATH"] = str(REPO / "contrib" / "labgrid") + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([venv_python(), "-m", "pytest", "-q", "-p", "no:cacheprovider", "--lg-env", str(env_file),
                           str(tmp_path / "test_board.py")], capture_output=True, text=True, env=env, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout

