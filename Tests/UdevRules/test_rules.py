"""The udev rules, applied by the real udevadm to emulated devices.

Each case describes a device as umockdev records (sysfs attributes and uevent properties),
runs `udevadm test` on it under umockdev with our rules file bind-mounted over
/etc/udev/rules.d in a private mount namespace, and checks what udev decided: mode, group,
tags, properties. Needs root (CI runs as root) for the mount namespace.

`udevadm test` writes the udev database (/run/udev/data, links, tags) of the devices it tests and their
/dev/serial/by-id links; in the namespace /run is an empty tmpfs and /dev an overlay whose writes go
to it, so the host's database and /dev never see the fake devices.
"""
import grp
import os
import shutil
import subprocess
import tempfile

import pytest

RULES = os.path.join(os.path.dirname(__file__), "..", "..", "udev", "60-picoctl.rules")
HUB = "/devices/pci0000:00/0000:00:14.0/usb1"
PLUGDEV_GID = grp.getgrnam("plugdev").gr_gid if "plugdev" in [g.gr_name for g in grp.getgrall()] else None

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("umockdev-run") is None or shutil.which("unshare") is None,
    reason="needs root, unshare and umockdev-run",
)


def usb_device(port, vid, pid, product, serial, devnum):
    return f"""P: {HUB}/{port}
N: bus/usb/001/{devnum:03d}
E: DEVNAME=/dev/bus/usb/001/{devnum:03d}
E: DEVTYPE=usb_device
E: DRIVER=usb
E: PRODUCT={int(vid, 16):x}/{int(pid, 16):x}/100
E: BUSNUM=001
E: DEVNUM={devnum:03d}
E: MAJOR=189
E: MINOR={devnum - 1}
E: SUBSYSTEM=usb
A: busnum=1\\n
A: devnum={devnum}\\n
A: idVendor={vid}\\n
A: idProduct={pid}\\n
A: dev=189:{devnum - 1}\\n
A: product={product}\\n
A: manufacturer=Raspberry Pi\\n
A: serial={serial}\\n

"""


def cdc_tty(port, name):
    return f"""P: {HUB}/{port}/{port}:1.0
E: DEVTYPE=usb_interface
E: SUBSYSTEM=usb
A: bInterfaceClass=02\\n
A: bInterfaceNumber=00\\n

P: {HUB}/{port}/{port}:1.0/tty/{name}
N: {name}
E: DEVNAME=/dev/{name}
E: SUBSYSTEM=tty
E: MAJOR=166
E: MINOR=0
A: dev=166:0\\n

"""


def udev_test(records, syspath):
    """Runs `udevadm test` on `syspath`; returns (rule decisions, properties)."""
    with tempfile.TemporaryDirectory() as tmp:
        rules_dir = os.path.join(tmp, "rules.d")
        os.mkdir(rules_dir)
        shutil.copy(RULES, rules_dir)
        device_file = os.path.join(tmp, "devices.umockdev")
        with open(device_file, "w") as f:
            f.write(records)
        script = (f"mount -t tmpfs -o size=4m,mode=755 picoctl-test-run /run && "
                  # /dev through an overlay whose writes land in that tmpfs (udevadm adds
                  # /dev/serial/by-id links); /dev/pts moved over so ptys keep working.
                  f"mkdir -p /run/.dev/upper /run/.dev/work /run/.dev/pts && "
                  f"mount --bind /dev/pts /run/.dev/pts && "
                  f"mount -t overlay -o lowerdir=/dev,upperdir=/run/.dev/upper,workdir=/run/.dev/work "
                  f"picoctl-test-dev /dev && "
                  f"mount --move /run/.dev/pts /dev/pts && "
                  f"mount --bind {rules_dir} /etc/udev/rules.d && "
                  f"exec umockdev-run -d {device_file} -- udevadm test /sys{syspath}")
        run = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                             capture_output=True, text=True, timeout=60)
        mounts = open("/proc/self/mounts").read()
        assert "picoctl-test-run" not in mounts and "picoctl-test-dev" not in mounts
    out = run.stdout + run.stderr
    ours = [line for line in out.splitlines() if "60-picoctl.rules:" in line]
    props = dict(line.split("=", 1) for line in run.stdout.splitlines() if "=" in line and not line.startswith(" "))
    return ours, props


