"""Credentials are sent where they belong and written nowhere: URL passwords, Authorization,
Cookie (WARC_REDACT_HEADERS)."""

from __future__ import annotations

import base64
import gzip
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from scrapy.settings import Settings

from crawler.capture.exchange import HttpExchange
from crawler.capture.redaction import (
    REDACTED,
    REDACTED_NOTE,
    redact_header_names,
    redact_request_headers,
)
from crawler.capture.warc_writer import WarcFileWriter
from crawler.demo.site import BASIC_AUTH
from crawler.fetch.credentials import redact_url, split_credentials
from crawler.store.local import LocalStore
from tests.conftest import run_cli
from tests.warc_tools import records, warc_files

USER, PASSWORD = BASIC_AUTH
BASIC_VALUE = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def _auth_url(site, password: str, query: str = "") -> str:
    # the password percent-encoded, as RFC 3986 wants its ':' '@' and space
    return site.url("/auth/basic.html" + query).replace(
        "http://", f"http://{USER}:{quote(password, safe='')}@", 1
    )


def _store_text(store: Path, *, warcs: bool = True) -> bytes:
    """Every byte the run left in the store, gzip members decompressed."""
    out = []
    for path in sorted(p for p in store.rglob("*") if p.is_file()):
        if not warcs and ".warc" in path.name:
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        out.append(data)
    return b"\n".join(out)


def _secrets() -> list[bytes]:
    return [
        PASSWORD.encode(),
        quote(PASSWORD, safe="").encode(),
        BASIC_VALUE.encode(),
        BASIC_VALUE.split()[1].encode(),
        b"wrong-pass",
    ]


def _request_for(store: Path, url: str) -> dict:
    (request,) = [r for r in records(store) if r["type"] == "request" and r["uri"] == url]
    return request


@pytest.fixture(scope="module")
def archived(site, tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    result = run_cli(
        "archive",
        _auth_url(site, PASSWORD),
        _auth_url(site, "wrong-pass", "?try=2"),
        "--store",
        str(store),
    )
    return store, result


def test_url_credentials_are_sent_as_basic_auth(archived, site):
    store, result = archived
    assert "archived  200  " + site.url("/auth/basic.html") in result.stdout, result.stdout
    assert "HTTP 401" in result.stdout  # the wrong password: refused by the server
    assert result.returncode == 1


def test_no_password_in_output_manifest_catalog_or_warc(archived, site):
    store, result = archived
    written = (result.stdout + result.stderr).encode() + _store_text(store)
    for secret in _secrets():
        assert secret not in written, secret
    (manifest,) = (store / "runs").glob("*.json")
    given = json.loads(manifest.read_text())["arguments"]["urls"]
    assert given[0] == redact_url(_auth_url(site, PASSWORD))
    assert f"{USER}:***@" in given[0]


def test_authorization_redacted_in_request_record(archived, site):
    store, _ = archived
    request = _request_for(store, site.url("/auth/basic.html"))
    assert request["http"].get_header("Authorization") == REDACTED
    assert request["rec_headers"].get_header(REDACTED_NOTE) == "Authorization"


def test_empty_redact_setting_keeps_authorization_in_warc_only(site, tmp_path):
    result = run_cli(
        "archive", _auth_url(site, PASSWORD), "--store", str(tmp_path), "-s", "WARC_REDACT_HEADERS="
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    request = _request_for(tmp_path, site.url("/auth/basic.html"))
    assert request["http"].get_header("Authorization") == BASIC_VALUE
    assert request["rec_headers"].get_header(REDACTED_NOTE) is None
    written = (result.stdout + result.stderr).encode() + _store_text(tmp_path, warcs=False)
    for secret in _secrets():
        assert secret not in written, secret


def test_cookie_and_authorization_redacted_record_still_valid(tmp_path):
    exchange = HttpExchange(
        url="http://127.0.0.1:9/page.html",
        status=200,
        response_headers=[("Content-Type", "text/html")],
        body=b"<html>hi</html>",
        request_method="GET",
        request_target="/page.html",
        request_headers=[
            ("Host", "127.0.0.1:9"),
            ("Cookie", "session=abc123"),
            ("authorization", "Bearer tok-xyz"),
            ("Cookie", "b=2"),
            ("Accept", "text/html"),
        ],
        fetched_at=datetime(2026, 1, 2, tzinfo=UTC),
    )
    redact_request_headers(exchange, redact_header_names(Settings()))
    writer = WarcFileWriter(LocalStore(tmp_path / "store"), prefix="x")
    writer.write_exchange(exchange)
    writer.close()
    request = _request_for(tmp_path / "store", "http://127.0.0.1:9/page.html")
    assert request["http"].headers == [
        ("Host", "127.0.0.1:9"),
        ("Cookie", REDACTED),
        ("authorization", REDACTED),
        ("Cookie", REDACTED),
        ("Accept", "text/html"),
    ]
    assert request["rec_headers"].get_header(REDACTED_NOTE) == "Cookie, authorization"
    raw = gzip.decompress(warc_files(tmp_path / "store")[0].read_bytes())
    assert b"abc123" not in raw and b"tok-xyz" not in raw
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(warc_files(tmp_path / "store")[0])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0 and "digest pass" in check.stdout, check.stdout


def test_redact_setting_values():
    assert redact_header_names(Settings()) == {"authorization", "proxy-authorization", "cookie"}
    assert redact_header_names(Settings({"WARC_REDACT_HEADERS": ""})) == frozenset()
    assert redact_header_names(Settings({"WARC_REDACT_HEADERS": "Cookie, X-Api-Key"})) == {
        "cookie",
        "x-api-key",
    }


def test_split_and_redact_userinfo():
    url = "http://me:p%40ss:w@127.0.0.1:8/a@b?q=@#x"
    assert split_credentials(url) == ("http://127.0.0.1:8/a@b?q=@#x", ("me", "p@ss:w"))
    assert redact_url(url) == "http://me:***@127.0.0.1:8/a@b?q=@#x"
    assert split_credentials("http://127.0.0.1/a@b") == ("http://127.0.0.1/a@b", None)
    assert redact_url("http://me@127.0.0.1/") == "http://me@127.0.0.1/"
