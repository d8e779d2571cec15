"""Shared fixtures: the fixture news site on loopback and a runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def site():
    from crawler.demo.site import FixtureSite

    with FixtureSite() as served:
        yield served


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 180,
            stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run `crawler ...` in a subprocess (Scrapy's reactor starts once per process)."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=cwd or ROOT, capture_output=True, text=True, timeout=timeout, input=stdin,
        env=full_env,
    )
