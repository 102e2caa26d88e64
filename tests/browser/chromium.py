"""Where the browser tests find Chromium and Playwright, and the skip when they cannot."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

# Debian's package; Playwright's own browser download is not needed (nor always possible).
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def playwright_or_skip() -> ModuleType:
    """playwright.sync_api, or a skip that says what to install."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Chromium at {CHROMIUM} (apt install chromium, or set "
            "CHROMIUM_PATH)",
            allow_module_level=True,
        )
    # ImportError, not only "not installed": a broken install skips too, with the same reason.
    return pytest.importorskip(
        "playwright.sync_api",
        reason="browser tests need Playwright for Python (pip install playwright)",
        exc_type=ImportError,
    )
