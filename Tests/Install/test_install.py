"""Scripts/install.sh end to end into a temporary prefix, then --uninstall: the binary, the udev
rules, completions for bash, zsh and fish, and the man page `picoctl manual` prints. The debug build is installed (CONFIGURATION=debug) to spare a release
build; the script's steps are the same."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / "Scripts" / "install.sh"
FILES = ["bin/picoctl", "share/man/man1/picoctl.1", "share/bash-completion/completions/picoctl",
         "share/zsh/site-functions/_picoctl", "share/fish/vendor_completions.d/picoctl.fish"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if not shutil.which("swift") and not Path("/opt/swift/usr/bin/swift").exists():
        pytest.skip("Swift is not installed")
    root = tmp_path_factory.mktemp("install")
    env = dict(os.environ, PREFIX=str(root / "prefix"), UDEV_RULES_DIR=str(root / "rules"),
               CONFIGURATION="debug", PATH="/opt/swift/usr/bin:" + os.environ.get("PATH", ""))
    env.pop("LD_PRELOAD", None)
    r = subprocess.run(["bash", str(INSTALL)], cwd=REPO, env=env, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    return root, env, r.stdout


def test_install_puts_every_file_in_place(installed):
    root, _, out = installed
    prefix = root / "prefix"
    for name in FILES:
        assert (prefix / name).stat().st_size > 0, name
    assert os.access(prefix / "bin/picoctl", os.X_OK)
    rules = root / "rules" / "60-picoctl.rules"
    assert rules.read_text() == (REPO / "udev" / "60-picoctl.rules").read_text()
    assert oct(rules.stat().st_mode & 0o777) == "0o644"
    assert f"installed {prefix}/bin/picoctl" in out


def test_installed_binary_man_page_and_completions_work(installed):
    root, _, _ = installed
    prefix = root / "prefix"
    version = subprocess.run([str(prefix / "bin/picoctl"), "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.strip()
    man = (prefix / "share/man/man1/picoctl.1").read_text()
    assert man.startswith(".TH PICOCTL 1")
    for sub in ("flash", "list", "monitor", "doctor", "save"):
        assert f'.SS "picoctl {sub}"' in man, sub
    for section in ("EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"):
        assert f".SH {section}\n" in man, section
    if shutil.which("mandoc") or shutil.which("groff"):
        render = ["mandoc", "-T", "utf8"] if shutil.which("mandoc") else ["groff", "-man", "-T", "utf8"]
        r = subprocess.run([*render, str(prefix / "share/man/man1/picoctl.1")], capture_output=True, timeout=30)
        assert r.returncode == 0 and b"flash" in r.stdout
    bash_completion = prefix / "share/bash-completion/completions/picoctl"
    assert subprocess.run(["bash", "-n", str(bash_completion)]).returncode == 0
    # The completion offers the subcommands at the first word.
    probe = (f"source {bash_completion}; COMP_WORDS=(picoctl fl); COMP_CWORD=1; COMP_LINE='picoctl fl'; "
             "COMP_POINT=${#COMP_LINE}; _picoctl picoctl fl picoctl 2>/dev/null; printf '%s\\n' \"${COMPREPLY[@]}\"")
    r = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert "flash" in r.stdout.split(), r.stdout + r.stderr
    assert "#compdef picoctl" in (prefix / "share/zsh/site-functions/_picoctl").read_text()
    assert "complete -c 'picoctl'" in (prefix / "share/fish/vendor_completions.d/picoctl.fish").read_text()


def test_uninstall_removes_everything_it_installed(installed):
    root, env, _ = installed
    r = subprocess.run(["bash", str(INSTALL), "--uninstall"], cwd=REPO, env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    left = [p for p in root.rglob("*") if p.is_file()]
    assert left == []
