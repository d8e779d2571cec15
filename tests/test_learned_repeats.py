"""Learned site repeats: a 30-article site repeating 3 blocks on every article.

The crawl learns them (two at the end of every article: the template rule, after two
articles; one alone in the middle: the frequency rule, after ten) and cleans the articles
stored before then at its end, so all 30 records are clean with no article text lost.
`crawler reextract` afterwards writes new versions only where the text changes.
"""

from __future__ import annotations

import gzip
import json
import random

import pytest

from tests.conftest import run_cli

REPEATED = [
    "Our coverage of the valley is made possible by readers who back local reporting "
    "with their time, tips and trust every week.",
    "The Valley Gazette is published by Valley Media Group from its newsroom on Main "
    "Street in Riverton, where it has been printed since 1921.",
    "Corrections and clarifications appear on a dedicated page that the standards editor "
    "reviews each weekday morning before nine.",
]
TOPICS = [
    "harbour",
    "school",
    "bridge",
    "library",
    "market",
    "railway",
    "clinic",
    "park",
    "museum",
    "stadium",
]


PHASES = ["first", "next", "last"]
SEASONS = ["spring", "summer", "autumn"]


def _site_pages() -> tuple[dict[str, bytes], dict[str, list[str]]]:
    rnd = random.Random(7)
    pages, own = {}, {}
    for i in range(30):
        topic = TOPICS[i % len(TOPICS)]
        paragraphs = [
            f"Story {i}: the council voted {rnd.randint(5, 9)} to {rnd.randint(0, 4)} on the "
            f"{topic} plan, closing a debate that had run for {rnd.randint(2, 11)} months.",
        ] + [
            f"Residents near the {topic} in district {i}-{j} said the decision came after "
            f"{rnd.randint(2, 30)} public meetings, and that the {rnd.choice(PHASES)} phase "
            f"would start in {rnd.choice(SEASONS)} if funds arrive."
            for j in range(5)
        ]
        body = (
            "".join(f"<p>{p}</p>" for p in paragraphs[:2])
            + f"<p>{REPEATED[0]}</p>"
            + "".join(f"<p>{p}</p>" for p in paragraphs[2:])
            + f"<p>{REPEATED[1]}</p><p>{REPEATED[2]}</p>"
        )
        path = f"/valley/{i:02d}-{topic}.html"
        pages[path] = (
            f"<!DOCTYPE html><html lang='en'><head><title>Council decides on the {topic} | "
            f"Valley Gazette</title></head><body><header><nav><a href='/'>Home</a></nav></header>"
            f"<main><article><h1>Council decides on the {topic}</h1>{body}</article></main>"
            f"<footer>Valley Gazette</footer></body></html>"
        ).encode()
        # trafilatura keeps the <h1> as the first line; the generic rules drop such a title
        # line only on a page that shows boilerplate of their own kinds, which these do not
        own[path] = [f"Council decides on the {topic}"] + paragraphs
    return pages, own


