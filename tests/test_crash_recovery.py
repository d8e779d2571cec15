"""A run killed with SIGKILL mid-write loses nothing that was archived."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time

from crawler.capture.warc_reader import read_record_at
from tests.conftest import ROOT, run_cli
from tests.warc_tools import capture_pointers, warc_files


def _captures(store) -> list[tuple]:
    db = store / "catalog.sqlite"
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(
                "SELECT record_id, warc_file, warc_offset, warc_length FROM captures"
            ).fetchall()
    except sqlite3.OperationalError:
        return []  # schema not created yet


def test_sigkill_mid_run_then_next_run_repairs(site, tmp_path):
    store = tmp_path / "store"
    urls = [site.url(f"/slow?delay=0.2&n={i}") for i in range(200)]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crawler.cli",
            "archive",
            *urls,
            "--store",
            str(store),
            "--concurrency",
            "2",
            "--progress-interval",
            "0",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while len(_captures(store)) < 10 and time.monotonic() < deadline:
            assert proc.poll() is None, "the run ended before it could be killed"
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    before = _captures(store)
    assert len(before) >= 10
    assert list(store.rglob("*.warc.gz.open")), "a killed writer leaves its .open file"

    # The next run (any URLs) repairs and closes what the killed one left.
    result = run_cli("archive", site.url(site.article_paths()[0]), "--store", str(store))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(store.rglob("*.open"))
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, warc_files(store))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # Every capture the catalog had committed is readable where it says it is.
    for record_id, warc_file, offset, length in before:
        record = read_record_at(store / warc_file, offset, length)
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id
    # ... and every record in the WARCs is catalogued, those whose rows the killed run
    # had not committed yet included (read back from the repaired file).
    assert set(_captures(store)) == capture_pointers(store)
    manifests = [json.loads(p.read_text()) for p in (store / "runs").glob("*.json")]
    (second,) = manifests  # the killed run never wrote one
    assert {f["kind"] for f in second["repaired_files"]} >= {"warc"}
    # The repaired WARC got its CDXJ index too, listing every committed capture.
    repaired = [f["key"] for f in second["repaired_files"] if f["kind"] == "warc"]
    registered = {f["key"] for f in second["files"] if f["kind"] == "cdxj"}
    for key in repaired:
        assert key + ".cdxj" in registered
        lines = (store / (key + ".cdxj")).read_text().splitlines()
        offsets = {json.loads(ln.split(" ", 2)[2])["offset"] for ln in lines}
        assert {str(off) for _, wf, off, _ in before if wf == key} <= offsets
