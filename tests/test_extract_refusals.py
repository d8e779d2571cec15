"""`crawler extract` on input without an article (empty, binary, not HTML, a redirect or
an error response) and on damaged input (a WARC cut short or with changed bytes, a cut
.html.gz): no record for those, a reason on stderr, every readable record still out, and
exit 1 when a file was damaged or nothing at all was extracted. `crawler archive` judges
by the same function (crawler/extract/judgement.py)."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_writer import WarcFileWriter
from crawler.extract.judgement import is_html, no_article_reason
from crawler.store.local import LocalStore
from tests.conftest import run_cli
from tests.test_extract_cli import article_pages

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def records(result) -> list[dict]:
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def _exchange(path: str, status: int, headers: list, body: bytes) -> HttpExchange:
    return HttpExchange(
        url=f"http://127.0.0.1:9/{path}",
        status=status,
        response_headers=headers,
        body=body,
        request_method="GET",
        request_target=f"/{path}",
        request_headers=[],
        fetched_at=WHEN,
    )


def _warc(tmp_path: Path, exchanges: list[HttpExchange]) -> tuple[Path, list]:
    store = LocalStore(tmp_path / "store")
    writer = WarcFileWriter(store, prefix="x")
    pointers = [writer.write_exchange(ex) for ex in exchanges]
    writer.close()
    (path,) = (tmp_path / "store" / "warc").rglob("*.warc.gz")
    return path, pointers


def _article_exchange(name: str) -> HttpExchange:
    html = article_pages()[1].read_bytes()
    return _exchange(name, 200, [("Content-Type", "text/html")], html)


def test_the_judgement_archive_and_extract_share():
    page = b"<!DOCTYPE html><html><body><p>x</p></body></html>"
    assert no_article_reason(200, "text/html", page) is None
    assert no_article_reason(None, None, page) is None
    assert no_article_reason(None, None, b"  \n") == "no article: empty document"
    assert no_article_reason(None, None, b"\x00\x01PK\x03") == (
        "no article: not HTML (no content type)"
    )
    assert "HTTP 302 is a redirect" in no_article_reason(302, "text/html", page)
    assert "HTTP 404 is an error" in no_article_reason(404, "text/html", page)
    assert no_article_reason(200, "text/html", page, {"text": "", "note": None}) == (
        "no article: no main text found"
    )
    assert no_article_reason(200, "text/html", page, {"text": "words"}) is None
    # sniffed like a browser: a fragment starting with <p> is HTML, "<pre" is not "<p"
    assert is_html(None, b"\xef\xbb\xbf <p>Hello</p>") and not is_html(None, b"<presto>")


def test_files_without_an_article_give_no_record(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.html"
    binary.write_bytes(bytes(range(256)) * 4)
    text = tmp_path / "notes.txt"
    text.write_text("just some words, no markup\n")
    alone = run_cli("extract", str(empty), str(binary), str(text))
    assert alone.returncode == 1 and alone.stdout == ""
    assert f"{empty}: no article: empty document" in alone.stderr
    assert f"{binary}: no article: not HTML" in alone.stderr
    assert f"{text}: no article: not HTML" in alone.stderr
    assert "no article extracted" in alone.stderr

    good = article_pages()[0]
    mixed = run_cli("extract", str(empty), str(good), str(binary))
    assert mixed.returncode == 0, mixed.stderr  # something was extracted
    (record,) = records(mixed)
    assert record["source"] == {"path": str(good)}
    assert f"{empty}: no article" in mixed.stderr and f"{binary}: no article" in mixed.stderr


def test_warc_redirects_and_errors_give_no_record(tmp_path):
    page = b"<html><body><p>Moved</p></body></html>"
    redirect = _exchange("r", 302, [("Content-Type", "text/html"), ("Location", "/a")], page)
    missing = _exchange("m", 404, [("Content-Type", "text/html")], page)
    path, ptrs = _warc(tmp_path / "one", [redirect, _article_exchange("a"), missing])
    result = run_cli("extract", str(path))
    assert result.returncode == 0, result.stderr
    (record,) = records(result)
    assert record["url"] == "http://127.0.0.1:9/a"
    # one time format in every record, whatever the source (WARC-Date ends in 'Z')
    assert record["fetched_at"] == "2026-01-02T03:04:05.000000+00:00"
    assert f"{path}@{ptrs[0].offset}: no article: HTTP 302 is a redirect" in result.stderr
    assert f"{path}@{ptrs[2].offset}: no article: HTTP 404 is an error" in result.stderr

    only, _ = _warc(tmp_path / "two", [redirect])
    nothing = run_cli("extract", str(only))
    assert nothing.returncode == 1 and nothing.stdout == ""
    assert "HTTP 302 is a redirect" in nothing.stderr


def test_damaged_files_report_offset_and_keep_what_reads(tmp_path):
    path, ptrs = _warc(tmp_path, [_article_exchange(f"p{i}") for i in range(3)])
    data = path.read_bytes()
    cut = tmp_path / "cut.warc.gz"  # inside the third record
    cut.write_bytes(data[: ptrs[2].offset + ptrs[2].length // 2])
    flipped = tmp_path / "flipped.warc.gz"  # bytes changed inside the second record
    damaged = bytearray(data)
    for i in range(ptrs[1].offset + 100, ptrs[1].offset + 120):
        damaged[i] ^= 0xFF
    flipped.write_bytes(bytes(damaged))
    tail = tmp_path / "tail.warc.gz"  # cut in the last (request) record's gzip trailer
    tail.write_bytes(data[:-3])
    html_gz = tmp_path / "page.html.gz"
    whole = gzip.compress(article_pages()[0].read_bytes())
    html_gz.write_bytes(whole[: len(whole) // 2])

    result = run_cli("extract", str(cut), str(flipped), str(tail), str(html_gz))
    assert result.returncode == 1
    got = [(r["source"]["path"], r["source"]["offset"]) for r in records(result)]
    assert got == [
        (str(cut), ptrs[0].offset),
        (str(cut), ptrs[1].offset),
        (str(flipped), ptrs[0].offset),
        (str(tail), ptrs[0].offset),
        (str(tail), ptrs[1].offset),
        (str(tail), ptrs[2].offset),  # whole: only the request record after it is cut
    ]
    err = result.stderr
    assert f"{cut}: damaged at offset {ptrs[2].offset}: record cut short" in err
    assert f"{flipped}: damaged at offset {ptrs[1].offset}:" in err
    request_offset = ptrs[2].offset + ptrs[2].length  # warcio is silent about this one
    assert f"{tail}: damaged at offset {request_offset}: file cut short" in err
    assert f"{html_gz}: damaged at offset {len(whole) // 2}: gzip:" in err
    assert "Traceback" not in err


def test_a_folder_is_read(tmp_path):
    folder = tmp_path / "pages"
    (folder / "sub").mkdir(parents=True)
    pages = article_pages()[:2]
    (folder / "a.html").write_bytes(pages[0].read_bytes())
    (folder / "sub" / "b.html").write_bytes(pages[1].read_bytes())
    (folder / ".hidden.html").write_bytes(pages[1].read_bytes())
    result = run_cli("extract", f"{folder}/")
    assert result.returncode == 0, result.stderr
    paths = [r["source"]["path"] for r in records(result)]
    assert [Path(p).relative_to(folder).as_posix() for p in paths] == ["a.html", "sub/b.html"]
