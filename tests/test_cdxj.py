"""A CDXJ index beside every closed WARC file, rotation included, registered with the run."""

from __future__ import annotations

import gzip
import json

from warcio.archiveiterator import ArchiveIterator

from tests.conftest import run_cli
from tests.warc_tools import warc_files


def _index(path) -> list[tuple[str, str, dict]]:
    out = []
    for line in path.read_text().splitlines():
        surt, ts, fields = line.split(" ", 2)
        out.append((surt, ts, json.loads(fields)))
    return out


def test_every_rotated_warc_gets_a_sorted_cdxj_in_the_manifest(site, tmp_path):
    store = tmp_path / "store"
    paths = site.article_paths() + ["/gzip/article.html", "/redirect/1", "/status/404"]
    # A tiny WARC_MAX_SIZE rotates after every exchange: indexing runs on the writer
    # thread and registration must still reach the catalog on the reactor thread.
    result = run_cli(
        "archive",
        *[site.url(p) for p in paths],
        "--store",
        str(store),
        "--warc-max-size",
        "2000",
        "--progress-interval",
        "0",
    )
    assert "failed" in result.stdout
    assert "WARC write" not in result.stdout + result.stderr, result.stdout + result.stderr
    warcs = warc_files(store)
    assert len(warcs) >= 3  # rotated several times (small responses may share a file)
    (manifest,) = [json.loads(p.read_text()) for p in (store / "runs").glob("*.json")]
    files = {f["key"]: f for f in manifest["files"]}
    for warc in warcs:
        key = warc.relative_to(store).as_posix()
        index_path = store / (key + ".cdxj")
        assert files[key + ".cdxj"]["kind"] == "cdxj"
        assert files[key + ".cdxj"]["size"] == index_path.stat().st_size
        entries = _index(index_path)
        assert [(s, t) for s, t, _ in entries] == sorted((s, t) for s, t, _ in entries)
        # one line per response record, each pointing at that record
        with open(warc, "rb") as fh:
            it = ArchiveIterator(fh)
            responses = {}
            for rec in it:
                if rec.rec_type == "response":
                    responses[str(it.get_record_offset())] = rec.rec_headers.get_header(
                        "WARC-Target-URI"
                    )
        assert {e["offset"]: e["url"] for _, _, e in entries} == responses
        assert all(e["filename"] == warc.name for _, _, e in entries)
    indexed = [
        e for w in warcs for _, _, e in _index(store / (w.relative_to(store).as_posix() + ".cdxj"))
    ]
    statuses = {e["status"] for e in indexed}
    assert {"200", "404"} <= statuses and statuses & {"301", "302"}, statuses


def test_a_warc_that_cannot_be_indexed_is_still_registered(tmp_path, caplog):
    from crawler.run import ArchiveRun
    from crawler.store.catalog import open_catalog
    from crawler.store.local import LocalStore

    store = LocalStore(tmp_path)
    key = "warc/2026/01/01/crawl-x.warc.gz"
    torn = gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n" * 100)[:40]
    store.write_atomic(key, torn)  # a cut gzip member: cdxj-indexer cannot read it
    run = ArchiveRun(store, open_catalog(store), "test-run", "test", {})
    run.warc_closed(key, 17, "0" * 64, None)
    assert [(f["kind"], f["key"]) for f in run.files] == [("warc", key)]
    assert not store.path(key + ".cdxj").exists()
    assert f"CDXJ indexing of {key} failed" in caplog.text
    run.catalog.close()
