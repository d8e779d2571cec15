"""`crawler.urls`: one canonical form for ids, dedup and the catalog; one host match."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.export.selection import Selection, select
from crawler.extract.site_rules import SiteRules
from crawler.record import article_id
from crawler.sites.config import load_site_config
from crawler.store.catalog import open_catalog
from crawler.urls import TRACKING_PARAMS, canonical_url, host_in_domains, url_in_domains
from tests.test_discovery import GOOD

STRIP = ["utm_*", "fbclid", "sessionid", "jsessionid"]


@pytest.mark.parametrize(
    "host, expected",
    [
        ("example.com", True),
        ("www.example.com", True),
        ("a.b.example.com", True),
        ("WWW.Example.COM", True),
        ("example.com.", True),
        ("notexample.com", False),
        ("example.com.evil.net", False),
        ("example.co", False),
        ("", False),
        (None, False),
    ],
)
def test_host_or_its_subdomains(host, expected):
    assert host_in_domains(host, ["Example.com."]) is expected


def test_idna_hosts_match_their_unicode_form():
    assert host_in_domains("www.xn--bcher-kva.de", ["bücher.de"])
    assert host_in_domains("BÜCHER.de", ["xn--bcher-kva.de"])
    assert not host_in_domains("xn--bcher-kva.de", ["bucher.de"])


def test_url_match_ignores_port_and_user_info():
    assert url_in_domains("http://user@www.example.com:8080/a", ["example.com"])
    assert not url_in_domains("http://example.com@notexample.com/a", ["example.com"])
    assert not url_in_domains("http://[::1/", ["example.com"])  # unparseable: no match


def _site_config(tmp_path: Path, domains: str):
    path = tmp_path / "s.toml"
    path.write_text(
        GOOD.replace('domains = ["news.example"]', f"domains = {domains}").replace(
            "https://news.example/", "https://www.news.example/"
        )
    )
    return load_site_config(path)


def test_site_config_rules_and_export_share_the_match(tmp_path):
    config = _site_config(tmp_path, '["News.Example"]')
    rules = SiteRules(name="n", domains=config.domains)
    for host, expected in (
        ("www.news.example", True),
        ("NEWS.EXAMPLE.", True),
        ("notnews.example", False),
    ):
        assert config.on_site(f"https://{host}:8443/a") is expected
        assert rules.matches(host) is expected
    catalog = open_catalog(tmp_path / "catalog.sqlite")
    try:
        for n, host in enumerate(("www.news.example", "NEWS.example", "notnews.example")):
            record = {
                "id": f"id{n}",
                "version": 1,
                "crawl_id": "c",
                "url": f"https://{host}/a",
                "site": host,
                "fetched_at": "2026-11-20T00:00:00+00:00",
                "content_sha256": "0",
                "word_count": 1,
            }
            catalog.add_article(record, shard="s1")
        catalog.add_file(
            key="s1", kind="articles", crawl_id="c", size=1, sha256="0", records=3, closed_at="x"
        )
        kept = select(catalog, Selection(site="news.example")).rows
        assert sorted(r["site"] for r in kept) == ["NEWS.example", "www.news.example"]
    finally:
        catalog.close()


def test_canonical_url_drops_default_ports_and_tracking():
    assert (
        canonical_url("http://Example.com:80/a")
        == canonical_url("http://example.com/a")
        == "http://example.com/a"
    )
    assert canonical_url("HTTPS://Example.com:443/a?b=2&a=1#x") == "https://example.com/a?a=1&b=2"
    assert canonical_url("https://example.com:8443/a") == "https://example.com:8443/a"
    assert canonical_url("http://[::1]:80/x") == "http://[::1]/x"
    assert canonical_url("https://user:secret@example.com/a") == "https://user@example.com/a"
    assert (
        canonical_url("https://example.com/a?UTM_Source=x&%75tm_medium=y&id=3&sessionid=9", STRIP)
        == "https://example.com/a?id=3"
    )
    assert (
        canonical_url("https://example.com/a;jsessionid=ABC?b=1", STRIP)
        == "https://example.com/a?b=1"
    )
    # keys that only look alike stay, and repeated keys are kept in full
    assert (
        canonical_url("https://example.com/a?utmost=1&x=1&x=2", STRIP)
        == "https://example.com/a?utmost=1&x=1&x=2"
    )
    assert canonical_url("https://example.com:notaport/a#f") == "https://example.com:notaport/a"


def test_article_id_is_the_hash_of_the_canonical_url():
    # ids of already canonical URLs are what they were before crawler.urls existed
    # (values computed with the earlier record.article_id), so stored records keep theirs
    assert (
        article_id("https://news.example/2026/11/20/a.html") == "20fe55e8f5f3f5aff86ea03e3effb5d9"
    )
    assert (
        article_id("http://127.0.0.1:8080/2026/11/20/story.html?id=3&page=2")
        == "6aa062407dc7b4bc13525867aec28486"
    )
    assert article_id("http://example.com/a") == "5bd48fa66118084cc32779267a31116d"
    # one article, however its URL is written (the old id of the first was be6905d6...)
    assert article_id("http://Example.com:80/a") == article_id("http://example.com/a")
    assert article_id("http://example.com/a?utm_source=feed&fbclid=1#comments") == article_id(
        "http://example.com/a"
    )
    # session-like keys can name the story itself: the id keeps them
    assert "sid" not in TRACKING_PARAMS
    assert article_id("http://example.com/a?sid=1") != article_id("http://example.com/a?sid=2")
