"""WARC files rotating mid-run: the writer process closes a file, the index pool indexes it
off the reactor thread, and the run must still record both (catalog `files`, manifest) and
keep archiving."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import run_cli


def test_rotation_mid_run_records_every_file(site, tmp_path):
    store = tmp_path / "store"
    urls = [site.url(p) for p in site.article_paths()]
    result = run_cli(
        "archive", *urls, "--store", str(store), "-s", "WARC_MAX_SIZE=2000", "--ignore-robots"
    )
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "WARC write errors" not in result.stdout
    warcs = sorted(p.relative_to(store).as_posix() for p in store.rglob("*.warc.gz"))
    assert len(warcs) >= len(urls)  # every response rotated the file
    db = sqlite3.connect(store / "catalog.sqlite")
    try:
        recorded = sorted(k for (k,) in db.execute("SELECT key FROM files WHERE kind='warc'"))
        captured = {f for (f,) in db.execute("SELECT DISTINCT warc_file FROM captures")}
    finally:
        db.close()
    assert recorded == warcs
    assert captured <= set(warcs)
    [manifest] = list((store / "runs").glob("*.json"))
    listed = sorted(
        f["key"] for f in json.loads(manifest.read_text())["files"] if f["kind"] == "warc"
    )
    assert listed == warcs
