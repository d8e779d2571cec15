"""`crawler export`: the dataset feed, read back with pandas, DuckDB, `datasets`, pyarrow.

Two crawl runs of a fixture site whose one page changes its text in between: run 1
archives six pages (three of them one article: plain, gzip, redirect), run 2 refetches
an unchanged article and the changed page. Exports then run against that store.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest

from crawler.demo.site import FixtureSite
from crawler.record import load_schema
from tests.conftest import ROOT, run_cli
from tests.warc_tools import warcio_check

CHANGING = "/news/changing.html"


def _page(title: str, body: str) -> bytes:
    paras = "".join(
        f"<p>{body} Paragraph {i} adds the detail that residents asked the "
        "council about at the meeting on Tuesday evening.</p>"
        for i in range(6)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}"
        f"</title></head><body><article><h1>{title}</h1>{paras}</article></body>"
        "</html>"
    ).encode()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("export-store")
    with FixtureSite(
        extra_pages={CHANGING: _page("Bridge to close", "The bridge closes.")}
    ) as site:
        first = [
            site.url(p)
            for p in site.article_paths() + ["/gzip/article.html", "/redirect/1", CHANGING]
        ]
        result = run_cli("archive", *first, "--store", str(root))
        assert result.returncode == 0, result.stdout + result.stderr
        # a consumer's incremental feed, taken between the two runs
        feed = root.parent / "feed-between-runs"
        result = run_cli(
            "export", "--store", str(root), "--to", str(feed), "--incremental", "--all-versions"
        )
        assert result.returncode == 0, result.stdout + result.stderr
        time.sleep(1.1)
        between = datetime.now(UTC).isoformat()
        time.sleep(1.1)
        site.extra_pages[CHANGING] = _page("Bridge to close", "The bridge reopens early.")
        result = run_cli(
            "archive",
            site.url(CHANGING),
            site.url(site.article_paths()[1]),
            "--refetch",  # archived already: without it the run would skip both
            "--store",
            str(root),
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return {"root": root, "between": between, "changing": site.url(CHANGING), "feed": feed}


def _export(store, *args, ok=True):
    result = run_cli("export", "--store", str(store["root"]), *args)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def _batches(dest: Path) -> list[Path]:
    return sorted(p.parent for p in dest.glob("*/manifest.json"))


def _records(batch: Path) -> list[dict]:
    out = []
    for part in sorted(batch.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh]
    return out


def _stored_records(store) -> list[dict]:
    out = []
    for shard in sorted((store["root"] / "articles").rglob("*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh]
    return out


def test_full_export_manifest_and_installed_schema(store, tmp_path):
    dest = tmp_path / "feed"
    _export(store, "--to", str(dest))
    (batch,) = _batches(dest)
    manifest = json.loads((batch / "manifest.json").read_text())
    records = _records(batch)
    assert manifest["record_count"] == len(records) == 5  # 4 articles + the changing page
    assert manifest["schema"]["version"] == 3 and manifest["schema"]["name"] == "article-3.json"
    assert not list(dest.glob(".*staging"))
    for entry in manifest["files"]:
        data = (batch / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert len(data) == entry["size"]
    fetched = sorted(r["fetched_at"] for r in records)
    assert manifest["time_range"] == {"field": "fetched_at", "min": fetched[0], "max": fetched[-1]}
    # the schema as installed with the package validates every exported record
    schema = load_schema()
    for record in records:
        jsonschema.validate(record, schema)
    # latest version of each article only; records are the stored ones, unchanged
    assert len({r["id"] for r in records}) == len(records)
    changing = [r for r in records if r["url"] == store["changing"]]
    assert [r["version"] for r in changing] == [2]
    assert "reopens early" in changing[0]["text"]
    assert changing[0] in _stored_records(store)


def test_all_versions(store, tmp_path):
    _export(store, "--to", str(tmp_path / "all"), "--all-versions")
    records = _records(_batches(tmp_path / "all")[0])
    changing = sorted((r["version"], r["text"]) for r in records if r["url"] == store["changing"])
    assert [v for v, _ in changing] == [1, 2]
    assert "bridge closes" in changing[0][1] and "reopens" in changing[1][1]
    # an unchanged refetch is the same version: exported once, from its first capture
    assert len(records) == 6
    assert len({(r["id"], r["version"]) for r in records}) == 6


def test_incremental_exports_only_what_is_new(store, tmp_path):
    dest = tmp_path / "inc"
    _export(store, "--to", str(dest), "--incremental", "--until", "1d", ok=False)
    _export(store, "--to", str(dest), "--incremental", "--since", "2020-01-01")
    (first,) = _batches(dest)
    assert len(_records(first)) == 5
    again = _export(store, "--to", str(dest), "--incremental", "--since", "2020-01-01")
    assert "nothing new" in again.stdout
    assert _batches(dest) == [first]
    # a different selection cannot continue this destination's watermark
    other = _export(store, "--to", str(dest), "--incremental", "--site", "example.org", ok=False)
    assert other.returncode == 2 and "--site" in other.stderr


def test_incremental_after_a_new_version(store, tmp_path):
    """The feed taken between the runs continues with run 2's new version only."""
    import shutil

    dest = tmp_path / "feed"
    shutil.copytree(store["feed"], dest)  # keep the module's copy for other tests
    (first,) = _batches(dest)
    assert len(_records(first)) == 5
    assert json.loads((first / "manifest.json").read_text())["watermark"]["after_seq"] == 0
    _export(store, "--to", str(dest), "--incremental", "--all-versions")
    (second,) = [b for b in _batches(dest) if b != first]
    manifest = json.loads((second / "manifest.json").read_text())
    # run 2 refetched an unchanged article (same version: not new) and the changed page
    assert [(r["url"], r["version"]) for r in _records(second)] == [(store["changing"], 2)]
    assert (
        manifest["watermark"]["after_seq"]
        == json.loads((first / "manifest.json").read_text())["watermark"]["through_seq"]
    )
    assert manifest["record_count"] == 1


