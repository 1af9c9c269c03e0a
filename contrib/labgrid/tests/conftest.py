"""Tests of the labgrid layer: the driver against emulated boards, and a whole lab (coordinator,
exporter with ser2net, client) on this machine. Needs .venv with labgrid (Scripts/setup.sh).

    .venv/bin/python -m pytest -q contrib/labgrid/tests
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "Tests" / "Harness"))
sys.path.insert(0, str(REPO / "contrib" / "labgrid"))

from picoharness.pytest_plugin import emulated_board  # noqa: E402,F401  (the shared fixture)


@pytest.fixture(scope="session")
def picoctl() -> str:
    """The built binary: $PICOCTL, else .build/debug/picoctl."""
    path = os.environ.get("PICOCTL") or str(REPO / ".build" / "debug" / "picoctl")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run `swift build` first")
    return path


def venv_python() -> str:
    """The Python that has labgrid (this one)."""
    return sys.executable
