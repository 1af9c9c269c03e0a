"""A whole labgrid lab on one machine, across a real network interface: two network namespaces joined
by a veth pair. In the exporter's namespace: labgrid's coordinator, labgrid's exporter (its udev
lookups served by the emulated board under the umockdev preload), ser2net run from the configuration
`picoctl lab labgrid-exporter --ser2net` wrote (serving the board's tty through udev's link, made in the
testbed as udev makes it, on a fixed port that the exporter publishes as a NetworkSerialPort) and an sshd
(labgrid runs commands on an exporter host over SSH). In the client's namespace: labgrid's client,
`python -m picoctl_labgrid` and `picoctl monitor rfc2217://`.

The test flashes the companion firmware through the labgrid driver, reads its banner through
labgrid's serial port, follows its heartbeats with one `picoctl monitor rfc2217://` across a board
reset (ser2net drops the connection when the tty hangs up and serves the board again on the same port
once it is back), and follows them across another reset with `picoctl monitor` run on the exporter host
by the driver. Namespaces, keys and configuration are created by the test and removed after it.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, venv_python

yaml = pytest.importorskip("yaml")
pytest.importorskip("labgrid")

FIRMWARE_UF2 = REPO / "Firmware" / "build" / "picoctl-companion.uf2"
BIN = Path(sys.executable).parent
EXPORTER_IP, CLIENT_IP = "10.231.0.1", "10.231.0.2"
COORDINATOR = f"{EXPORTER_IP}:20408"
CONSOLE_PORT = 20500     # --port-base: the console port of the inventory's first name


def run(argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 60), **kw)


class Lab:
    """Two namespaces, a veth pair between them, and the processes started in them (stopped in `close`)."""

    def __init__(self, tmp: Path):
        tag = str(os.getpid())[-6:]
        self.exp, self.cli = f"pcexp{tag}", f"pccli{tag}"
        self.tmp = tmp
        self.procs: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        added = run(["ip", "netns", "add", self.exp])
        if added.returncode != 0:
            pytest.skip(f"network namespaces are not allowed here: ip netns add: {added.stderr.strip()}")
        self.namespaces = [self.exp]
        for step in (["ip", "netns", "add", self.cli],
                     ["ip", "link", "add", f"pcv{tag}a", "type", "veth", "peer", "name", f"pcv{tag}b"],
                     ["ip", "link", "set", f"pcv{tag}a", "netns", self.exp],
                     ["ip", "link", "set", f"pcv{tag}b", "netns", self.cli],
                     ["ip", "-n", self.exp, "addr", "add", f"{EXPORTER_IP}/24", "dev", f"pcv{tag}a"],
                     ["ip", "-n", self.cli, "addr", "add", f"{CLIENT_IP}/24", "dev", f"pcv{tag}b"],
                     ["ip", "-n", self.exp, "link", "set", f"pcv{tag}a", "up"],
                     ["ip", "-n", self.cli, "link", "set", f"pcv{tag}b", "up"],
                     ["ip", "-n", self.exp, "link", "set", "lo", "up"],
                     ["ip", "-n", self.cli, "link", "set", "lo", "up"]):
            done = run(step)
            if step[:3] == ["ip", "netns", "add"] and done.returncode == 0:
                self.namespaces.append(step[3])
            assert done.returncode == 0, f"{' '.join(step)}: {done.stderr}"

    def start(self, name: str, ns: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        """Starts a program in `ns`, in a working folder of its own (the coordinator keeps its state there)."""
        log = self.tmp / f"{name}.log"
        self.logs.append(log)
        cwd = self.tmp / name
        cwd.mkdir()
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=log.open("wb"), stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True, cwd=cwd)
        self.procs.append(proc)
        return proc

    def in_ns(self, ns: str, argv: list[str], env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return run(["ip", "netns", "exec", ns, *argv], env=env, timeout=timeout)

    def wait_listening(self, ns: str, host: str, port: int, timeout: float = 30) -> None:
        probe = f"import socket; socket.create_connection(({host!r}, {port}), timeout=1).close()"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.in_ns(ns, [sys.executable, "-c", probe]).returncode == 0:
                return
            time.sleep(0.2)
        pytest.fail(f"nothing listens on {host}:{port} after {timeout} s\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in self.logs if log.exists())

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in reversed(self.procs):
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # What the test's programs left running in the namespaces (an sshd session, an SSH master of
        # labgrid's that outlived its client) goes with them.
        for ns in self.namespaces:
            for pid in run(["ip", "netns", "pids", ns]).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            run(["ip", "netns", "del", ns])


@pytest.fixture
def lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    for tool in ("ip", "ser2net", "sshd", "ssh", "rsync"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            pytest.skip(f"{tool} is not installed (Scripts/setup.sh installs it)")
    lab = Lab(tmp_path)
    yield lab
    lab.close()


@pytest.fixture
def companion():
    if not FIRMWARE_UF2.exists():
        pytest.skip("the companion firmware is not built (Firmware/build.sh)")
    return FIRMWARE_UF2


def ssh_setup(tmp: Path) -> tuple[Path, Path]:
    """Keys, an sshd configuration for the exporter host, and a client `ssh` that uses the test's own
    configuration (first on the client's PATH; rsync and labgrid call `ssh`)."""
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "host_key")], check=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "client_key")], check=True)
    (tmp / "authorized_keys").write_text((tmp / "client_key.pub").read_text())
    sshd_config = tmp / "sshd_config"
    sshd_config.write_text(f"ListenAddress {EXPORTER_IP}\nPort 22\nHostKey {tmp}/host_key\n"
                           f"AuthorizedKeysFile {tmp}/authorized_keys\nPermitRootLogin prohibit-password\n"
                           "StrictModes no\nUsePAM no\nPidFile none\nPrintMotd no\nLogLevel ERROR\n")
    # labgrid insists on a known host key: the exporter's is known from the start.
    (tmp / "known_hosts").write_text(f"{EXPORTER_IP} {(tmp / 'host_key.pub').read_text()}")
    (tmp / "ssh_config").write_text(f"Host *\n  User root\n  IdentityFile {tmp}/client_key\n  IdentitiesOnly yes\n"
                                    f"  UserKnownHostsFile {tmp}/known_hosts\n  LogLevel ERROR\n")
    bindir = tmp / "client-bin"
    bindir.mkdir()
    wrapper = bindir / "ssh"
    wrapper.write_text(f"#!/bin/sh\nexec /usr/bin/ssh -F {tmp}/ssh_config \"$@\"\n")
    wrapper.chmod(0o755)
    return sshd_config, bindir