def test_since_until_and_site(store, tmp_path):
    _export(store, "--to", str(tmp_path / "late"), "--since", store["between"], "--all-versions")
    late = _records(_batches(tmp_path / "late")[0])
    assert [(r["url"], r["version"]) for r in late] == [(store["changing"], 2)]
    _export(store, "--to", str(tmp_path / "early"), "--until", store["between"])
    early = _records(_batches(tmp_path / "early")[0])
    assert len(early) == 5
    assert [r["version"] for r in early if r["url"] == store["changing"]] == [1]
    none = _export(store, "--to", str(tmp_path / "none"), "--site", "example.org")
    assert "no records match" in none.stdout and not (tmp_path / "none").exists()
    _export(store, "--to", str(tmp_path / "site"), "--site", "127.0.0.1")
    assert len(_records(_batches(tmp_path / "site")[0])) == 5
    future = _export(store, "--to", str(tmp_path / "future"), "--since", "0m")
    assert "no records match" in future.stdout


@pytest.fixture(scope="module")
def parquet_parts(store, tmp_path_factory):
    dest = tmp_path_factory.mktemp("pq")
    _export(
        store, "--to", str(dest), "--format", "parquet", "--all-versions", "--part-records", "1"
    )
    (batch,) = _batches(dest)
    return batch


def test_parquet_parts_share_the_schema_derived_from_json_schema(parquet_parts):
    import pyarrow.parquet as pq

    from crawler.export.formats import arrow_schema

    parts = sorted(parquet_parts.glob("part-*.parquet"))
    assert len(parts) == 6
    expected = arrow_schema()
    for part in parts:
        assert pq.read_schema(part).remove_metadata().equals(expected.remove_metadata())
    manifest = json.loads((parquet_parts / "manifest.json").read_text())
    assert manifest["record_format"] == "parquet" and manifest["record_count"] == 6


