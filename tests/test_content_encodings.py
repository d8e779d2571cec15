"""Compressed bodies (gzip, br, deflate, zstd) archived as sent and read back by our tools."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime

import brotli
import pytest

from crawler.capture.content_decoding import MAX_DECODED_PER_BLOCK
from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_reader import iter_html_responses, read_record_at
from crawler.capture.warc_writer import WarcFileWriter
from crawler.store.local import LocalStore
from tests.conftest import run_cli
from tests.warc_tools import responses_for, warc_files

ENCODINGS = ["gzip", "br", "deflate", "zstd"]


@pytest.fixture(scope="module")
def archived(site, tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    urls = [site.url(f"/{enc}/article.html") for enc in ENCODINGS]
    result = run_cli("archive", *urls, "--store", str(store), timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    for url in urls:  # decoded at fetch time too: each one an article
        assert f"archived  200  {url}  'Video: Syrian Army" in result.stdout, result.stdout
    return store


def test_each_encoding_is_archived_as_sent(archived, site):
    for enc in ENCODINGS:
        (resp,) = responses_for(archived, site.url(f"/{enc}/article.html"))
        assert resp["http"].get_header("Content-Encoding") == enc
        assert resp["payload"] == site.sent[f"/{enc}/article.html"]


def test_cdxj_index_lists_every_encoding(archived, site):
    (warc,) = warc_files(archived)
    index = warc.with_name(warc.name + ".cdxj").read_text()
    for enc in ENCODINGS:
        assert f'"url": "{site.url(f"/{enc}/article.html")}"' in index, enc


def test_records_read_back_decoded_by_pointer(archived, site):
    page = site.pages[site.article_paths()[0]]
    for enc in ENCODINGS:
        (resp,) = responses_for(archived, site.url(f"/{enc}/article.html"))
        record = read_record_at(resp["file"], resp["offset"], resp["length"])
        assert record.content_stream().read() == page, enc


def test_crawler_extract_reads_every_encoding(archived, site):
    (warc,) = warc_files(archived)
    result = run_cli("extract", str(warc))
    assert result.returncode == 0, result.stderr[-3000:]
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    by_url = {r["url"]: r for r in records}
    texts = {by_url[site.url(f"/{enc}/article.html")]["text"] for enc in ENCODINGS}
    assert len(texts) == 1 and len(texts.pop().split()) > 100


def test_warcio_check_passes_with_our_decoders(archived):
    files = [str(p) for p in warc_files(archived)]
    check = subprocess.run(
        [sys.executable, "-m", "crawler.capture.warcio_tool", "check", "-v", *files],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "Traceback" not in check.stderr


def test_brotli_bomb_read_back_is_bounded(tmp_path):
    # 1 GiB of zeros is ~1.7 KB of brotli: one 16 KB read must not expand it all in memory
    comp = brotli.Compressor(quality=5)
    zeros = bytes(1 << 20)
    bomb = b"".join(comp.process(zeros) for _ in range(1024)) + comp.finish()
    writer = WarcFileWriter(LocalStore(tmp_path / "store"), prefix="bomb")
    writer.write_exchange(
        HttpExchange(
            url="http://127.0.0.1:9/bomb.html",
            status=200,
            response_headers=[("Content-Type", "text/html"), ("Content-Encoding", "br")],
            body=bomb,
            request_method="GET",
            request_target="/bomb.html",
            request_headers=[],
            fetched_at=datetime(2026, 1, 2, tzinfo=UTC),
        )
    )
    writer.close()
    (warc,) = warc_files(tmp_path / "store")
    started = time.monotonic()
    tracemalloc.start()
    try:
        (doc,) = iter_html_responses(warc, max_bytes=1 << 20)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert doc.truncated and doc.body == bytes((1 << 20) + 1)  # decoded, cut, flagged
    assert peak < 3 * MAX_DECODED_PER_BLOCK, peak
    assert time.monotonic() - started < 30
