"""`crawler archive` end to end: the real CLI in a subprocess against the fixture site.

One run covers the good pages and every fault the site can produce; the tests below
read what it left behind with independent tools (warcio, cdxj-indexer, sqlite3, gzip).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
import subprocess
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from crawler.capture.warc_reader import read_record_at
from tests.conftest import ROOT, run_cli
from tests.warc_tools import records, responses_for, warc_files, warcio_check

GOOD = [
    "/gzip/article.html",
    "/chunked/article.html",
    "/redirect/2",
    "/flaky/e2e",
    "/non-html/report.pdf",
    "/non-html/data.json",
    "/charset/wrong.html",
    "/charset/latin1-declared.html",
    "/charset/cp1251-header-only.html",
    "/slow?delay=1",
    "/broken.html",
    "/cookies.html",
    "/query.html?id=7&x=y",
    "/empty.html",
]
BAD = ["/status/404", "/status/500", "/redirect-loop", "/gzip-bomb", "/big?mb=8"]
MAX_SIZE = 4 * 1024 * 1024


@pytest.fixture(scope="module")
def archived(site, tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    urls = [site.url(p) for p in site.article_paths() + GOOD + BAD]
    urls += ["http://", "http://127.0.0.1:1/unreachable.html"]
    result = run_cli(
        "archive",
        *urls,
        "--store",
        str(store),
        "--max-size",
        str(MAX_SIZE),
        "--progress-interval",
        "1",
        timeout=300,
    )
    return {"store": store, "result": result, "urls": urls}


def _articles(store: Path) -> list[dict]:
    out = []
    for shard in sorted((store / "articles").rglob("*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh]
    return out


def _by_url(store: Path) -> dict[str, dict]:
    return {a["url"]: a for a in _articles(store)}


def _summary_line(result, url: str) -> str:
    lines = [ln for ln in result.stdout.splitlines() if ln.split()[-1:] and url in ln.split()]
    assert len(lines) == 1, (url, result.stdout)
    return lines[0]


def test_exit_status_and_summary(archived, site):
    result = archived["result"]
    assert result.returncode == 1, result.stderr[-3000:]
    for path in site.article_paths() + GOOD:
        assert _summary_line(result, site.url(path)).startswith("archived"), path
    for path in BAD:
        assert _summary_line(result, site.url(path)).startswith("FAILED"), path
    assert "progress:" in result.stderr
    assert f"{len(site.article_paths()) + len(GOOD)} archived" in result.stdout


def test_failure_reasons_are_specific(archived, site):
    result = archived["result"]
    assert "HTTP 404 Not Found" in _summary_line(result, site.url("/status/404"))
    assert "HTTP 500" in _summary_line(result, site.url("/status/500"))
    assert "redirect" in _summary_line(result, site.url("/redirect-loop")).lower()
    bomb = _summary_line(result, site.url("/gzip-bomb"))
    assert "DOWNLOAD_MAXSIZE" in bomb and "decompression" in bomb, bomb
    big = _summary_line(result, site.url("/big?mb=8"))
    assert "download aborted" in big and str(MAX_SIZE) in big, big
    assert "malformed URL" in _summary_line(result, "http://")
    assert "connection refused" in _summary_line(result, "http://127.0.0.1:1/unreachable.html")


def test_warcio_check_passes(archived):
    files = warc_files(archived["store"])
    assert files
    check = warcio_check(files, verbose=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout and "fail" not in check.stdout.lower()


def test_cdxj_indexer_indexes_every_response(archived):
    store = archived["store"]
    out = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", *map(str, warc_files(store))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
    n_resp = sum(r["type"] == "response" for r in records(store))
    n_req = sum(r["type"] == "request" for r in records(store))
    # cdxj-indexer lists response records (requests are only post-append targets)
    assert n_resp > 20 and len(lines) == n_resp and n_req == n_resp


def test_file_layout_and_no_open_files(archived):
    store = archived["store"]
    for path in warc_files(store):
        rel = path.relative_to(store).as_posix()
        # warc/YYYY/MM/DD/<prefix>-<timestamp>-<serial>-<host>.warc.gz
        parts = rel.split("/")
        assert parts[0] == "warc" and len(parts) == 5
        name = parts[-1].split("-")
        assert name[0] == "crawl" and len(name[1]) == 17 and name[2] == "00000"
    assert not list(store.rglob("*.open"))
    first = records(store)[0]
    assert first["type"] == "warcinfo"
    info = first["payload"].decode()
    for field in (
        "software:",
        "hostname:",
        "format: WARC File Format 1.1",
        "robots: obey",
        "http-header-user-agent:",
    ):
        assert field in info


def test_gzip_payload_is_bytes_as_sent(archived, site):
    (resp,) = responses_for(archived["store"], site.url("/gzip/article.html"))
    assert resp["http"].get_header("Content-Encoding") == "gzip"
    assert resp["payload"] == site.sent["/gzip/article.html"]
    assert resp["payload"][:2] == b"\x1f\x8b"


def test_chunked_body_stored_dechunked_without_te_header(archived, site):
    (resp,) = responses_for(archived["store"], site.url("/chunked/article.html"))
    assert resp["http"].get_header("Transfer-Encoding") is None
    assert resp["payload"] == site.sent["/chunked/article.html"]
    assert b"<html" in resp["payload"].lower()


def test_status_line_headers_and_digests(archived, site):
    (resp,) = responses_for(archived["store"], site.url("/cookies.html"))
    assert resp["http"].protocol == "HTTP/1.1"
    assert resp["http"].statusline == "200 OK"
    cookies = [v for k, v in resp["http"].headers if k.lower() == "set-cookie"]
    assert [c.split(";")[0] for c in cookies] == ["a=1", "b=2"]
    assert resp["http"].get_header("X-Trace") == "abc"
    headers = resp["rec_headers"]
    assert headers.get_header("WARC-Block-Digest").startswith("sha1:")
    assert headers.get_header("WARC-Payload-Digest").startswith("sha1:")
    assert headers.get_header("WARC-IP-Address") == "127.0.0.1"
    assert headers.protocol == "WARC/1.1"


def test_every_hop_and_attempt_is_recorded(archived, site):
    store = archived["store"]
    hops = [responses_for(store, site.url(f"/redirect/{n}")) for n in (2, 1, 0)]
    assert [h[0]["http"].statusline for h in hops] == ["302 Found"] * 3
    flaky = responses_for(store, site.url("/flaky/e2e"))
    assert [r["http"].get_statuscode() for r in flaky] == ["503", "200"]
    assert len(responses_for(store, site.url("/status/500"))) == 3  # 1 try + 2 retries
    assert responses_for(store, site.url("/status/404"))[0]["http"].statusline == "404 Not Found"
    loop = responses_for(store, site.url("/redirect-loop"))
    assert 5 <= len(loop) <= 11  # bounded by REDIRECT_MAX_TIMES
    # the gzip bomb's raw (compressed) response is archived even though it was refused
    (bomb,) = responses_for(store, site.url("/gzip-bomb"))
    assert bomb["payload"] == site.sent["/gzip-bomb"]


def test_request_records_follow_responses(archived, site):
    recs = records(archived["store"])
    by_id = {r["warc_headers"]["WARC-Record-ID"]: r for r in recs}
    requests = [r for r in recs if r["type"] == "request"]
    assert len(requests) == sum(r["type"] == "response" for r in recs)
    for req in requests:
        resp = by_id[req["warc_headers"]["WARC-Concurrent-To"]]
        assert resp["type"] == "response" and resp["uri"] == req["uri"]
    (query_req,) = [r for r in requests if r["uri"] == site.url("/query.html?id=7&x=y")]
    assert query_req["http"].protocol == "GET"
    assert query_req["http"].statusline == "/query.html?id=7&x=y HTTP/1.1"
    assert query_req["http"].get_header("User-Agent").startswith("news-archive-crawler/")


def test_articles_validate_against_schema(archived):
    schema = json.loads(resources.files("crawler").joinpath("schema/article-3.json").read_text())
    articles = _articles(archived["store"])
    assert articles
    for article in articles:
        jsonschema.validate(article, schema)


def test_seed_article_record(archived, site):
    seed_path = site.article_paths()[0]
    article = _by_url(archived["store"])[site.url(seed_path)]
    assert article["title"] == (
        "Video: Syrian Army Repels Major Attack by Idlib Al Qaeda Affiliated Mercenaries"
    )
    assert article["published"] == "2019-12-03T10:15:00-05:00"
    assert article["canonical_url"] == (
        "https://www.globalresearch.ca/video-syrian-army-repels-major-attack/5696614"
    )
    assert "Last weekend, the province of Idlib once again" in article["text"]
    assert article["word_count"] == len(article["text"].split())
    assert article["content_sha256"] == hashlib.sha256(article["text"].encode()).hexdigest()
    assert article["site"] == "127.0.0.1" and article["http_status"] == 200
    assert article["language"] == "en"


def test_other_articles(archived, site):
    arts = _by_url(archived["store"])
    wrong = arts[site.url("/charset/wrong.html")]["text"]
    assert "café" in wrong or "Zürich" in wrong, wrong[:300]
    assert "Ã" not in wrong  # no mojibake
    # no <meta charset>, only the HTTP header says windows-1251: Cyrillic, not cp1252 soup
    cyrillic = arts[site.url("/charset/cp1251-header-only.html")]["text"]
    assert "жители нижнего города снова убирают воду" in cyrillic, cyrillic[:200]
    assert arts[site.url("/broken.html")]["word_count"] > 50
    # a redirected page: requested URL kept, final URL after the hops
    redirected = arts[site.url("/redirect/2")]
    assert redirected["final_url"] == site.url(site.article_paths()[0])
    assert redirected["id"] == arts[site.url(site.article_paths()[0])]["id"]
    assert all(
        a["language"]
        for a in arts.values()
        if a["url"] in [site.url(p) for p in site.article_paths()]
    )
    langs = {arts[site.url(p)]["language"] for p in site.article_paths()}
    assert "de" in langs
    assert not any(a["url"].endswith((".pdf", ".json")) for a in arts.values())


def test_warc_pointer_reads_back_with_one_seek(archived, site):
    store = archived["store"]
    for article in _articles(store):
        ptr = article["warc"]
        record = read_record_at(store / ptr["filename"], ptr["offset"], ptr["length"])
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Record-ID") == ptr["record_id"]
        assert record.rec_headers.get_header("WARC-Payload-Digest") == ptr["payload_digest"]
        assert record.rec_headers.get_header("WARC-Target-URI") == article["final_url"]


def test_catalog_records_every_capture(archived, site):
    store = archived["store"]
    db = sqlite3.connect(store / "catalog.sqlite")
    captures = db.execute(
        "SELECT record_id, url, status, warc_file, warc_offset, warc_length, "
        "payload_digest FROM captures"
    ).fetchall()
    responses = {
        r["warc_headers"]["WARC-Record-ID"]: r for r in records(store) if r["type"] == "response"
    }
    assert {c[0] for c in captures} == set(responses)
    for rid, url, status, wfile, off, length, digest in captures:
        resp = responses[rid]
        assert resp["uri"] == url and int(resp["http"].get_statuscode()) == status
        assert (store / wfile) == resp["file"] and off == resp["offset"]
        assert length == resp["length"]
        assert digest == resp["warc_headers"]["WARC-Payload-Digest"]
    n_articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert n_articles == len(_articles(store))
    failures = {u for (u,) in db.execute("SELECT url FROM failures")}
    assert site.url("/status/404") in failures and "http://" in failures


def test_run_manifest_lists_files_with_sha256(archived):
    store = archived["store"]
    (manifest_path,) = (store / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    assert manifest["crawl_id"] == manifest_path.stem
    assert manifest["counts"]["requested"] == len(archived["urls"])
    assert manifest["counts"]["failed"] == len(BAD) + 2
    assert manifest["started_at"] < manifest["finished_at"]
    assert manifest["arguments"]["urls"] == archived["urls"]
    listed = {f["key"]: f for f in manifest["files"]}
    on_disk = [p for p in store.rglob("*") if p.name.endswith((".gz", ".cdxj"))]
    assert {p.relative_to(store).as_posix() for p in on_disk} == set(listed)
    assert {f["kind"] for f in manifest["files"]} == {"warc", "cdxj", "articles"}
    for path in on_disk:
        entry = listed[path.relative_to(store).as_posix()]
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["size"] == path.stat().st_size


def test_all_good_run_exits_zero_and_reads_stdin(site, tmp_path):
    urls = "\n".join(site.url(p) for p in site.article_paths()[:2]) + "\n# comment\n\n"
    result = run_cli("archive", "--input", "-", "--store", f"file://{tmp_path}/s", stdin=urls)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("archived  200") == 2
    assert len(_articles(tmp_path / "s")) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "no URLs given"),
        (["--input", "/nonexistent/urls.txt"], "cannot read --input"),
        (["http://x.invalid/", "--store", "s3://B_ucket/p"], "is not an S3 bucket name"),
        (["http://x.invalid/", "--store", "ftp://host/dir"], "unsupported scheme"),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    result = run_cli("archive", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert not (tmp_path / "data").exists()


def test_slow_response_times_out_with_reason(site, tmp_path):
    result = run_cli(
        "archive",
        site.url("/slow?delay=6"),
        "--timeout",
        "1",
        "-s",
        "RETRY_TIMES=0",
        "--store",
        str(tmp_path / "s"),
    )
    assert result.returncode == 1
    assert "timed out" in _summary_line(result, site.url("/slow?delay=6"))


def test_warc_write_failure_fails_the_url(site, tmp_path):
    store = tmp_path / "s"
    store.mkdir()
    (store / "warc").write_text("a file where the WARC folder should be")
    url = site.url(site.article_paths()[0])
    result = run_cli("archive", url, "--store", str(store))
    assert result.returncode == 1
    line = _summary_line(result, url)
    assert line.startswith("FAILED") and "could not write the WARC record" in line
    assert "WARC write errors" in result.stdout
    db = sqlite3.connect(store / "catalog.sqlite")
    assert db.execute("SELECT count(*) FROM captures").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def test_scrapy_crawl_urls_gives_the_same_result(site, tmp_path):
    url = site.url(site.article_paths()[1])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "urls",
            "-a",
            f"urls={url}",
            "-s",
            f"STORE_URI={tmp_path / 's'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"archived  200  {url}" in result.stdout
    (article,) = _articles(tmp_path / "s")
    assert article["url"] == url and article["warc"]["filename"].startswith("warc/")
