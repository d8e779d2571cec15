"""The sibling probe (issue 11, item 4): `crawler archive URL --learn-site N` archives up
to N other articles linked from a page of a site the catalog does not know, as context,
and the requested page ends clean of the blocks they all repeat."""

from __future__ import annotations

import json

import pytest

from crawler.discovery.siblings import MAX_SIBLINGS, sibling_links
from tests.conftest import run_cli
from tests.test_site_templates import APPEALS, TOPICS, _article, _latest


def _with_links(page: bytes, links: list[str]) -> bytes:
    nav = "".join(f"<li><a href='{link}'>{link}</a></li>" for link in links)
    return page.replace(b"<main>", f"<nav><ul>{nav}</ul></nav><main>".encode())


@pytest.fixture(scope="module")
def probe_site():
    from crawler.demo.site import FixtureSite

    paths = [f"/probe/{i}-{topic}.html" for i, topic in enumerate(TOPICS)]
    furniture = ["/", "/about", "/logo.png", "http://localhost:9/elsewhere.html"]
    pages, own = {}, {}
    for i, path in enumerate(paths):
        page, own[path] = _article(i, TOPICS[i])
        pages[path] = _with_links(page, furniture + [p for p in paths if p != path])
    with FixtureSite(extra_pages=pages) as site:
        yield site, paths, own


def _manifest(store) -> dict:
    (path,) = (store / "runs").glob("*.json")
    return json.loads(path.read_text())


def test_learn_site_cleans_the_requested_page_with_its_siblings(probe_site, tmp_path):
    site, paths, own = probe_site
    store = tmp_path / "store"
    url = site.url(paths[0])
    result = run_cli("archive", "--store", str(store), "--learn-site", "2", url)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    manifest = _manifest(store)
    context = [o for o in manifest["outcomes"] if o["context_for"] == url]
    assert sorted(o["url"] for o in context) == [site.url(p) for p in paths[1:3]]
    assert all(o["archived"] and o["article_id"] for o in context)
    (requested,) = [o for o in manifest["outcomes"] if o["url"] == url]
    assert requested["context_for"] is None
    latest = {r["url"]: r for r in _latest(store).values()}
    assert latest[url]["text"].split("\n") == own[paths[0]]  # the appeals are gone
    assert [
        r["text"] for r in latest[url]["boilerplate_removed"] if r["layer"] == "learned"
    ] == APPEALS
    assert requested["word_count"] == latest[url]["word_count"]
    assert "site probe: 2 other articles archived as context" in result.stdout
    assert result.stdout.count("archived  200") == 1  # the summary lists what was asked


def test_without_the_probe_a_lone_page_keeps_the_appeals(probe_site, tmp_path):
    site, paths, _ = probe_site
    store = tmp_path / "store"
    result = run_cli("archive", "--store", str(store), site.url(paths[0]))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(_manifest(store)["outcomes"]) == 1
    (record,) = _latest(store).values()
    assert all(appeal in record["text"] for appeal in APPEALS)


def test_sibling_links_pick_articles_of_the_same_site():
    page = "http://127.0.0.1:8000/news/2024/story-a.html"
    hrefs = [
        "/",
        "/about",
        "story-b.html",
        "/news/2024/story-a.html#comments",
        "http://127.0.0.1:8000/news/2024/story-c.html?ref=nav",
        "/img/x.jpg",
        "http://localhost:8000/news/2024/other-host.html",
        "/news/archive.html",
        "mailto:desk@example.org",
        "/news/2024/story-b.html",
    ]
    assert sibling_links(page, hrefs, 5) == [
        "http://127.0.0.1:8000/news/2024/story-b.html",
        "http://127.0.0.1:8000/news/2024/story-c.html?ref=nav",
        "http://127.0.0.1:8000/news/archive.html",
    ]  # shallower: after the same-shape ones
    assert sibling_links(page, hrefs, 1) == ["http://127.0.0.1:8000/news/2024/story-b.html"]
    many = [f"/news/2024/s{i}.html" for i in range(50)]
    assert len(sibling_links(page, many, 100)) == MAX_SIBLINGS
