"""Scheduled site crawls, end to end against the newsroom fixture site on 127.0.0.1:
discovery through feed, sitemaps and sections; robots; the date window; traps;
incremental second runs with revisit records; resume after SIGKILL; refusals."""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from tests.conftest import ROOT, run_cli
from tests.newsroom import NewsroomSite
from tests.warc_tools import warcio_check

WINDOW = timedelta(days=7)


def site_toml(site: NewsroomSite, folder: Path, **extra: str) -> Path:
    base = site.base_url
    politeness = extra.pop(
        "politeness", "download_delay = 0\nconcurrency = 4\nautothrottle = false"
    )
    schedule = extra.pop("schedule", "*/30 * * * *")
    name = extra.pop("name", "newsroom")
    text = f"""
[site]
name = "{name}"
domains = ["127.0.0.1"]
start_urls = ["{base}/"]
schedule = "{schedule}"

[discovery]
sections = ["{base}/world/", "{base}/politics/"]
article_allow = ['/\\d{{4}}/\\d{{2}}/\\d{{2}}/[^/]+\\.html$']
follow_allow = ['/calendar/']
max_depth = 3
window = "7d"

[politeness]
{politeness}
"""
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


def manifest(store: Path) -> dict:
    newest = max((store / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(newest.read_text())


def article_records(store: Path) -> list[dict]:
    records = []
    for shard in sorted((store / "articles").rglob("*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            records.extend(json.loads(line) for line in fh)
    return records


def warc_records(store: Path) -> list[tuple[str, str, str | None, str | None]]:
    found = []
    for path in sorted((store / "warc").rglob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                status = record.http_headers.get_statuscode() if record.http_headers else None
                found.append(
                    (
                        record.rec_type,
                        record.rec_headers.get_header("WARC-Target-URI"),
                        status,
                        record.rec_headers.get_header("WARC-Profile"),
                    )
                )
    return found


def paths_of(site: NewsroomSite, urls) -> set[str]:
    return {u.replace(site.base_url, "") for u in urls}


def summary_parts(stdout: str) -> dict[str, int]:
    """The site-crawl summary line's figures, checked to add up: every article URL
    discovered was archived, failed, already archived or skipped (hubs, feeds and
    sitemaps skipped are counted on a line of their own)."""
    match = re.search(
        r"site crawl: (\d+) article URLs discovered = (\d+) archived \+ (\d+) failed "
        r"\+ (\d+) already archived \+ (\d+) skipped",
        stdout,
    )
    assert match, stdout
    names = ("discovered", "archived", "failed", "already", "skipped")
    parts = dict(zip(names, map(int, match.groups()), strict=True))
    assert parts["discovered"] == sum(parts.values()) - parts["discovered"], parts
    return parts


@pytest.fixture
def newsroom():
    with NewsroomSite() as site:
        yield site


def test_first_run_archives_the_window_then_second_run_fetches_only_new(newsroom, tmp_path):
    store = tmp_path / "data"
    config = site_toml(newsroom, tmp_path)
    expected = newsroom.expected_in_window(WINDOW)

    first = run_cli("crawl", str(config), "--store", str(store))
    assert first.returncode == 0, first.stdout + first.stderr
    records = article_records(store)
    assert paths_of(newsroom, [r["url"] for r in records]) == expected
    assert len(records) == len(expected)  # the ?sessionid= duplicate link was folded in
    report = manifest(store)
    reasons = {s["url"].replace(newsroom.base_url, ""): s["reason"] for s in report["skipped"]}
    assert reasons[next(p for p in reasons if p.startswith("/private/"))].startswith("robots:")
    old = [a.path for a in newsroom.articles if not a.in_sections]
    assert all(reasons[p].startswith("out of window") for p in old)
    assert any(r.startswith("depth:") for p, r in reasons.items() if "/calendar/" in p)
    # the rate-limited article: 429 archived as received, then the retry's 200
    limited = next(p for p in expected if p.startswith("/limited/"))
    statuses = [
        s for t, u, s, _ in warc_records(store) if t == "response" and u == newsroom.url(limited)
    ]
    assert statuses == ["429", "200"]
    assert "site crawl:" in first.stdout and "robots 1" in first.stdout
    assert summary_parts(first.stdout)["archived"] == len(expected)

    # Two new articles; everything else unchanged.
    new = [
        newsroom.add_article("fresh-report-one"),
        newsroom.add_article("fresh-report-two", "politics"),
    ]
    mark = len(newsroom.requests)
    second = run_cli("crawl", str(config), "--store", str(store))
    assert second.returncode == 0, second.stdout + second.stderr
    fetched = [p for p, _ in newsroom.requests[mark:]]
    article_gets = {p for p in fetched if p.endswith(".html")}
    assert article_gets == {a.path for a in new}
    for hub in ("/", "/feed.xml", "/sitemap_index.xml", "/world/", "/politics/"):
        assert hub in fetched
    assert paths_of(newsroom, [r["url"] for r in article_records(store)]) == expected | {
        a.path for a in new
    }
    # unchanged hubs answered 304 to our conditional GETs: revisit records, no bodies
    revisits = [(u, s, prof) for t, u, s, prof in warc_records(store) if t == "revisit"]
    assert (
        newsroom.url("/calendar/" + newsroom.newest(1)[0].published.strftime("%Y-%m") + "/"),
        "304",
        "http://netpreserve.org/warc/1.1/revisit/server-not-modified",
    ) in revisits
    assert manifest(store)["counts"]["already_archived"] == len(expected)
    again = summary_parts(second.stdout)
    assert (again["archived"], again["failed"], again["already"]) == (2, 0, len(expected))
    check = warcio_check((store / "warc").rglob("*.warc.gz"))
    assert check.returncode == 0, check.stdout + check.stderr


def test_recrawl_always_writes_identical_payload_revisits(newsroom, tmp_path):
    store = tmp_path / "data"
    config = site_toml(newsroom, tmp_path)
    text = config.read_text() + '\n[recrawl]\npolicy = "always"\n'
    config.write_text(text)
    assert run_cli("crawl", str(config), "--store", str(store)).returncode == 0
    before = len(article_records(store))
    # The fixture answers If-None-Match with 304; drop validators by making the catalog
    # forget them, so the refetch is a full 200 with the same bytes.
    db = sqlite3.connect(store / "catalog.sqlite")
    db.execute("UPDATE captures SET etag=NULL, last_modified=NULL")
    db.commit()
    db.close()
    result = run_cli("crawl", str(config), "--store", str(store))
    assert result.returncode == 0, result.stdout + result.stderr
    identical = [
        u
        for t, u, s, prof in warc_records(store)
        if t == "revisit" and prof and prof.endswith("identical-payload-digest")
    ]
    assert len(identical) >= before  # every refetched article (and unchanged hub)
    assert len(article_records(store)) == before  # unchanged: no second copy of any article
    assert manifest(store)["counts"]["unchanged"] == before


def test_killed_run_resumes_without_refetching(newsroom, tmp_path):
    store = tmp_path / "data"
    config = site_toml(
        newsroom, tmp_path, politeness="download_delay = 0.4\nconcurrency = 1\nautothrottle = false"
    )
    expected = newsroom.expected_in_window(WINDOW)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", str(config), "--store", str(store)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        archived = 0
        while time.monotonic() < deadline and archived < 3:
            time.sleep(0.2)
            try:
                db = sqlite3.connect(store / "catalog.sqlite", timeout=5)
                archived = db.execute("SELECT count(*) FROM articles").fetchone()[0]
                db.close()
            except sqlite3.OperationalError:
                pass
        assert archived >= 3, "the crawl did not get going"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert list((store / "warc").rglob("*.open")), "a killed run leaves its WARC open"
    done_before = {p for p, s in newsroom.requests if p.endswith(".html") and s == 200}
    assert 3 <= len(done_before & expected) < len(expected)

    mark = len(newsroom.requests)
    result = run_cli("crawl", str(config), "--store", str(store))
    assert result.returncode == 0, result.stdout + result.stderr
    refetched = {p for p, _ in newsroom.requests[mark:] if p.endswith(".html")}
    records = article_records(store)
    by_path: dict[str, int] = {}
    for r in records:
        path = r["url"].replace(newsroom.base_url, "")
        by_path[path] = by_path.get(path, 0) + 1
    assert set(by_path) == expected
    assert all(n == 1 for n in by_path.values()), by_path  # archived exactly once
    catalogued = {p for p in done_before if p in by_path}
    # what was archived before the kill (article record written) was not fetched again
    db = sqlite3.connect(store / "catalog.sqlite")
    first_run = db.execute("SELECT crawl_id FROM runs ORDER BY started_at LIMIT 1").fetchone()[0]
    done = {
        u.replace(newsroom.base_url, "")
        for (u,) in db.execute("SELECT url FROM articles WHERE crawl_id=?", (first_run,))
    }
    db.close()
    assert done and not (refetched & done)
    assert catalogued >= done
    assert not list((store / "warc").rglob("*.open"))
    check = warcio_check((store / "warc").rglob("*.warc.gz"))
    assert check.returncode == 0, check.stdout + check.stderr


def test_robots_5xx_means_disallow(tmp_path):
    with NewsroomSite(robots_status=503) as site:
        store = tmp_path / "data"
        result = run_cli(
            "crawl", str(site_toml(site, tmp_path)), "--store", str(store), "-s", "RETRY_TIMES=0"
        )
        fetched = [p for p, _ in site.requests]
    assert fetched == ["/robots.txt"]
    report = manifest(store)
    assert report["skipped"] and all(
        s["reason"].startswith("robots:") and "503" in s["reason"] for s in report["skipped"]
    )
    # not one page of the site could be fetched: the run failed, and says why
    assert result.returncode == 1, result.stdout + result.stderr
    assert "FAILED    site newsroom could not be crawled at all: robots:" in result.stdout


def test_site_that_keeps_refusing_is_stopped(tmp_path):
    with NewsroomSite(refuse_articles=True) as site:
        store = tmp_path / "data"
        config = site_toml(
            site,
            tmp_path,
            politeness="download_delay = 0\nconcurrency = 2\n"
            "autothrottle = false\nmax_refusals = 3",
        )
        result = run_cli("crawl", str(config), "--store", str(store), "-s", "RETRY_TIMES=0")
    assert result.returncode == 1
    assert "blocked: 127.0.0.1 keeps refusing requests (" in result.stderr
    assert "last: HTTP 429); stopped to stay polite" in result.stderr
    report = manifest(store)
    assert report["finish_reason"].startswith("blocked:")
    failed = [o for o in report["outcomes"] if not o["archived"]]
    assert failed and all(o["reason"].startswith("blocked: HTTP 429") for o in failed)
    # every discovered article is accounted for: failed (blocked), or skipped with a reason
    # (out of window, robots, or "not fetched: run ended (blocked: ...)" if still queued)
    skipped = [s for s in report["skipped"] if s["kind"] == "article"]
    assert len(failed) + len(skipped) == report["counts"]["discovered"]
    assert all(
        s["reason"].startswith(("out of window", "robots:", "not fetched: run ended (blocked:"))
        for s in skipped
    )


def test_scrapy_crawl_site_through_scrapy_cfg(newsroom, tmp_path):
    store = tmp_path / "data"
    config = site_toml(newsroom, tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "site",
            "-a",
            f"site={config}",
            "-s",
            f"STORE_URI={store}",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert paths_of(
        newsroom, [r["url"] for r in article_records(store)]
    ) == newsroom.expected_in_window(WINDOW)


def test_crawl_delay_from_robots_is_honoured(tmp_path):
    with NewsroomSite(crawl_delay=0.4) as site:
        store = tmp_path / "data"
        result = run_cli(
            "crawl", str(site_toml(site, tmp_path)), "--store", str(store), "--max-articles", "3"
        )
        times = list(site.request_times)
    assert result.returncode == 0, result.stderr[-3000:]
    gaps = [b - a for a, b in zip(times[1:], times[2:], strict=False)]  # after robots.txt
    assert len(gaps) >= 6
    assert min(gaps) >= 0.38, gaps  # Crawl-delay is a minimum, whatever the jitter
