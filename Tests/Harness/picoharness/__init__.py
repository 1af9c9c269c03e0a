"""Emulated Raspberry Pi Pico boards behind umockdev, for end-to-end tests of picoctl.

See Tests/Harness/README.md. Entry points: `client.EmulatedBoards` (start boards, control them,
run programs under the preload), `pytest_plugin` (the `emulated_board` fixture) and
`python -m picoharness.server` (the harness process itself).
"""
