"""Headless Debian Chromium for the browser tests: the one executable and its flags (the fixture is in conftest)."""

from __future__ import annotations

from pathlib import Path

#: Debian's chromium (``apt-get install chromium``; .ci/run installs it), never a tool's own download.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