BOARDS = [
    ("0003", "RP2 Boot", "E0C912D24340"),
    ("000f", "RP2350 Boot", "A1B2C3D4E5F60718"),
    ("000a", "Pico", "E6605481DB484636"),
    ("0009", "Pico 2", "1122334455667788"),
    ("0005", "Board in FS mode", "E6605481DB48AAAA"),
    ("0004", "Picoprobe", "E6605481DB48BBBB"),
    ("000c", "Debugprobe on Pico", "E6605481DB48CCCC"),
]


def host_udev_state():
    """Every entry under /run/udev (type, link target, contents, modification time) and under /dev
    (its own file system only: names and link targets)."""
    state = {}
    for top, dirs, files in os.walk("/run/udev"):
        for name in dirs + files:
            path = os.path.join(top, name)
            st = os.lstat(path)
            if os.path.islink(path):
                what = os.readlink(path)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    what = f.read()
            else:
                what = "dir"
            state[path] = (what, st.st_mtime_ns)
    dev = os.stat("/dev").st_dev
    for top, dirs, files in os.walk("/dev"):
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(top, d)).st_dev == dev]
        for name in dirs + files:
            path = os.path.join(top, name)
            state[path] = os.readlink(path) if os.path.islink(path) else "entry"
    return state


def test_udevadm_test_leaves_the_hosts_udev_database_and_dev_alone():
    before = host_udev_state()
    records = usb_device("1-3", "2e8a", "000a", "Pico", "E6605481DB484636", 6) + cdc_tty("1-3", "ttyACM0")
    udev_test(records, f"{HUB}/1-3")
    udev_test(records, f"{HUB}/1-3/1-3:1.0/tty/ttyACM0")
    assert host_udev_state() == before


@pytest.mark.parametrize("pid,product,serial", BOARDS)
def test_usb_node_gets_group_mode_and_uaccess(pid, product, serial):
    ours, props = udev_test(usb_device("1-2", "2e8a", pid, product, serial, 5), f"{HUB}/1-2")
    assert any("MODE 0660" in line for line in ours), ours
    assert any(f"GROUP {PLUGDEV_GID}" in line for line in ours), ours
    assert "uaccess" in props.get("TAGS", ""), props.get("TAGS")


def test_pico_tty_is_ignored_by_modemmanager_and_accessible():
    records = usb_device("1-3", "2e8a", "000a", "Pico", "E6605481DB484636", 6) + cdc_tty("1-3", "ttyACM0")
    ours, props = udev_test(records, f"{HUB}/1-3/1-3:1.0/tty/ttyACM0")
    assert props.get("ID_MM_DEVICE_IGNORE") == "1", props
    assert any("MODE 0660" in line for line in ours), ours
    assert "uaccess" in props.get("TAGS", "")


def test_other_vendors_are_left_alone():
    records = usb_device("1-4", "1209", "0003", "Other", "X", 7) + cdc_tty("1-4", "ttyACM1")
    ours, props = udev_test(records, f"{HUB}/1-4")
    assert ours == []
    assert "uaccess" not in props.get("TAGS", "")
    ours, props = udev_test(records, f"{HUB}/1-4/1-4:1.0/tty/ttyACM1")
    assert ours == []
    assert "ID_MM_DEVICE_IGNORE" not in props


def test_rules_never_world_writable():
    with open(RULES) as f:
        text = f.read()
    for line in text.splitlines():
        if "MODE=" in line:
            mode = line.split('MODE="')[1].split('"')[0]
            assert int(mode, 8) & 0o002 == 0, line
