"""Makes `picoharness` importable and its fixtures available to the tests here."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

pytest_plugins = ["picoharness.pytest_plugin"]
