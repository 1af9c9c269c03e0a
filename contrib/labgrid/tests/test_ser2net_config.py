"""`picoctl lab labgrid-exporter --ser2net FILE` on emulated boards: the ser2net configuration (fixed
ports, udev's links to the ttys, made in the testbed as udev makes them), the exporter YAML as labgrid's
exporter reads it, the fallback for a board that udev knows nothing of, and Debian's ser2net run from the
generated file serving one `picoctl monitor rfc2217://` across a board reset."""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import REPO, venv_python

yaml = pytest.importorskip("yaml")
pytest.importorskip("labgrid")


def ser2net_connections(text: str) -> dict[str, dict]:
    """ser2net's YAML repeats the key `connection` (one per port, named by its anchor): read the node tree."""
    assert text.startswith("%YAML 1.1\n---\n")
    root = yaml.compose(text)
    # The anchors, from the parser's events: each connection's mapping starts at depth 2.
    anchors, depth = [], 0
    for event in yaml.parse(text):
        if isinstance(event, yaml.MappingStartEvent):
            depth += 1
            if depth == 2:
                anchors.append(event.anchor)
        elif isinstance(event, yaml.MappingEndEvent):
            depth -= 1
    assert [key.value for key, _ in root.value] == ["connection"] * len(anchors)
    return {anchor: yaml.safe_load(yaml.serialize(value)) for anchor, (_, value) in zip(anchors, root.value)}


def generate(boards, picoctl, tmp_path, names: str, *extra: str) -> tuple[subprocess.CompletedProcess, str]:
    inventory = tmp_path / "boards.toml"
    inventory.write_text(names)
    ser2net = tmp_path / "ser2net.yaml"
    done = boards.run([picoctl, "lab", "labgrid-exporter", "--inventory", str(inventory), "--ser2net", str(ser2net), *extra],
                      timeout=60)
    assert done.returncode == 0, done.stderr
    return done, ser2net.read_text()


def exporter_resources(exporter_yaml: str, tmp_path, hostname: str) -> dict:
    """The exporter YAML as labgrid's exporter reads it (a Jinja2 template with its `hostname`)."""
    from labgrid.remote.config import ResourceConfig
    path = tmp_path / "exporter.yaml"
    path.write_text(exporter_yaml)
    return ResourceConfig(str(path), {"env": {}, "isolated": False, "hostname": hostname, "name": "exp"}).data


def test_ser2net_file_serves_each_board_on_a_fixed_port_through_udevs_link(emulated_board, picoctl, tmp_path):
    boards = emulated_board(count=2, mode="app", heartbeat=0)
    first, second = boards.board(0), boards.board(1)
    done, text = generate(boards, picoctl, tmp_path,
                          f'absent = "0123456789ABCDEF"\nbench-1 = "{first["serial"]}"\nrig = "port:{second["port"]}"\n',
                          "--port-base", "31000")
    connections = ser2net_connections(text)
    # Ports by inventory position: the absent first name keeps 31000.
    assert list(connections) == ["bench-1", "rig"]
    by_id = f"/dev/serial/by-id/usb-Raspberry_Pi_Pico_{first['serial']}-if00"
    by_path = f"/dev/serial/by-path/pci-0000:00:14.0-usb-0:{second['port'].split('-', 1)[1]}:1.0"
    assert connections["bench-1"] == {"accepter": "telnet(rfc2217,mode=server),tcp,31001",
                                      "connector": f"serialdev(nouucplock=true),{by_id},115200n81,local",
                                      "options": {"max-connections": 10}}
    assert connections["rig"]["accepter"] == "telnet(rfc2217,mode=server),tcp,31002"
    assert connections["rig"]["connector"] == f"serialdev(nouucplock=true),{by_path},115200n81,local"
    # The links lead to the boards' ttys (as udev made them in the testbed).
    assert os.path.realpath(boards.root + by_id) == os.path.realpath(boards.root + first["tty"])
    assert os.path.realpath(boards.root + by_path) == os.path.realpath(boards.root + second["tty"])

    resources = exporter_resources(done.stdout, tmp_path, "lab-pi-3")
    assert resources["bench-1"]["console"] == {"cls": "NetworkSerialPort", "host": "lab-pi-3", "port": 31001,
                                               "speed": 115200, "protocol": "rfc2217"}
    assert resources["rig"]["console"]["port"] == 31002
    # labgrid's own resource class takes these parameters as they are.
    from labgrid.resource.serialport import NetworkSerialPort
    params = {k: v for k, v in resources["rig"]["console"].items() if k != "cls"}
    port = NetworkSerialPort(target=None, name=None, **params)
    assert (port.host, port.port, port.protocol) == ("lab-pi-3", 31002, "rfc2217")


