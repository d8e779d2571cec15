"""Extraction health per site (issue 11, "Also"): each run's report carries per-site
figures compared with the site's previous runs, and a jump is flagged."""

from __future__ import annotations

import json

from crawler.health import baseline, jumps, site_figures
from tests.conftest import run_cli


def _story(i: int) -> bytes:
    paragraphs = "".join(
        f"<p>Part {j} of story {i}: the ferry company said the new timetable would add "
        f"{j + i} crossings a day, and harbour staff expect {20 + j} more cars each week.</p>"
        for j in range(8)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>Ferry story {i}</title>"
        f"<meta name='author' content='Ana Lopes'>"
        f"<meta property='article:published_time' content='2026-11-0{i + 1}T08:00:00Z'>"
        f"</head><body><article><h1>Ferry story {i}</h1>{paragraphs}</article>"
        "</body></html>"
    ).encode()


def _paywall(i: int) -> bytes:
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>Ferry story {i}</title></head>"
        "<body><article><h1>Subscribers only</h1><p>This story is for subscribers. Log "
        "in or pick a plan to keep reading the harbour news.</p></article>"
        "</body></html>"
    ).encode()


def _report(store) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((store / "runs").glob("*.json"))]


def test_second_crawl_behind_a_paywall_is_flagged(tmp_path):
    from crawler.demo.site import FixtureSite

    paths = [f"/ferry/{i}.html" for i in range(4)]
    with FixtureSite(extra_pages={p: _story(i) for i, p in enumerate(paths)}) as site:
        store = tmp_path / "store"
        urls = [site.url(p) for p in paths]
        first = run_cli("archive", "--store", str(store), "-s", "CRAWL_ID=run-1", *urls)
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
        site.extra_pages.update({p: _paywall(i) for i, p in enumerate(paths)})
        # --refetch: the URLs are archived already (a re-run would skip them)
        second = run_cli(
            "archive", "--store", str(store), "--refetch", "-s", "CRAWL_ID=run-2", *urls
        )
        assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    one = json.loads((store / "runs" / "run-1.json").read_text())["site_health"]
    two = json.loads((store / "runs" / "run-2.json").read_text())["site_health"]
    assert one["flagged"] == [] and one["sites"]["127.0.0.1"]["previous"] is None
    figures = one["sites"]["127.0.0.1"]
    assert figures["articles"] == 4 and figures["author_share"] == 1.0
    assert figures["date_share"] == 1.0 and figures["median_words"] > 150
    assert "site health  127.0.0.1: 4 articles" in first.stdout
    assert two["flagged"] == ["127.0.0.1"]
    flags = two["sites"]["127.0.0.1"]["flags"]
    assert any(f.startswith("median words ") for f in flags)
    assert "author share 100% -> 0%" in flags and "date share 100% -> 0%" in flags
    assert two["sites"]["127.0.0.1"]["previous"]["runs"] == 1
    assert "EXTRACTION CHANGED  127.0.0.1: median words" in second.stdout
    assert "EXTRACTION CHANGED" not in first.stdout


def test_jumps_need_a_baseline_and_enough_articles():
    steady = site_figures([(400, True, True, True, 2400, 100)] * 5)
    assert steady["removed_share"] == round(100 / 2500, 3)
    before = baseline([{**steady, "articles": 5}, {**steady, "articles": 1, "median_words": 10.0}])
    assert before["runs"] == 1 and before["median_words"] == 400.0  # the 1-article run ignored
    assert jumps(steady, before) == []
    assert jumps(steady, None) == []
    short = site_figures([(150, True, True, True, 900, 100)] * 5)
    assert jumps(short, before) == ["median words 400 -> 150"]
    assert jumps({**short, "articles": 2}, before) == []  # too few to tell
    stripped = site_figures([(400, True, True, True, 1200, 1300)] * 5)
    assert jumps(stripped, before) == ["removed text share 4% -> 52%"]
