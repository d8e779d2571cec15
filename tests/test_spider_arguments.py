"""`scrapy crawl` with missing or wrong spider arguments: a non-zero exit and one clear
line, as `crawler archive` and `crawler crawl` give, not an empty report or an asyncio
traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.hostile_site import HostileSite


def scrapy_crawl(*args: str, tmp_path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", *args, "-s", f"STORE_URI={tmp_path / 's'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["urls"], "no URLs given: -a urls='URL ...' or -a input=FILE"),
        (["urls", "-a", "urls= "], "no URLs given"),
        (["site", "-a", "site=nosuchsite"], "no site named 'nosuchsite' in"),
        (["site"], "the site spider needs -a site=NAME"),
        (["urls", "-a", "urls=http://127.0.0.1:1/", "-s", "WARC_MAX_SIZE=big"], "not a size"),
    ],
)
def test_bad_spider_arguments_fail_in_one_line(args, message, tmp_path):
    (tmp_path / "sites").mkdir()
    result = scrapy_crawl(*args, "-s", f"SITES_DIRS={tmp_path / 'sites'}", tmp_path=tmp_path)
    assert result.returncode != 0, result.stdout + result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if " ERROR: " in line]
    assert len(errors) == 1 and message in errors[0], result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "Task exception" not in result.stderr
    assert "archived" not in result.stdout  # no report of a run that never was


def test_scrapy_crawl_takes_sizes_with_units(tmp_path):
    with HostileSite() as site:
        url = site.url("/2026/story.html")  # a page of about 3 kB
        result = scrapy_crawl(
            "urls", "-a", f"urls={url}", "-s", "DOWNLOAD_MAXSIZE=1kB", tmp_path=tmp_path
        )
    line = next(ln for ln in result.stdout.splitlines() if url in ln)
    assert line.startswith("FAILED") and "download aborted" in line and "1000" in line, line