def test_a_board_in_bootsel_gets_udevs_by_path_link_for_its_cdc_interface(emulated_board, picoctl, tmp_path):
    boards = emulated_board(mode="app", heartbeat=0)
    boards.reboot(0, to="bootsel")
    board = boards.wait(0, mode="bootsel")
    assert board["tty"] is None
    _, text = generate(boards, picoctl, tmp_path, f'pico-1 = "port:{board["port"]}"\n')
    [(name, connection)] = ser2net_connections(text).items()
    assert name == "pico-1"
    assert connection["accepter"] == "telnet(rfc2217,mode=server),tcp,30000"     # the default --port-base
    assert connection["connector"] == ("serialdev(nouucplock=true),/dev/serial/by-path/"
                                       f"pci-0000:00:14.0-usb-0:{board['port'].split('-', 1)[1]}:1.0,115200n81,local")
    boards.reboot(0)   # back in its app: with its tty and the link udev makes for it
    app = boards.wait(0, mode="app")
    assert os.path.realpath(boards.root + connection["connector"].split(",")[1]) == os.path.realpath(boards.root + app["tty"])


def test_without_udevs_database_the_board_is_matched_by_sysfs_name_and_keeps_a_usb_serial_port(emulated_board, picoctl,
                                                                                                 tmp_path):
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app", "heartbeat": 0,
                                     "usb_udev": "missing", "tty_udev": "missing"}])
    board = boards.board(0)
    done, text = generate(boards, picoctl, tmp_path, f'rig = "port:{board["port"]}"\n')
    assert ser2net_connections(text) == {}
    assert text.endswith("\n{}\n")     # an empty mapping: ser2net starts with no connection
    assert "rig: udev knows no link to its tty (no ID_PATH)" in done.stderr
    config = yaml.safe_load(done.stdout)
    assert config["rig"]["console"] == {"cls": "USBSerialPort", "match": {"@sys_name": board["port"]}, "speed": 115200}
    assert config["rig"]["usb"] == {"cls": "USBFlashableDevice", "match": {"sys_name": board["port"], "DEVTYPE": "usb_device"}}
    # labgrid's udev matching finds the board by that name: the driver reads it through the match.
    env_file = tmp_path / "env.yaml"
    env_file.write_text(yaml.safe_dump({
        "targets": {"main": {"resources": {"USBFlashableDevice": {"match": config["rig"]["usb"]["match"]}},
                             "drivers": {"PicoctlDriver": {"picoctl": picoctl, "timeout": 60}}}},
        "imports": ["picoctl_labgrid"]}))
    env = boards.preload_env()
    env["PYTHONPATH"] = str(REPO / "contrib" / "labgrid") + os.pathsep + env.get("PYTHONPATH", "")
    info = subprocess.run([venv_python(), "-m", "picoctl_labgrid", "-c", str(env_file), "info"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert info.returncode == 0, info.stderr
    assert board["port"] in info.stdout


def test_port_base_that_leaves_no_port_for_every_name_is_refused(emulated_board, picoctl, tmp_path):
    boards = emulated_board(mode="app", heartbeat=0)
    inventory = tmp_path / "boards.toml"
    inventory.write_text('a = "port:1-1"\nb = "port:1-2"\n')
    done = boards.run([picoctl, "lab", "labgrid-exporter", "--inventory", str(inventory), "--ser2net",
                       str(tmp_path / "s.yaml"), "--port-base", "65535"])
    assert done.returncode == 2
    assert "leaves no port for the inventory's 2 names" in done.stderr
    assert not (tmp_path / "s.yaml").exists()
    bad = boards.run([picoctl, "lab", "labgrid-exporter", "--ser2net", str(tmp_path / "s.yaml"), "--port-base", "0"])
    assert bad.returncode == 64 and "--port-base 0 is not a TCP port" in bad.stderr
    stdout = boards.run([picoctl, "lab", "labgrid-exporter", "--ser2net", "-"])
    assert stdout.returncode == 64 and "--ser2net needs a file" in stdout.stderr
    unwritable = boards.run([picoctl, "lab", "labgrid-exporter", "--inventory", str(inventory), "--ser2net",
                             str(tmp_path / "no-such-folder" / "s.yaml")])
    assert unwritable.returncode == 3 and "cannot write" in unwritable.stderr
    assert unwritable.stdout == ""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_one_monitor_follows_the_board_across_a_reset_through_ser2net_from_the_generated_file(emulated_board, picoctl,
                                                                                              tmp_path):
    if not shutil.which("ser2net") and not os.path.exists("/usr/sbin/ser2net"):
        pytest.skip("ser2net is not installed (Scripts/setup.sh installs it)")
    if os.geteuid() != 0:
        pytest.skip("the harness hangs the tty up as the kernel does (TIOCVHANGUP), which needs root")
    boards = emulated_board(boards=[{"kind": "sim-rp2040", "mode": "app", "heartbeat": 0.2}])
    board = boards.board(0)
    port = free_port()
    _, text = generate(boards, picoctl, tmp_path, f'pico-1 = "{board["serial"]}"\n', "--port-base", str(port))
    server = boards.popen([shutil.which("ser2net") or "/usr/sbin/ser2net", "-d", "-n", "-c", str(tmp_path / "ser2net.yaml")],
                          stdout=(tmp_path / "ser2net.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    log = tmp_path / "monitor.json"
    monitor = None
    try:
        deadline = time.monotonic() + 30
        while True:   # ser2net listens once it has read the file
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "ser2net.log").read_text()
                time.sleep(0.1)
        monitor = subprocess.Popen([picoctl, "monitor", f"rfc2217://127.0.0.1:{port}", "--json", "--timeout", "120"],
                                   stdout=log.open("wb"), stderr=subprocess.DEVNULL, start_new_session=True)

        def events() -> list[dict]:
            return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]

        def wait_for(predicate, what: str) -> None:
            end = time.monotonic() + 60
            while not predicate(events()):
                assert time.monotonic() < end and monitor.poll() is None, f"monitor: no {what}\n{log.read_text()}"
                time.sleep(0.1)

        wait_for(lambda ev: any(e["event"] == "line" and e["text"].startswith("tick") for e in ev), "tick")
        boards.reboot(0)
        wait_for(lambda ev: any(e["event"] == "line" and e["text"].endswith("boot 2") for e in ev)
                 and ev[-1]["event"] == "line" and ev[-1]["text"].startswith("tick"), "tick after the reset")
        kinds = [e["event"] for e in events()]
        assert kinds[0] == "connected" and "disconnected" in kinds
        assert kinds.index("disconnected") < kinds.index("reconnected")
        # Unplugged for 1.5 s: each of the monitor's attempts (every 0.25 s) meets ser2net without its
        # device, which takes the connection, says it cannot open the device and closes it. That is no
        # connection for the monitor, and not the board's output.
        boards.unplug(0)
        time.sleep(1.5)
        boards.plug(0)
        wait_for(lambda ev: [e["event"] for e in ev].count("reconnected") == 2
                 and ev[-1]["event"] == "line" and ev[-1]["text"].startswith("tick"), "tick after the replug")
        kinds = [e["event"] for e in events()]
        assert (kinds.count("disconnected"), kinds.count("reconnected")) == (2, 2), kinds
        texts = [e["text"] for e in events() if e["event"] == "line"]
        assert not any("Device open failure" in text for text in texts), texts
        assert texts.index(f"picoctl-sim app on rp2040 serial {board['serial']} boot 2") > texts.index("tick 1")
    finally:
        if monitor is not None:
            monitor.terminate()
            monitor.wait(15)
        os.killpg(server.pid, 15)
        server.wait(15)