def test_flash_banner_and_heartbeats_across_a_reset_in_a_two_host_lab(emulated_board, picoctl, lab, companion, tmp_path):
    # The harness hangs the tty up when the board leaves, as the kernel does (ser2net then drops its client).
    boards = emulated_board(boards=[{"kind": "rp2040py", "mode": "bootsel"}])
    boards.wait(0, mode="bootsel", timeout=120)
    board = boards.board(0)
    preload = {"UMOCKDEV_DIR": boards.env["UMOCKDEV_DIR"], "LD_PRELOAD": boards.env["LD_PRELOAD"]}
    plain = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "UMOCKDEV_DIR")}

    # The exporter host: picoctl's configurations for the named board (exporter and ser2net), sshd,
    # coordinator, ser2net, exporter.
    inventory = tmp_path / "boards.toml"
    inventory.write_text(f'pico-1 = "port:{board["port"]}"\n')
    exported = boards.run([picoctl, "lab", "labgrid-exporter", "--inventory", str(inventory), "--ser2net",
                           str(tmp_path / "ser2net.yaml"), "--port-base", str(CONSOLE_PORT)], timeout=60)
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "exporter.yaml").write_text(exported.stdout)
    on_exporter = tmp_path / "picoctl-on-exporter"      # picoctl as the exporter host runs it: with its devices
    on_exporter.write_text("#!/bin/sh\n" + "".join(f"export {k}={v}\n" for k, v in preload.items())
                           + f"exec {picoctl} \"$@\"\n")
    on_exporter.chmod(0o755)
    sshd_config, client_bin = ssh_setup(tmp_path)
    # sshd needs /run/sshd; `ip netns exec` gives it a mount namespace of its own, so a tmpfs there leaves the host's /run alone.
    lab.start("sshd", lab.exp, ["sh", "-c", f"mount -t tmpfs tmpfs /run && mkdir /run/sshd && exec /usr/sbin/sshd -D -e -f {sshd_config}"],
              env=plain)
    lab.start("coordinator", lab.exp, [str(BIN / "labgrid-coordinator"), "-l", COORDINATOR], env=plain)
    lab.wait_listening(lab.exp, EXPORTER_IP, 20408)
    ser2net = shutil.which("ser2net") or "/usr/sbin/ser2net"
    lab.start("ser2net", lab.exp, ["env", *(f"{k}={v}" for k, v in preload.items()), ser2net, "-d", "-n", "-c",
                                   str(tmp_path / "ser2net.yaml")], env=plain)
    lab.start("exporter", lab.exp, ["env", *(f"{k}={v}" for k, v in preload.items()), str(BIN / "labgrid-exporter"),
                                    "-c", COORDINATOR, "--hostname", EXPORTER_IP, "-n", "exp", str(tmp_path / "exporter.yaml")],
              env=plain)
    lab.wait_listening(lab.cli, EXPORTER_IP, 22)

    # The client host: a place for the board, acquired; an environment with picoctl's driver and labgrid's serial driver.
    client_env = dict(plain, LG_COORDINATOR=COORDINATOR, PATH=f"{client_bin}:{BIN}:{plain['PATH']}",
                      PYTHONPATH=str(REPO / "contrib" / "labgrid"))
    client = [str(BIN / "labgrid-client"), "-p", "pico-1"]
    deadline = time.monotonic() + 60
    while "exp/pico-1/NetworkUSBFlashableDevice" not in lab.in_ns(lab.cli, [str(BIN / "labgrid-client"), "resources"],
                                                                   env=client_env).stdout:
        assert time.monotonic() < deadline, "the exporter did not publish the board\n" + lab.tail()
        time.sleep(0.5)
    def lab_view() -> list[dict]:
        done = lab.in_ns(lab.cli, [venv_python(), "-m", "picoctl_labgrid", "lab", "-x", COORDINATOR, "--json"], env=client_env)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    console = f"rfc2217://{EXPORTER_IP}:{CONSOLE_PORT}"   # published from the start: ser2net serves it whenever the board is there
    assert lab_view() == [{"name": "pico-1", "exporter": "exp", "host": EXPORTER_IP, "port": board["port"],
                           "mode": "bootsel", "console": console, "place": None}]
    for step in (["create"], ["add-match", "exp/pico-1/*"], ["acquire"]):
        done = lab.in_ns(lab.cli, client + step, env=client_env)
        assert done.returncode == 0, f"labgrid-client {step}: {done.stderr}\n{lab.tail()}"
    env_file = tmp_path / "env.yaml"
    env_file.write_text(yaml.safe_dump({
        "targets": {"main": {"resources": {"RemotePlace": {"name": "pico-1"}},
                             "drivers": {"PicoctlDriver": {"picoctl": str(on_exporter), "timeout": 120},
                                         "SerialDriver": {}}}},
        "imports": ["picoctl_labgrid"]}))

    # Flash through the driver: picoctl runs on the exporter host over SSH, across the veth pair.
    flashed = lab.in_ns(lab.cli, [venv_python(), "-m", "picoctl_labgrid", "-c", str(env_file), "flash", str(companion)],
                        env=client_env, timeout=300)
    assert flashed.returncode == 0, f"{flashed.stderr}\n{lab.tail()}"
    assert json.loads(flashed.stdout)["event"] == "finished"
    boards.wait(0, mode="app", timeout=120)

    # The banner through labgrid's serial port (ser2net on the exporter host, RFC 2217 across the veth).
    banner = lab.in_ns(lab.cli, [venv_python(), str(Path(__file__).parent / "lab_client.py"), str(env_file), "banner",
                                 r"picoctl-companion [^\n]*\n(.|\n)*heartbeat \d+"], env=client_env, timeout=120)
    assert banner.returncode == 0, f"{banner.stdout}\n{banner.stderr}\n{lab.tail()}"
    assert "picoctl-companion 0.1.0 id " in banner.stdout
    view = lab_view()
    assert [(r["name"], r["mode"], r["place"], r["console"]) for r in view] == [("pico-1", "app", "pico-1", console)]

    # One picoctl monitor on the exported port: heartbeats, the board resets (ser2net drops the connection),
    # heartbeats again on the same port.
    where = json.loads(lab.in_ns(lab.cli, [venv_python(), str(Path(__file__).parent / "lab_client.py"), str(env_file), "port"],
                                 env=client_env).stdout)
    assert where == {"host": EXPORTER_IP, "port": CONSOLE_PORT}
    monitor_log = tmp_path / "monitor.json"
    monitor = subprocess.Popen(["ip", "netns", "exec", lab.cli, picoctl, "monitor", console,
                                "--json", "--timeout", "120"], stdout=monitor_log.open("wb"), stderr=subprocess.PIPE,
                               env=plain, start_new_session=True)
    lab.procs.append(monitor)

    def monitor_events() -> list[dict]:
        return [json.loads(line) for line in monitor_log.read_text().splitlines() if line.startswith("{")]

    def wait_monitor(predicate, what: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not predicate(monitor_events()):
            assert time.monotonic() < end and monitor.poll() is None, f"monitor: no {what}\n{monitor_log.read_text()}"
            time.sleep(0.2)

    wait_monitor(lambda ev: any(e["event"] == "line" and e["text"].startswith("heartbeat") for e in ev), "heartbeat")
    reset = lab.in_ns(lab.cli, [venv_python(), "-m", "picoctl_labgrid", "-c", str(env_file), "reboot"], env=client_env)
    assert reset.returncode == 0, reset.stderr
    wait_monitor(lambda ev: any(e["event"] == "disconnected" for e in ev), "disconnect after the reset")
    wait_monitor(lambda ev: "reconnected" in [e["event"] for e in ev]
                 and any(e["event"] == "line" and e["text"].startswith("picoctl-companion") for e in ev)
                 and ev[-1]["event"] == "line" and ev[-1]["text"].startswith("heartbeat"), "heartbeat after the reset",
                 timeout=120)
    events = monitor_events()
    kinds = [e["event"] for e in events]
    assert kinds[0] == "connected" and kinds.index("disconnected") < kinds.index("reconnected")
    assert (kinds.count("disconnected"), kinds.count("reconnected")) == (1, 1), kinds   # ser2net's refusals are no connection
    lines = [e["text"] for e in events if e["event"] == "line"]
    assert not any("Device open failure" in text for text in lines), lines
    first_heartbeat = next(i for i, t in enumerate(lines) if t.startswith("heartbeat"))
    banner_after = max(i for i, t in enumerate(lines) if t.startswith("picoctl-companion"))
    assert first_heartbeat < banner_after and lines[-1].startswith("heartbeat")
    os.killpg(monitor.pid, signal.SIGINT)
    assert monitor.wait(15) == 130

    # picoctl monitor on the exporter host, through the driver: it follows the board's tty across a reset.
    follow_log = tmp_path / "follow.json"
    follow = subprocess.Popen(["ip", "netns", "exec", lab.cli, venv_python(), "-m", "picoctl_labgrid", "-c", str(env_file),
                               "monitor", "--json", "--timeout", "90"], stdout=follow_log.open("wb"),
                              stderr=subprocess.PIPE, env=client_env, start_new_session=True)
    lab.procs.append(follow)

    def follow_events() -> list[dict]:
        return [json.loads(line) for line in follow_log.read_text().splitlines() if line.startswith("{")]

    def wait_follow(predicate, what: str, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while not predicate(follow_events()):
            assert time.monotonic() < end and follow.poll() is None, f"driver monitor: no {what}\n{follow_log.read_text()}"
            time.sleep(0.2)

    wait_follow(lambda ev: any(e["event"] == "line" and e["text"].startswith("heartbeat") for e in ev), "heartbeat")
    reset = lab.in_ns(lab.cli, [venv_python(), "-m", "picoctl_labgrid", "-c", str(env_file), "reboot"], env=client_env)
    assert reset.returncode == 0, reset.stderr
    wait_follow(lambda ev: "reconnected" in [e["event"] for e in ev]
                and ev[-1]["event"] == "line" and ev[-1]["text"].startswith("heartbeat"), "heartbeat after the reset")
    kinds = [e["event"] for e in follow_events()]
    assert kinds.index("disconnected") < kinds.index("reconnected")
    os.killpg(follow.pid, signal.SIGINT)   # Ctrl-C: labgrid's clean-up closes its SSH connection
    follow.wait(15)
    lab.in_ns(lab.cli, client + ["release"], env=client_env)