def test_pandas_and_duckdb_read_both_formats(store, parquet_parts, tmp_path):
    import duckdb
    import pandas as pd

    _export(store, "--to", str(tmp_path / "j"), "--all-versions", "--part-records", "2")
    jbatch = _batches(tmp_path / "j")[0]
    expected = {(r["id"], r["version"]): r for r in _records(jbatch)}

    frame = pd.concat([pd.read_json(p, lines=True) for p in sorted(jbatch.glob("*.jsonl.gz"))])
    pframe = pd.concat([pd.read_parquet(p) for p in sorted(parquet_parts.glob("*.parquet"))])
    for df in (frame, pframe):
        assert len(df) == 6
        for row in df.to_dict("records"):
            want = expected[(row["id"], row["version"])]
            assert row["warc"]["offset"] == want["warc"]["offset"]
            assert list(row["authors"]) == want["authors"]
            assert [b["kind"] for b in row["boilerplate_removed"]] == [
                b["kind"] for b in want["boilerplate_removed"]
            ]

    for source in (
        f"read_json_auto('{jbatch}/part-*.jsonl.gz')",
        f"read_parquet('{parquet_parts}/part-*.parquet')",
    ):
        rows = duckdb.sql(
            f"SELECT id, version, warc.offset, warc.filename, len(authors), "
            f"len(boilerplate_removed) FROM {source}"
        ).fetchall()
        assert sorted(rows) == sorted(
            (
                r["id"],
                r["version"],
                r["warc"]["offset"],
                r["warc"]["filename"],
                len(r["authors"]),
                len(r["boilerplate_removed"]),
            )
            for r in expected.values()
        )


def test_datasets_loads_json_and_parquet(store, parquet_parts, tmp_path):
    _export(store, "--to", str(tmp_path / "j"), "--all-versions")
    jbatch = _batches(tmp_path / "j")[0]
    script = f"""
import json, datasets
j = datasets.load_dataset("json", data_files={str(jbatch / "part-00000.jsonl.gz")!r},
                          split="train")
p = datasets.load_dataset("parquet", data_files={str(parquet_parts / "part-*.parquet")!r},
                          split="train")
print(json.dumps([sorted((r["id"], r["version"], r["warc"]["offset"], len(r["authors"]),
                          len(r["boilerplate_removed"])) for r in d) for d in (j, p)]))
"""
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    import os

    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    from_json, from_parquet = json.loads(result.stdout.strip().splitlines()[-1])
    expected = sorted(
        [
            r["id"],
            r["version"],
            r["warc"]["offset"],
            len(r["authors"]),
            len(r["boilerplate_removed"]),
        ]
        for r in _records(jbatch)
    )
    assert from_json == from_parquet == expected


