"""Processes on this machine read from /proc (Linux): parents, descendants, a session's mark.

The test session puts a mark (an environment variable) on itself; every process it starts
inherits it, however far down and even when reparented to init after its parent died, so
the mark tells the session's leftovers apart from other programs on a shared machine.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

MARK = "CRAWLER_TEST_SESSION"


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    cmdline: str
    environ: bytes  # raw NUL-separated KEY=value pairs; b"" when unreadable

    def has_mark(self, token: str) -> bool:
        return f"{MARK}={token}".encode() in self.environ.split(b"\0")


def _read(pid: int) -> Proc | None:
    base = Path("/proc") / str(pid)
    try:
        stat = (base / "stat").read_text()
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in (...) may hold spaces
        cmdline = (base / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (OSError, IndexError, ValueError):  # gone meanwhile
        return None
    try:
        environ = (base / "environ").read_bytes()
    except OSError:  # another user's process: not ours
        environ = b""
    return Proc(pid, ppid, cmdline.strip(), environ)


def snapshot() -> dict[int, Proc]:
    procs = (_read(int(name)) for name in os.listdir("/proc") if name.isdigit())
    return {p.pid: p for p in procs if p is not None}


def descendants(pid: int, procs: dict[int, Proc] | None = None) -> list[Proc]:
    """Every process below `pid` in the parent tree, as it is now."""
    procs = snapshot() if procs is None else procs
    children: dict[int, list[Proc]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def session_processes(session_pid: int, token: str) -> list[Proc]:
    """Processes the session started that are still alive: below it, or carrying its mark
    (reparented to init after their parent died)."""
    procs = snapshot()
    below = {p.pid for p in descendants(session_pid, procs)}
    return [
        p for p in procs.values() if p.pid != session_pid and (p.pid in below or p.has_mark(token))
    ]


def alive(pids: list[int]) -> list[int]:
    return [pid for pid in pids if (Path("/proc") / str(pid)).exists() and not _zombie(pid)]


def _zombie(pid: int) -> bool:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def wait_gone(pids: list[int], seconds: float) -> list[int]:
    """Wait up to `seconds` for the processes to end; returns those still alive."""
    deadline = time.monotonic() + seconds
    left = alive(pids)
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = alive(left)
    return left


def kill(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def wait_for(predicate, timeout: float, what: str) -> None:
    """Poll `predicate` until it holds; AssertionError naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)
