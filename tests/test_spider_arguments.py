"""`scrapy crawl` with missing or wrong spider arguments: a non-zero exit and one clear
line, as `crawler archive` and `crawler crawl` give, not an empty report or an asyncio
traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


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