def _latest(store) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for shard in sorted((store / "articles").rglob("*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec["id"] not in latest or rec["version"] >= latest[rec["id"]]["version"]:
                    latest[rec["id"]] = rec
    return latest


@pytest.fixture(scope="module")
def valley_site():
    from crawler.demo.site import FixtureSite

    pages, own = _site_pages()
    with FixtureSite(extra_pages=pages) as site:
        yield site, own


def test_repeats_learned_and_early_records_recleaned_then_reextract(valley_site, tmp_path):
    site, own = valley_site
    store = tmp_path / "store"
    urls = "\n".join(site.url(p) for p in own)
    crawl = run_cli(
        "archive", "--input", "-", "--store", str(store), "--concurrency", "4", stdin=urls
    )
    assert crawl.returncode == 0, crawl.stdout[-2000:] + crawl.stderr[-2000:]
    after_crawl = _latest(store)
    assert len(after_crawl) == 30
    by_url = {r["url"]: r for r in after_crawl.values()}
    for path, paragraphs in own.items():
        record = by_url[site.url(path)]
        assert record["text"].split("\n") == paragraphs  # every own paragraph, nothing else
        learned = [r["text"] for r in record["boilerplate_removed"] if r["layer"] == "learned"]
        assert learned == REPEATED
    # REPEATED[0] sits alone among each article's own lines: only the frequency rule (10
    # articles) takes it, so the articles stored before then were cleaned at the run's end
    recleaned = [r for r in after_crawl.values() if r["version"] == 2]
    assert 1 <= len(recleaned) <= 10
    assert all(r["version"] <= 2 for r in after_crawl.values())

    # nothing changed since: no new versions
    result = run_cli("reextract", "--store", str(store))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "30 captures, 0 new article versions, 30 unchanged" in result.stdout

    # a rule change that touches 3 of the 30 (the harbour articles): 3 new versions
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "valley.toml").write_text(
        '[site]\nname = "valley"\ndomains = ["127.0.0.1"]\n\n'
        "[boilerplate]\ndrop = ['^Residents near the harbour in district 0-4']\n"
    )
    result = run_cli("reextract", "--store", str(store), "-s", f"SITES_DIRS={sites}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "30 captures, 1 new article versions, 29 unchanged" in result.stdout
    final = _latest(store)
    changed = [r for r in final.values() if r["version"] != after_crawl[r["id"]]["version"]]
    assert [r["url"] for r in changed] == [site.url("/valley/00-harbour.html")]
    assert final[changed[0]["id"]]["version"] == after_crawl[changed[0]["id"]]["version"] + 1
    assert "district 0-4" not in changed[0]["text"]


def test_reextract_without_store_is_usage_error(tmp_path):
    result = run_cli("reextract", "--store", str(tmp_path / "empty"))
    assert result.returncode == 2 and "nothing has been archived there" in result.stderr


def test_catalog_paragraph_totals_count_distinct_articles_and_backfill(tmp_path):
    import sqlite3

    from crawler.store.catalog import open_catalog

    catalog = open_catalog(tmp_path / "catalog.sqlite")
    catalog.note_paragraphs("a.example", "art-1", ["k1", "k2", "k2"])
    catalog.note_paragraphs("a.example", "art-1", ["k1"])  # a refetch: no double count
    catalog.note_paragraphs("a.example", "art-2", ["k1", "k3"])
    catalog.note_paragraphs("b.example", "art-9", ["k1"])
    assert catalog.paragraph_counts("a.example", ["k1", "k2", "k3", "k4"]) == {
        "k1": 2,
        "k2": 1,
        "k3": 1,
    }
    assert catalog.site_article_count("a.example") == 2
    assert catalog.site_article_count("c.example") == 0
    catalog.close()
    # A catalog from before the totals existed (its paragraphs table was the membership
    # table, one row per paragraph and article): counts are backfilled on open.
    db = sqlite3.connect(tmp_path / "catalog.sqlite")
    db.executescript(
        "DELETE FROM paragraph_totals; DELETE FROM site_totals; "
        "DROP TRIGGER IF EXISTS paragraphs_total; "
        "PRAGMA user_version = 0;"
    )  # such a catalog had no schema version
    db.executemany(
        "INSERT INTO paragraphs VALUES (?,?,?)",
        [
            ("a.example", "k1", "art-1"),
            ("a.example", "k2", "art-1"),
            ("a.example", "k1", "art-2"),
            ("a.example", "k3", "art-2"),
            ("b.example", "k1", "art-9"),
        ],
    )
    db.commit()
    db.close()
    reopened = open_catalog(tmp_path / "catalog.sqlite")
    assert reopened.paragraph_counts("a.example", ["k1", "k2"]) == {"k1": 2, "k2": 1}
    assert reopened.site_article_count("b.example") == 1
    reopened.close()
