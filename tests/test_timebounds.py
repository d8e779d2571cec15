"""`--since`, `--until`, a site's `window`: one parser, the same meaning in every command.

The per-command tests archive two pages of the fixture site, then move one of them 20
hours into the past in the catalog (capture and article rows alike), so that an age such
as `12h` has exactly one capture on each side of it.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from crawler.demo.site import FixtureSite
from crawler.sites.config import load_site_config
from crawler.timebounds import TimeBoundError, parse_duration, parse_time_bound
from tests.conftest import run_cli
from tests.test_discovery import GOOD

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_durations_and_ages_read_the_same_everywhere():
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("12h") == parse_duration("12H") == timedelta(hours=12)
    assert parse_duration("2d") == timedelta(days=2)
    assert parse_duration("1w") == timedelta(weeks=1)
    assert parse_duration("1.5h") == timedelta(minutes=90)
    # an age is that duration before now, never "12:00 today"
    assert parse_time_bound("12h", now=NOW) == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    assert parse_time_bound("2d", now=NOW) == NOW - parse_duration("2d")
    assert parse_time_bound("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_time_bound("2026-11-20T08:00:00") == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert parse_time_bound("2026-11-20T08:00:00+01:00") == datetime(2026, 11, 20, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "12",
        "12 hours",
        "two days",
        "2d ago",
        "1M3",
        "-2d",
        "2026-13-01",
        "yesterday",
        "Nov 20 2026",
    ],
)
def test_bad_time_bounds_name_the_flag_and_the_forms(bad):
    with pytest.raises(TimeBoundError) as caught:
        parse_time_bound(bad, flag="--until")
    message = str(caught.value)
    assert message.startswith(f"--until {bad!r} is not")
    assert "ISO date (2026-11-20)" in message and "12h, 2d" in message


def test_bad_durations_name_the_key_and_the_forms():
    for bad in ("2026-11-20", "a week", "7", None):
        with pytest.raises(TimeBoundError, match=r"^window .* is not a duration: use a num"):
            parse_duration(bad, flag="window")


def test_site_window_and_recrawl_after_use_the_same_durations(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        GOOD.replace("[discovery]", '[discovery]\nwindow = "2d"')
        + '[recrawl]\npolicy = "after"\nafter = "12h"\n'
    )
    config = load_site_config(path)
    assert config.window == parse_duration("2d") == timedelta(days=2)
    assert config.recrawl_after == timedelta(hours=12)
    assert NOW - config.window == parse_time_bound("2d", now=NOW)


# -- the commands ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Two archived pages: `recent` fetched now, `old` moved to 20 hours ago."""
    root = tmp_path_factory.mktemp("timebounds-store")
    with FixtureSite() as site:
        recent, old = (site.url(p) for p in site.article_paths()[:2])
        result = run_cli("archive", recent, old, "--store", str(root))
        assert result.returncode == 0, result.stdout + result.stderr
    then = (datetime.now(UTC) - timedelta(hours=20)).isoformat(timespec="microseconds")
    with sqlite3.connect(root / "catalog.sqlite") as db:
        moved = db.execute("UPDATE captures SET fetched_at = ? WHERE url = ?", (then, old))
        assert moved.rowcount == 1
        moved = db.execute("UPDATE articles SET fetched_at = ? WHERE url = ?", (then, old))
        assert moved.rowcount == 1
    # ...and in the article shard, where export finds the record by (id, fetched_at...)
    moved = 0
    for shard in (root / "articles").rglob("*.jsonl.gz"):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            records = [json.loads(line) for line in fh]
        for record in records:
            if record["url"] == old:
                record["fetched_at"], moved = then, moved + 1
        with gzip.open(shard, "wt", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in records)
    assert moved == 1
    return {"root": root, "recent": recent, "old": old}


def _reextract_count(store, since: str) -> int:
    result = run_cli("reextract", "--store", str(store["root"]), "--since", since)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("reextract:"))
    return int(line.split()[1])  # "reextract: N captures, ..."


def _exported_urls(store, dest, since: str) -> list[str]:
    result = run_cli("export", "--store", str(store["root"]), "--to", str(dest), "--since", since)
    assert result.returncode == 0, result.stdout + result.stderr
    urls = []
    for part in sorted(dest.glob("*/part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as fh:
            urls += [json.loads(line)["url"] for line in fh]
    return urls


def test_reextract_and_export_read_12h_as_the_same_instant(store, tmp_path):
    # 12h ago lies between the two captures: each command keeps the recent page only
    assert _exported_urls(store, tmp_path / "e12", "12h") == [store["recent"]]
    assert _reextract_count(store, "12h") == 1
    # 2d ago lies before both: both commands accept it and keep both
    assert sorted(_exported_urls(store, tmp_path / "e2d", "2d")) == sorted(
        [store["recent"], store["old"]]
    )
    assert _reextract_count(store, "2d") == 2


def test_reextract_and_export_refuse_the_same_bad_input(store, tmp_path):
    for command, extra in (("reextract", []), ("export", ["--to", str(tmp_path / "x")])):
        result = run_cli(command, "--store", str(store["root"]), *extra, "--since", "12 hours")
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert "--since '12 hours' is not a date, a time or an age" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()


def test_crawl_since_refuses_what_is_no_duration(tmp_path):
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "ok.toml").write_text(GOOD)
    result = run_cli(
        "crawl",
        "ok",
        "--sites-dir",
        str(sites),
        "--store",
        str(tmp_path / "s"),
        "--since",
        "a week",
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "--since 'a week' is not a duration: use a number and a unit" in result.stderr
