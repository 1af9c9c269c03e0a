"""pytest fixtures: `emulated_board(kind=..., count=..., mode=...)` starts a harness per test.

Enable in a conftest.py with `pytest_plugins = ["picoharness.pytest_plugin"]`.
"""
from __future__ import annotations

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
