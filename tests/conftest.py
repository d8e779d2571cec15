"""Shared fixtures: the fixture news site on loopback and a runner for the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.process_tools import MARK, kill, session_processes, wait_gone
from tests.redis_server import redis_server, redis_url  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[1]
# Every process this session starts inherits the mark, so its leftovers can be found even
# after they were reparented to init (set at import: before any test starts a process).
SESSION_TOKEN = os.environ[MARK] = uuid.uuid4().hex
_LEFTOVER_GRACE = 10.0  # seconds for processes that are ending to finish


@pytest.fixture(scope="session", autouse=True)
def no_process_left_behind():
    """The suite leaves no process behind: once every other fixture is torn down, nothing the
    session started may be alive. Leftovers are listed, killed, and fail the session."""
    yield
    # In-process pools (tests calling the library directly) leave this interpreter's own
    # forkserver and resource tracker, which would end with it: stop them first, so that
    # only what would outlive the session is counted.
    from multiprocessing import forkserver, resource_tracker

    forkserver._forkserver._stop()
    resource_tracker._resource_tracker._stop()
    leftovers = {p.pid: p for p in session_processes(os.getpid(), SESSION_TOKEN)}
    still = wait_gone(list(leftovers), _LEFTOVER_GRACE)
    if still:
        kill(still)
        listing = "\n".join(
            f"  pid {pid} (parent {leftovers[pid].ppid}): {leftovers[pid].cmdline[:200]}"
            for pid in still
        )
        pytest.fail(
            f"{len(still)} process(es) started by the test session were still alive "
            f"{_LEFTOVER_GRACE:g}s after its end (killed now):\n{listing}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def site():
    from crawler.demo.site import FixtureSite

    with FixtureSite() as served:
        yield served


def run_cli(
    *args: str,
    cwd: Path | None = None,
    timeout: float = 180,
    stdin: str | None = None,
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    """Run `crawler ...` in a subprocess (Scrapy's reactor starts once per process)."""
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "crawler.cli", *args],
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
        env=full_env,
    )
