"""Few-page site template learning (issue 11, item 4): blocks at the same place in 2-3
articles of a site are its template; articles stored before that was learned are cleaned
again at the end of the run, so a 5-article crawl ends with 5 clean records."""

from __future__ import annotations

import gzip
import json

import pytest

from crawler.extract.repeats import LearnedRepeats
from crawler.extract.trafilatura_extractor import extract_html
from crawler.store.catalog import open_catalog
from tests.conftest import run_cli

# Worded so that the phrase rules (crawler/extract/boilerplate.py) do not catch them: the
# test checks that first, so it keeps testing the learning if the rules grow.
APPEALS = [
    "Stories like this one exist because people in the hills chip in whatever they can "
    "spare, and every bit of it goes to the reporters.",
    "The Hill Courier is owned by nobody but its readers and answers to nobody else; that "
    "is how it has been since the first issue.",
    "Seen something the courier should look into? The night desk reads every note that "
    "comes in before the morning meeting.",
]
TOPICS = ["orchard", "quarry", "ferry", "dairy", "sawmill"]


def _article(i: int, topic: str, quote: str = "") -> tuple[bytes, list[str]]:
    own = [
        f"The {topic} at the edge of town {i} will close in {3 + i} weeks, the owners "
        f"told {10 + i} workers on a short call on a grey Monday morning."
    ]
    own += [
        f"Workers at the {topic} said part {j} of the plan for site {i} had surprised "
        f"them, since orders had risen by {5 * j + i} percent this year alone."
        for j in range(1, 5)
    ]
    if quote:
        own.insert(2 + i % 2, quote)
    body = "".join(f"<p>{p}</p>" for p in own)
    appeals = "".join(f"<p>{a}</p>" for a in APPEALS)
    title = f"The {topic} closes"
    page = (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body>"
        f"<main><article><h1>{title}</h1><div class='story'>{body}</div>"
        f"<div class='support-box'>{appeals}</div></article></main></body></html>"
    )
    return page.encode(), [title, *own]


QUOTE = (
    "\u201cWe will not let this valley become a museum of closed gates,\u201d the mayor "
    "said, a line she has repeated at every meeting since spring."
)


