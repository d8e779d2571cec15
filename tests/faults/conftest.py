"""Fixtures of the fault suite: small tmpfs mounts (the tests run as root)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def _mount(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def tmpfs(tmp_path) -> Iterator[Callable[..., Path]]:
    """`tmpfs(size="5m", read_only=False)`: a fresh tmpfs mounted on a folder of
    `tmp_path`; skipped, with the reason, where mounting is not allowed. Every mount is
    undone in teardown, even when the test fails."""
    mounted: list[Path] = []

    def mount(size: str = "5m", read_only: bool = False) -> Path:
        point = tmp_path / f"tmpfs{len(mounted)}"
        point.mkdir()
        done = _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point))
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
        mounted.append(point)
        if read_only:
            (point / "store").mkdir()  # something to find inside, read-only from now on
            remount = _mount("-o", "remount,ro", str(point))
            assert remount.returncode == 0, remount.stderr
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30)


def resize(point: Path, size: str) -> None:
    """Give a tmpfs of the `tmpfs` fixture another size (e.g. room again after a full disk)."""
    done = _mount("-o", f"remount,size={size}", str(point))
    assert done.returncode == 0, done.stderr


def fill(point: Path, leave: int) -> Path:
    """Fill the file system of `point` until `leave` bytes (or a little less) are free."""
    free = os.statvfs(point).f_bavail * os.statvfs(point).f_frsize
    filler = point / "filler"
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler
