"""Discovery parsers, URL policy and site-config validation (no network)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from crawler.discovery.feeds import parse_feed
from crawler.discovery.safe_xml import XmlTooLarge, parse_xml
from crawler.discovery.sitemaps import parse_sitemap, robots_sitemaps
from crawler.discovery.url_policy import trap_reason
from crawler.fetch.politeness import retry_after_seconds
from crawler.scheduler import CronError, next_time, parse_cron
from crawler.sites.config import find_site, load_site_config
from crawler.sites.files import SiteConfigError, site_files
from crawler.timebounds import parse_duration
from crawler.urls import canonical_url
from tests.conftest import ROOT, run_cli

BASE = "https://news.example/"


def test_rss_that_declares_the_sitemap_namespace_is_still_a_feed():
    body = b"""<?xml version="1.0"?>
    <rss version="2.0" xmlns:sitemap="http://www.sitemaps.org/schemas/sitemap/0.9">
      <channel><item><link>https://news.example/a.html</link>
        <pubDate>Tue, 03 Dec 2019 10:00:00 +0100</pubDate></item>
      <item><guid>https://news.example/b.html</guid></item></channel></rss>"""
    entries = parse_feed(body, BASE)
    assert [e.url for e in entries] == [
        "https://news.example/a.html",
        "https://news.example/b.html",
    ]
    assert entries[0].published == datetime(2019, 12, 3, 9, 0, tzinfo=UTC)
    assert parse_sitemap(body, BASE) is None


def test_atom_and_json_feed():
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry>
      <link rel="self" href="/self"/><link href="/2024/x.html"/>
      <published>2024-05-02T08:00:00Z</published></entry></feed>"""
    entries = parse_feed(atom, BASE)
    assert [(e.url, e.published.isoformat()) for e in entries] == [
        ("https://news.example/2024/x.html", "2024-05-02T08:00:00+00:00")
    ]
    jf = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {"url": "https://news.example/j.html", "date_published": "2024-05-01T00:00:00Z"},
                {"id": "no-url"},
            ],
        }
    ).encode()
    assert [e.url for e in parse_feed(jf, BASE)] == ["https://news.example/j.html"]
    assert parse_feed(b"<html><body>not a feed</body></html>", BASE) is None
    assert parse_feed(b'{"version": "1"}', BASE) is None


def test_sitemap_index_and_gzip_news_sitemap():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>https://news.example/news.xml.gz</loc><lastmod>2024-05-02</lastmod></sitemap>
    </sitemapindex>"""
    parsed = parse_sitemap(index, BASE)
    assert [c.url for c in parsed.children] == ["https://news.example/news.xml.gz"]
    assert parsed.children[0].published.date().isoformat() == "2024-05-02"
    news = gzip.compress(b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
      <url><loc>https://news.example/n1.html</loc><lastmod>2020-01-01</lastmod>
        <news:news><news:publication_date>2024-05-02T10:00:00+02:00</news:publication_date>
        </news:news></url>
      <url><loc>https://news.example/n2.html</loc></url></urlset>""")
    entries = parse_sitemap(news, BASE).entries
    assert [e.url for e in entries] == [
        "https://news.example/n1.html",
        "https://news.example/n2.html",
    ]
    # news:publication_date wins over lastmod
    assert entries[0].published == datetime(2024, 5, 2, 8, 0, tzinfo=UTC)
    assert entries[1].published is None


def test_hostile_xml_is_not_expanded_or_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xxe = f"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>
    <rss><channel><item><link>https://news.example/&x;</link></item></channel></rss>"""
    entries = parse_feed(xxe.encode(), BASE) or []
    assert all("TOP-SECRET" not in e.url for e in entries)
    laughs = b"""<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">
      <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
      <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
      <urlset><url><loc>https://news.example/&d;</loc></url></urlset>"""
    sitemap = parse_sitemap(laughs, BASE)  # entities are not expanded: no 10^4 a's
    assert sitemap is None or all(len(e.url) < 200 for e in sitemap.entries)
    with pytest.raises(XmlTooLarge):
        parse_xml(b"<urlset>" + b" " * 2000 + b"</urlset>", max_bytes=1000)
    with pytest.raises(XmlTooLarge):  # a gzip bomb of a sitemap
        parse_xml(gzip.compress(b"<urlset>" + b" " * 5_000_000 + b"</urlset>"), max_bytes=1_000_000)


def test_robots_sitemap_lines():
    body = (
        b"User-agent: *\nDisallow: /x\nsitemap: https://n.example/a.xml # main\n"
        b"SITEMAP:https://n.example/b.xml\n"
    )
    assert robots_sitemaps(body) == ["https://n.example/a.xml", "https://n.example/b.xml"]


def test_canonical_url_and_traps():
    strip = ["utm_*", "sessionid", "jsessionid"]
    assert (
        canonical_url("HTTP://News.Example:80/a.html?utm_source=x&id=3&sessionid=9#top", strip)
        == "http://news.example/a.html?id=3"
    )
    assert (
        canonical_url("https://news.example/a;jsessionid=ABC?b=1", strip)
        == "https://news.example/a?b=1"
    )
    assert canonical_url("https://news.example", strip) == "https://news.example/"
    assert trap_reason(
        "https://n.example/" + "x" * 3000, max_length=2048, max_repeated_segments=2
    ).startswith("trap: URL longer")
    assert (
        trap_reason(
            "https://n.example/a/b/a/b/a/b/c.html", max_length=2048, max_repeated_segments=2
        )
        == "trap: path segment 'a' repeats more than 2 times"
    )
    assert (
        trap_reason("https://n.example/2024/05/02/a.html", max_length=2048, max_repeated_segments=2)
        is None
    )


def test_retry_after_forms():
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(b"Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None


def test_cron_parsing_and_next_time():
    assert parse_cron("*/30 * * * *") == "*/30 * * * *"
    start = datetime(2026, 1, 1, 10, 7, tzinfo=UTC)
    assert next_time("*/30 * * * *", start) == datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    # six fields: seconds first
    assert next_time("*/5 * * * * *", start) == start + timedelta(seconds=5)
    for bad in ("every hour", "61 * * * *", "* * *", 5):
        with pytest.raises(CronError):
            parse_cron(bad)


def test_durations():
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("90s") == timedelta(seconds=90)
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration("two days")


GOOD = """
[site]
name = "ok"
domains = ["news.example"]
start_urls = ["https://news.example/"]
[discovery]
article_allow = ['/\\d{4}/']
"""


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ('domains = ["news.example"]', 'domains = "news.example"'),
            "[site] domains: expected a list of strings",
        ),
        (
            ("[discovery]", '[discovery]\nmax_depth = "deep"'),
            "[discovery] max_depth: expected an integer >= 0, got 'deep'",
        ),
        (
            ("[discovery]", '[discovery]\nwindow = "a week"'),
            "[discovery] window: expected a duration: a number and a unit s, m, h, d or w, "
            "such as 90s, 30m, 12h, 2d, 1w, got 'a week'",
        ),
        (
            ("[discovery]", '[discovery]\nfeeds = "auto"'),
            "[discovery] feeds: expected \"discover\" or a list of URLs, got 'auto'",
        ),
        (
            ("[discovery]", "[discovery]\narticle_deny = ['(']"),
            "[discovery] article_deny: expected valid regular expressions",
        ),
        (
            ('name = "ok"', 'name = "ok"\nschedule = "every day"'),
            "[site] schedule: expected a cron expression",
        ),
        (
            ('name = "ok"', 'name = "ok"\nstart_url = ["https://news.example/"]'),
            "[site] unknown key 'start_url'",
        ),
        (
            ("[discovery]", "[politeness]\nconcurrency = 0\n[discovery]"),
            "[politeness] concurrency: expected an integer >= 1, got 0",
        ),
        (
            ("[discovery]", '[recrawl]\npolicy = "after"\n[discovery]'),
            '[recrawl] after: expected a duration such as "7d" when policy = "after"',
        ),
        (
            ('start_urls = ["https://news.example/"]', 'start_urls = ["https://other.example/"]'),
            "[site] start_urls: expected URLs on the site's domains",
        ),
        (("[discovery]", "[discovry]"), "unknown table [discovry]"),
    ],
)
def test_site_config_errors_name_file_key_and_expectation(tmp_path, change, message):
    path = tmp_path / "bad.toml"
    path.write_text(GOOD.replace(*change))
    with pytest.raises(SiteConfigError) as caught:
        load_site_config(path)
    assert str(caught.value).startswith(str(path) + ": ")
    assert message in str(caught.value)


def test_shipped_site_configs_are_valid():
    files = site_files([ROOT / "settings" / "sites"])
    assert len(files) >= 3
    for path in files:
        config = load_site_config(path)
        assert config.schedule and config.article_allow and config.domains
    assert find_site("globalresearch", [ROOT / "settings" / "sites"]).name == "globalresearch"


def test_sites_command_validates_every_file(tmp_path):
    (tmp_path / "good.toml").write_text(GOOD)
    (tmp_path / "broken.toml").write_text(GOOD.replace("max_depth", "x") + "max_pages = -1\n")
    result = run_cli("sites", "--sites-dir", str(tmp_path))
    assert result.returncode == 1
    assert (
        f"INVALID  {tmp_path / 'broken.toml'}: [discovery] max_pages: expected an integer "
        ">= 1, got -1" in result.stdout
    )
    assert "ok       ok " in result.stdout
    missing = run_cli("crawl", "no-such-site", "--sites-dir", str(tmp_path))
    assert missing.returncode == 2
    assert "no site named 'no-such-site'" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_config_path_outside_sites_dir(tmp_path):
    path = Path(tmp_path / "mine.toml")
    path.write_text(GOOD)
    assert find_site(str(path), []).name == "ok"
    with pytest.raises(SiteConfigError, match="no such site file"):
        find_site(str(tmp_path / "absent.toml"), [])