def _latest(store) -> dict[str, dict]:
    latest: dict[str, dict] = {}
    for shard in sorted((store / "articles").rglob("*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec["id"] not in latest or rec["version"] >= latest[rec["id"]]["version"]:
                    latest[rec["id"]] = rec
    return latest


def test_phrase_rules_alone_keep_the_appeals():
    page, _ = _article(0, "orchard")
    text = extract_html(page, "http://127.0.0.1/hills/0.html").text
    assert all(appeal in text for appeal in APPEALS)


@pytest.fixture(scope="module")
def hills_site():
    from crawler.demo.site import FixtureSite

    pages, own = {}, {}
    for i, topic in enumerate(TOPICS):
        path = f"/hills/{i}-{topic}.html"
        pages[path], own[path] = _article(i, topic)
    with FixtureSite(extra_pages=pages) as site:
        yield site, own


def test_five_article_crawl_ends_with_five_clean_records(hills_site, tmp_path):
    site, own = hills_site
    store = tmp_path / "store"
    crawl = run_cli(
        "archive", "--store", str(store), "--concurrency", "1", *[site.url(p) for p in own]
    )
    assert crawl.returncode == 0, crawl.stdout[-2000:] + crawl.stderr[-2000:]
    latest = {r["url"]: r for r in _latest(store).values()}
    assert len(latest) == 5
    for path, paragraphs in own.items():
        record = latest[site.url(path)]
        assert record["text"].split("\n") == paragraphs  # every own line, no appeal
        learned = [r for r in record["boilerplate_removed"] if r["layer"] == "learned"]
        assert [r["text"] for r in learned] == APPEALS
    # the first article was stored before there was anything to learn from: it got a
    # second version at the run's end, saying why
    recleaned = [r for r in latest.values() if r["version"] == 2]
    assert recleaned
    for record in recleaned:
        assert all(
            "re-cleaned at the end of the run" in r["reason"]
            for r in record["boilerplate_removed"]
            if r["layer"] == "learned"
        )
    manifest = json.loads(next((store / "runs").glob("*.json")).read_text())
    assert manifest["counts"]["articles_recleaned"] == len(recleaned)
    # the outcome shows the clean length
    for outcome in manifest["outcomes"]:
        assert outcome["word_count"] == latest[outcome["url"]]["word_count"]


def _extract(page: bytes, url: str) -> dict:
    return extract_html(page, url).to_dict()


def test_a_quote_two_articles_share_is_not_a_template(tmp_path):
    catalog = open_catalog(tmp_path / "catalog.sqlite")
    repeats = LearnedRepeats(catalog)
    results = []
    for i, topic in enumerate(TOPICS[:3]):
        page, own = _article(i, topic, quote=QUOTE if i < 2 else "")
        extraction = _extract(page, f"http://127.0.0.1/hills/{i}.html")
        repeats.apply_to_extraction(extraction, "127.0.0.1", f"article-{i}")
        results.append((extraction, own))
    for i, (extraction, own) in enumerate(results):
        if i == 0:
            continue  # nothing to learn from yet
        # the appeals went (same place, 2-3 articles); the quote stayed in article 1,
        # though its text is in two articles at the same DOM path: not among the same lines
        assert extraction["text"].split("\n") == own
    catalog.close()


def test_counts_are_batched_in_memory_then_written_once(tmp_path):
    catalog = open_catalog(tmp_path / "catalog.sqlite")
    repeats = LearnedRepeats(catalog, batch=3)
    for i in range(2):
        repeats.learn_and_apply("a.example", f"art-{i}", ["shared line", f"own line {i}"])
    # visible to the learning, not yet in the catalog
    assert repeats.stats.site_article_count("a.example") == 2
    assert catalog.site_article_count("a.example") == 0
    repeats.learn_and_apply("a.example", "art-0", ["shared line", "a changed line"])  # refetch
    repeats.learn_and_apply("a.example", "art-2", ["shared line", "own line 2"])  # 3rd: flush
    assert catalog.site_article_count("a.example") == 3
    from crawler.extract.repeats import paragraph_key

    key = paragraph_key("shared line")
    assert catalog.paragraph_counts("a.example", [key]) == {key: 3}
    assert catalog.has_site_article("a.example", "art-0")
    repeats.learn_and_apply("a.example", "art-1", ["shared line"])  # known: adds nothing
    repeats.flush()
    assert catalog.paragraph_counts("a.example", [key]) == {key: 3}
    catalog.close()


def test_two_urls_of_one_story_are_not_a_template(tmp_path):
    catalog = open_catalog(tmp_path / "catalog.sqlite")
    repeats = LearnedRepeats(catalog)
    page, own = _article(3, "dairy")
    first = _extract(page, "http://127.0.0.1/hills/dairy.html")
    repeats.apply_to_extraction(first, "127.0.0.1", "article-a")
    again = _extract(
        page.replace(b"<h1>The dairy closes", b"<h1>Print: the dairy closes"),
        "http://127.0.0.1/print/dairy.html",
    )
    repeats.apply_to_extraction(again, "127.0.0.1", "article-b")
    # every line repeats in place, which is most of the text: a copy, not a template
    assert again["text"].split("\n") == ["Print: the dairy closes", *own[1:], *APPEALS]
    assert again["boilerplate_removed"] == []
    catalog.close()


def test_paths_come_from_the_element_the_classifier_reads():
    """One paragraph-to-element mapping (blocks.element_index) for the classifier's DOM
    context and the templates' paths: the first line of a <p> split by <br> gets the path
    of that <p> (the paths' own mapping matched whole element texts only and left it "")."""
    from trafilatura.utils import load_html

    from crawler.extract.blocks import element_index, element_of

    own, lines = _article(1, "orchard")
    note = (
        "The orchard's owners said the land would be offered first to the families who "
        "have leased its lower terraces."
    )
    after = "A second line of the note said the families had until June to answer."
    html = own.decode("utf-8").replace(
        "</div><div class='support-box'>",
        f"<p class='note'>{note}<br>{after}</p></div><div class='support-box'>",
    )
    got = extract_html(html, "http://127.0.0.1/hills/1")
    by_line = dict(zip(got.text.split("\n"), got.paragraph_paths, strict=True))
    assert by_line[note] == "main>article>div.story>p.note"
    assert element_of(element_index(load_html(html)), note).get("class") == "note"
    assert all(by_line[line].endswith("div.story>p") for line in lines[1:])
