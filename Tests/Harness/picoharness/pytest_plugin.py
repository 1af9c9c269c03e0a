"""pytest fixtures: `emulated_board(kind=..., count=..., mode=...)` starts a harness per test;
`picoctl` is the path of the built binary.

Enable in a conftest.py with `pytest_plugins = ["picoharness.pytest_plugin"]`.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .client import EmulatedBoards


@pytest.fixture
def emulated_board():
    """Factory: call it to start boards; every harness started is stopped after the test."""
    started: list[EmulatedBoards] = []

    def start(kind: str = "sim-rp2040", count: int = 1, mode: str = "bootsel", **kw) -> EmulatedBoards:
        boards = EmulatedBoards(kind=kind, count=count, mode=mode, **kw)
        started.append(boards)
        return boards

    yield start
    for b in started:
        b.close()


@pytest.fixture(scope="session")
def picoctl() -> str:
    """The built binary: $PICOCTL, else .build/debug/picoctl."""
    path = os.environ.get("PICOCTL") or str(Path(__file__).resolve().parents[3] / ".build" / "debug" / "picoctl")
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is not built: run `swift build` first")
    return path
