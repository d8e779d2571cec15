"""`crawler reextract` after a site crawl: only the captures that were articles become
article records again; the home page, section pages and calendar hubs the crawl fetched
to find them (HTML, status 200, in the catalog) do not."""

from __future__ import annotations

import re

from tests.conftest import run_cli
from tests.newsroom import NewsroomSite
from tests.test_site_crawl import WINDOW, article_records, paths_of, site_toml


def test_reextract_turns_no_hub_page_into_an_article(tmp_path):
    store = tmp_path / "data"
    with NewsroomSite() as newsroom:
        config = site_toml(newsroom, tmp_path)
        expected = newsroom.expected_in_window(WINDOW)
        crawl = run_cli("crawl", str(config), "--store", str(store))
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr[-3000:]
    assert paths_of(newsroom, [r["url"] for r in article_records(store)]) == expected

    result = run_cli("reextract", "--store", str(store), "--workers", "1")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    match = re.search(r"reextract: (\d+) captures, (\d+) new article versions", result.stdout)
    assert match, result.stdout
    assert (int(match.group(1)), int(match.group(2))) == (len(expected), 0)
    records = article_records(store)
    assert paths_of(newsroom, [r["url"] for r in records]) == expected
    assert len(records) == len(expected)