def test_user_errors_are_clear_and_publish_nothing(store, tmp_path):
    cases = [
        (["--to", "s3:///feed"], "names no bucket"),
        (["--to", "s3://bucket/feed", "--s3-endpoint-url", "ftp://x"], "must start with http"),
        (["--to", str(tmp_path / "x"), "--since", "last tuesday"], "is not a date"),
        (["--to", str(tmp_path / "x"), "--incremental", "--until", "2d"], "--until"),
        (["--since", "2d"], "--to DIR"),
        (["--to", str(tmp_path / "x"), "--wacz", str(tmp_path / "x.zip")], ".wacz"),
        (["--wacz", str(tmp_path / "x.wacz"), "--exclude-reserved"], "need(s) --to"),
        (["--wacz", str(tmp_path / "x.wacz"), "--dedup", "mark"], "--dedup need(s) --to"),
    ]
    for args, message in cases:
        result = _export(store, *args, ok=False)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    empty = run_cli("export", "--store", str(tmp_path / "nothing"), "--to", str(tmp_path / "y"))
    assert empty.returncode == 2 and "no catalog" in empty.stderr
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_missing_shard_fails_without_publishing(store, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(store["root"], copy)
    next((copy / "articles").rglob("*.jsonl.gz")).unlink()
    dest = tmp_path / "feed"
    result = run_cli("export", "--store", str(copy), "--to", str(dest))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "not in the store" in result.stderr and "Traceback" not in result.stderr
    assert list(dest.iterdir()) == []  # no batch, no staging folder left behind


def test_records_in_open_shards_wait_for_the_next_export(tmp_path):
    from crawler.export.selection import Selection, select
    from crawler.store.catalog import open_catalog

    catalog = open_catalog(tmp_path / "catalog.sqlite")
    base = {
        "crawl_id": "c",
        "url": "http://a/",
        "fetched_at": "2026-01-01T00:00:00+00:00",
        "content_sha256": "0" * 64,
        "word_count": 1,
        "site": "a",
    }
    for n, shard in enumerate(["s1", "s2", "s1"]):
        catalog.add_article({**base, "id": f"{n:032x}", "version": 1}, shard)
    catalog.add_file(
        key="s1", kind="articles", crawl_id="c", size=1, sha256="0", records=2, closed_at="x"
    )
    picked = select(catalog, Selection())
    # seq 2 sits in s2, still open: it and everything after it wait
    assert [r["seq"] for r in picked.rows] == [1]
    assert (picked.through_seq, picked.pending) == (1, 2)
    catalog.add_file(
        key="s2", kind="articles", crawl_id="c", size=1, sha256="0", records=1, closed_at="x"
    )
    assert [r["seq"] for r in select(catalog, Selection(), after_seq=1).rows] == [2, 3]
    catalog.close()


def test_time_bounds():
    from crawler.timebounds import TimeBoundError, parse_time_bound

    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_time_bound("2d", now=now) == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_time_bound("90m", now=now) == datetime(2026, 11, 25, 10, 30, tzinfo=UTC)
    assert parse_time_bound("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert parse_time_bound("2026-11-20T08:00:00+01:00") == datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
    for bad in ("yesterday", "2d ago", "2026-13-01"):
        with pytest.raises(TimeBoundError):
            parse_time_bound(bad)


def test_schema_ships_in_the_wheel(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = tmp_path.glob("news_archive_crawler-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        shipped = json.loads(zf.read("crawler/schema/article-3.json"))
        names = zf.namelist()
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points = zf.read(entry_points).decode()
    assert shipped == load_schema()
    assert "[scrapy]\nsettings = settings" in entry_points  # what scrapyd looks up
    # `crawler demo`'s site ships; the test fixtures (the newsroom site) do not
    assert "crawler/demo/site.py" in names and "settings/sites/globalresearch.toml" in names
    assert not [n for n in names if "newsroom" in n or n.startswith("tests/")]
    # the block classifier's model is package data too (crawler/extract/classifier.py)
    assert {"crawler/extract/model/blocks.json", "crawler/extract/model/blocks.npz"} <= set(names)


def test_wet_conversion_records_refer_to_the_responses(store, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    from crawler.capture.warc_reader import read_record_at

    _export(store, "--to", str(tmp_path / "wet"), "--wet")
    (batch,) = _batches(tmp_path / "wet")
    manifest = json.loads((batch / "manifest.json").read_text())
    records = {r["warc"]["record_id"]: r for r in _records(batch)}
    (wet_entry,) = [f for f in manifest["files"] if f["kind"] == "wet"]
    wet = batch / wet_entry["name"]
    assert wet_entry["records"] == manifest["record_count"] == len(records)
    check = warcio_check([wet])
    assert check.returncode == 0, check.stdout + check.stderr  # block digests
    with open(wet, "rb") as fh:
        found = [
            (r.rec_type, r.rec_headers, r.content_stream().read()) for r in ArchiveIterator(fh)
        ]
    assert found[0][0] == "warcinfo"
    assert len(found) == len(records) + 1
    for rec_type, headers, text in found[1:]:
        assert rec_type == "conversion"
        assert headers.get_header("Content-Type") == "text/plain; charset=utf-8"
        record = records[headers.get_header("WARC-Refers-To")]
        assert text.decode("utf-8") == record["text"]
        assert headers.get_header("WARC-Target-URI") == record["final_url"]
        # the referred response record is where the article record says it is
        pointer = record["warc"]
        response = read_record_at(
            store["root"] / pointer["filename"], pointer["offset"], pointer["length"]
        )
        assert response.rec_type == "response"
        assert response.rec_headers.get_header("WARC-Record-ID") == headers.get_header(
            "WARC-Refers-To"
        )
        assert response.rec_headers.get_header("WARC-Date") == headers.get_header("WARC-Date")
