"""Killed at random (issue 12): `crawler archive` SIGKILLed ten times at random moments,
then one clean run; after it the store is whole.

Small WARC files and shards rotate often, so kills land in every window of a file's life
(being written, closed but unregistered, registered but unindexed). The seed is printed
on failure; `CRAWLER_FAULT_SEED=N` replays a sequence of kill times."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter

from crawler.capture.cdxj import cdxj_lines
from crawler.capture.warc_reader import read_record_at
from tests.conftest import ROOT, run_cli
from tests.process_tools import descendants, kill, wait_gone
from tests.test_crash_recovery import _captures
from tests.warc_tools import capture_pointers, warc_files, warcio_check

KILLS = 10
LOOP_BUDGET = 150.0  # seconds for the kills; the clean run and the checks come on top
# `crawler archive` skips URLs the store has archived (crawler/frontier): a URL whose
# capture a killed run catalogued is not fetched again, so each has one article row.
EXACTLY_ONCE = True


def _archive_args(urls: list[str], store) -> list[str]:
    return [
        "archive",
        *urls,
        "--store",
        str(store),
        "--concurrency",
        "4",
        "--progress-interval",
        "0",
        "-s",
        "WARC_MAX_SIZE=30000",  # a new WARC every few pages
        "-s",
        "STORE_SHARD_MAX_RECORDS=4",  # and a new shard every four articles
    ]


def _kill_at(proc: subprocess.Popen, delay: float) -> tuple[bool, list[int]]:
    """SIGKILL `proc` after `delay` seconds, if still running: (killed?, its children)."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if proc.poll() is not None:
        return False, []
    children = [p.pid for p in descendants(proc.pid)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    return True, children


def _shard_records(store) -> dict[tuple, dict]:
    found = {}
    for shard in (store / "articles").rglob("*.jsonl.gz"):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                key = (record["id"], record["version"], record["fetched_at"], record["crawl_id"])
                found[key] = {**record, "_shard": shard.relative_to(store).as_posix()}
    return found


def test_kill_at_random_then_one_clean_run_leaves_a_whole_store(site, tmp_path):
    seed = int(os.environ.get("CRAWLER_FAULT_SEED") or time.time_ns() % 1_000_000)
    rng = random.Random(seed)
    store = tmp_path / "store"
    urls = [site.url(p) for p in site.article_paths()]
    # Enough slow pages that ten killed runs still find work: a re-run skips what the
    # store has archived, so each run only fetches what the killed ones had not finished.
    urls += [site.url(f"/slow?delay=0.4&n={n}") for n in range(400)]
    args = [sys.executable, "-m", "crawler.cli", *_archive_args(urls, store)]
    started, killed = time.monotonic(), 0
    for _attempt in range(KILLS * 2):  # a run that ends before its kill time is not counted
        if killed == KILLS:
            break
        proc = subprocess.Popen(
            args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            was_killed, children = _kill_at(proc, rng.uniform(1.5, 4.5))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        killed += was_killed
        # Its WARC writer, extraction and index workers end with it.
        left = wait_gone(children, 15)
        kill(left)
        assert not left, f"seed {seed}, kill {killed}: processes outlived the crawler: {left}"
        assert time.monotonic() - started < LOOP_BUDGET, f"seed {seed}: the kill loop ran long"
    assert killed == KILLS, f"seed {seed}: only {killed} runs were still going at kill time"

    clean = run_cli(*_archive_args(urls, store), timeout=300)
    assert clean.returncode == 0, f"seed {seed}\n" + clean.stdout[-2000:] + clean.stderr[-3000:]
    _assert_whole(store, urls, seed)


def _assert_whole(store, urls: list[str], seed: int) -> None:
    why = f"seed {seed}"
    assert not list(store.rglob("*.open")), why
    assert not list(store.rglob("*.tmp")), why
    warcs = warc_files(store)
    check = warcio_check(warcs)
    assert check.returncode == 0, f"{why}\n{check.stdout}{check.stderr}"
    for warc in warcs:  # every WARC indexed, as cdxj-indexer indexes it now
        index = warc.parent / (warc.name + ".cdxj")
        assert index.read_bytes() == cdxj_lines(warc), f"{why}: {index}"
    # Every capture the catalog lists reads back its record; every record is listed.
    captures = _captures(store)
    for record_id, warc_file, offset, length in captures:
        record = read_record_at(store / warc_file, offset, length)
        assert record.rec_headers.get_header("WARC-Record-ID") == record_id, why
    assert set(captures) == capture_pointers(store), why
    # Every article row is in a registered shard, and its WARC pointer reads back.
    db = sqlite3.connect(store / "catalog.sqlite")
    db.row_factory = sqlite3.Row
    rows = db.execute("SELECT * FROM articles").fetchall()
    shards = {r["key"] for r in db.execute("SELECT key FROM files WHERE kind='articles'")}
    db.close()
    stored = _shard_records(store)
    for row in rows:
        record = stored[(row["id"], row["version"], row["fetched_at"], row["crawl_id"])]
        assert record["_shard"] == row["shard"] and row["shard"] in shards, why
        pointer = record["warc"]
        found = read_record_at(store / pointer["filename"], pointer["offset"], pointer["length"])
        assert found.rec_headers.get_header("WARC-Record-ID") == pointer["record_id"], why
        assert found.rec_headers.get_header("WARC-Target-URI") == record["final_url"], why
    per_url = Counter(row["url"] for row in rows)
    if EXACTLY_ONCE:
        wrong = {url: per_url[url] for url in urls if per_url[url] != 1}
        assert not wrong, (why, "article rows per URL", wrong)
    else:
        assert all(per_url[url] >= 1 for url in urls), (why, per_url)
