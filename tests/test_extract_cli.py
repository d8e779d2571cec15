"""`crawler extract`: HTML and WARC files in, JSON article records out, no network."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_writer import WarcFileWriter
from crawler.store.local import LocalStore
from tests.conftest import run_cli

PAGES = Path(__file__).resolve().parents[1] / "crawler" / "demo" / "pages"


def article_pages() -> list[Path]:
    pages = sorted(p for p in PAGES.glob("*.html") if "index" not in p.name)
    assert len(pages) >= 4
    return pages


def lines(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def test_html_plain_and_gzip(tmp_path):
    page = article_pages()[0]
    gz = tmp_path / (page.name + ".gz")
    gz.write_bytes(gzip.compress(page.read_bytes()))
    result = run_cli("extract", str(page), str(gz), "--url", "https://news.example/x")
    assert result.returncode == 0, result.stderr
    plain, zipped = lines(result)
    assert plain["source"] == {"path": str(page)}
    assert zipped["source"] == {"path": str(gz)}
    assert plain["text"] == zipped["text"] and plain["word_count"] > 100
    assert plain["url"] == "https://news.example/x" and plain["warc"] is None


def _warc_with(tmp_path: Path) -> tuple[Path, list]:
    store = LocalStore(tmp_path / "store")
    writer = WarcFileWriter(store, prefix="x")
    html = article_pages()[1].read_bytes()
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def ex(path, headers, body):
        return HttpExchange(
            url=f"http://127.0.0.1:9/{path}",
            status=200,
            response_headers=headers,
            body=body,
            request_method="GET",
            request_target=f"/{path}",
            request_headers=[],
            fetched_at=now,
        )

    ptrs = [
        writer.write_exchange(ex("a.html", [("Content-Type", "text/html")], html)),
        writer.write_exchange(ex("r.pdf", [("Content-Type", "application/pdf")], b"%PDF-1.4")),
        writer.write_exchange(
            ex(
                "b.html",
                [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                gzip.compress(html),
            )
        ),
    ]
    writer.close()
    (path,) = (tmp_path / "store" / "warc").rglob("*.warc.gz")
    return path, ptrs


def test_warc_input_every_html_response(tmp_path):
    path, ptrs = _warc_with(tmp_path)
    result = run_cli("extract", str(path))
    assert result.returncode == 0, result.stderr
    a, b = lines(result)
    assert a["source"] == {"path": str(path), "offset": ptrs[0].offset}
    assert b["source"] == {"path": str(path), "offset": ptrs[2].offset}
    assert a["warc"]["record_id"] == ptrs[0].record_id
    assert a["warc"]["length"] == ptrs[0].length
    assert a["text"] == b["text"] and a["word_count"] > 100  # gzip body decoded
    assert a["url"] == "http://127.0.0.1:9/a.html" and a["http_status"] == 200
    assert a["fetched_at"].startswith("2026-01-02T03:04:05")


def test_hundreds_of_files_in_one_call(tmp_path):
    sources = article_pages()
    paths = []
    for i in range(300):
        src = sources[i % len(sources)].read_bytes()
        p = tmp_path / f"page{i:03d}.html"
        p.write_bytes(src.replace(b"</body>", f"<!-- copy {i} --></body>".encode()))
        paths.append(str(p))
    result = run_cli("extract", *paths, "--workers", "2", timeout=400)
    assert result.returncode == 0, result.stderr[-2000:]
    records = lines(result)
    assert [r["source"]["path"] for r in records] == paths  # one each, in input order
    assert all(r["word_count"] > 100 for r in records)


def test_oversized_document_fails_alone(tmp_path):
    small = article_pages()[0]
    big = tmp_path / "big.html"
    big.write_bytes(b"<html><body>" + b"<p>word</p>" * 200_000 + b"</body></html>")
    result = run_cli("extract", str(big), str(small), "--max-bytes", "1000000")
    assert result.returncode == 1
    assert f"{big}: document is" in result.stderr and "above the extraction limit" in result.stderr
    (record,) = lines(result)
    assert record["source"]["path"] == str(small)


def test_missing_file_is_usage_error(tmp_path):
    result = run_cli("extract", str(tmp_path / "nope.html"))
    assert result.returncode == 2 and "no such file" in result.stderr
