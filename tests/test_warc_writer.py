"""The WARC writer on its own: records, rotation, the .open convention, crash repair."""

from __future__ import annotations

import gzip
import os
import subprocess
from datetime import UTC, datetime

import pytest

from crawler.capture.exchange import HttpExchange
from crawler.capture.warc_reader import read_record_at
from crawler.capture.warc_writer import WarcFileWriter
from crawler.store.local import LocalStore
from crawler.store.recovery import complete_members_length, repair_open_file
from tests.warc_tools import records, warcio_check


def exchange(n: int = 0, body: bytes = b"<html><p>hello</p></html>", **kw) -> HttpExchange:
    fields = dict(
        url=f"http://127.0.0.1:8000/page/{n}?q=1",
        status=200,
        response_headers=[
            ("Content-Type", "text/html; charset=utf-8"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
            # a latin-1 octet must come back as the same octet, not %-encoded
            ("X-Name", "M\xfcller"),
        ],
        body=body,
        request_method="GET",
        request_target=f"/page/{n}?q=1",
        request_headers=[("Host", "127.0.0.1:8000"), ("Accept", "*/*")],
        fetched_at=datetime(2026, 11, 25, 1, 2, 3, 456789, tzinfo=UTC),
        ip_address="127.0.0.1",
    )
    fields.update(kw)
    return HttpExchange(**fields)


def check(paths) -> subprocess.CompletedProcess:
    return warcio_check(paths, verbose=True)


def test_response_then_request_with_exact_bytes(tmp_path):
    store = LocalStore(tmp_path)
    writer = WarcFileWriter(store, prefix="t", warcinfo={"software": "test"})
    ptr = writer.write_exchange(exchange())
    # while open: only a .open file exists
    assert [
        p.name.endswith(".warc.gz.open") for p in (tmp_path / "warc").rglob("*") if p.is_file()
    ] == [True]
    writer.close()
    (path,) = (tmp_path / "warc").rglob("*.warc.gz")
    assert check([path]).returncode == 0
    recs = records(tmp_path)
    assert [r["type"] for r in recs] == ["warcinfo", "response", "request"]
    member = path.read_bytes()[ptr.offset : ptr.offset + ptr.length]
    raw = gzip.decompress(member)  # exactly one gzip member
    assert b"\r\nX-Name: M\xfcller\r\n" in raw
    assert b"HTTP/1.1 200 OK\r\n" in raw
    assert b"WARC-Date: 2026-11-25T01:02:03.456789Z\r\n" in raw
    rec = read_record_at(path, ptr.offset, ptr.length)
    assert rec.rec_headers.get_header("WARC-Record-ID") == ptr.record_id
    assert recs[2]["warc_headers"]["WARC-Concurrent-To"] == ptr.record_id
    assert recs[2]["http"].statusline == "/page/0?q=1 HTTP/1.1"


def test_h2_and_unknown_status(tmp_path):
    writer = WarcFileWriter(LocalStore(tmp_path), prefix="t")
    writer.write_exchange(exchange(status=299, protocol="h2"))
    writer.close()
    (resp,) = [r for r in records(tmp_path) if r["type"] == "response"]
    assert resp["http"].protocol == "HTTP/1.1" and resp["http"].statusline == "299"
    assert resp["warc_headers"]["WARC-Protocol"] == "h2"


def test_rotation_by_size(tmp_path):
    closed = []
    writer = WarcFileWriter(
        LocalStore(tmp_path), prefix="t", max_size=3000, gzip_level=0, on_close=closed.append
    )
    for n in range(10):
        writer.write_exchange(exchange(n, body=os.urandom(1000)))
    writer.close()
    files = sorted((tmp_path / "warc").rglob("*.warc.gz"))
    assert len(files) == len(closed) >= 3
    assert [f.name.split("-")[2] for f in files] == [f"{i:05d}" for i in range(len(files))]
    assert check(files).returncode == 0
    # every file starts with its own warcinfo
    for f in files:
        assert gzip.decompress(f.read_bytes()).count(b"WARC-Type: warcinfo") == 1
    assert sum(c.records for c in closed) == 10 * 2 + len(files)


def test_repair_truncates_torn_tail_and_closes(tmp_path):
    store = LocalStore(tmp_path)
    writer = WarcFileWriter(store, prefix="t")
    pointers = [writer.write_exchange(exchange(n)) for n in range(3)]
    # simulate a crash: no close(); tear the last record in half
    (open_path,) = (tmp_path / "warc").rglob("*.open")
    whole = open_path.stat().st_size
    writer._fh.close()  # the process "dies"; the kernel drops its lock
    with open(open_path, "r+b") as fh:
        fh.truncate(whole - 40)
    # the torn member is the last request record; whole members end with its response
    assert complete_members_length(open_path) == pointers[-1].offset + pointers[-1].length
    fixed = repair_open_file(open_path)
    assert fixed is not None and fixed.dropped_bytes > 0
    assert not open_path.exists() and fixed.path.exists()
    assert check([fixed.path]).returncode == 0
    recs = records(tmp_path)
    # the last request record was torn: everything before it survives
    assert [r["type"] for r in recs] == ["warcinfo"] + ["response", "request"] * 2 + ["response"]


def test_repair_skips_a_file_a_live_writer_holds(tmp_path):
    writer = WarcFileWriter(LocalStore(tmp_path), prefix="t")
    writer.write_exchange(exchange())
    (open_path,) = (tmp_path / "warc").rglob("*.open")
    # another open file description: flock conflicts even inside one process
    assert repair_open_file(open_path) is None
    writer.close()


@pytest.mark.parametrize("level", [1, 2, 6, 9])  # ISA-L and zlib
def test_payload_digest_independent_of_compression(tmp_path, level):
    writer = WarcFileWriter(LocalStore(tmp_path / str(level)), gzip_level=level)
    ptr = writer.write_exchange(exchange(body=b"x" * 5000))
    writer.close()
    # sha1 of 5000 'x' bytes, base32
    import base64
    import hashlib

    expected = "sha1:" + base64.b32encode(hashlib.sha1(b"x" * 5000).digest()).decode()
    assert ptr.payload_digest == expected
    # whichever compressor wrote the member, standard gzip readers read it back
    from warcio.archiveiterator import ArchiveIterator

    with open(tmp_path / str(level) / ptr.filename, "rb") as fh:
        bodies = [
            r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "response"
        ]
    assert bodies == [b"x" * 5000]


def test_warcio_check_runs_without_path_and_catches_a_changed_body(tmp_path, monkeypatch):
    writer = WarcFileWriter(LocalStore(tmp_path / "store"), prefix="t")
    ptr = writer.write_exchange(exchange())
    writer.close()
    (path,) = (tmp_path / "store" / "warc").rglob("*.warc.gz")
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))  # no `warcio` to be found
    assert warcio_check([path]).returncode == 0
    data = path.read_bytes()
    member = gzip.decompress(data[ptr.offset : ptr.offset + ptr.length])
    assert b"<p>hello</p>" in member
    tampered = gzip.compress(member.replace(b"<p>hello</p>", b"<p>jello</p>"))
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(data[: ptr.offset] + tampered + data[ptr.offset + ptr.length :])
    result = warcio_check([bad], verbose=True)
    assert result.returncode == 1 and "digest failed" in result.stdout, result.stdout
