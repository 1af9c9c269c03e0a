"""Tests of the labgrid layer: the driver against emulated boards, and a whole lab (coordinator,
exporter with ser2net, client) on this machine. Needs .venv with labgrid (Scripts/setup.sh).

    .venv/bin/python -m pytest -q contrib/labgrid/tests
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "Tests" / "Harness"))
sys.path.insert(0, str(REPO / "contrib" / "labgrid"))

from picoharness.pytest_plugin import emulated_board, picoctl  # noqa: E402,F401  (the shared fixtures)


def venv_python() -> str:
    """The Python that has labgrid (this one)."""
    return sys.executable
