"""Other tools open what we archive: pywb replays our WARCs (indexed by pywb, by our own
CDXJ files, and unpacked from our WACZ), and py-wacz validates the WACZ.

pywb pins old versions of shared libraries (redis 2, cryptography), so it lives in its
own virtualenv, made by .ci/run (PYWB_VENV, default ~/.cache/news-archive-crawler/
pywb-venv); it runs as a subprocess on a free 127.0.0.1 port and is killed in teardown.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from crawler.demo.site import FixtureSite
from tests.conftest import run_cli
from tests.warc_tools import warc_files

PYWB_VENV = Path(
    os.environ.get("PYWB_VENV", Path.home() / ".cache" / "news-archive-crawler" / "pywb-venv")
)
PATHS = [
    "/2024/03/12/council-budget-schools.html",
    "/gzip/article.html",
    "/chunked/article.html",
    "/redirect/1",
]


def _pywb_bin(name: str) -> Path:
    path = PYWB_VENV / "bin" / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"pywb is not installed at {PYWB_VENV}; .ci/run installs it")
        pytest.skip(f"pywb not installed at {PYWB_VENV} (bash .ci/run installs it)")
    return path


@pytest.fixture(scope="module")
def archived(tmp_path_factory):
    root = tmp_path_factory.mktemp("replay")
    with FixtureSite() as site:
        urls = [site.url(p) for p in PATHS]
        result = run_cli(
            "archive", *urls, "--store", str(root / "store"), "--wacz", str(root / "run.wacz")
        )
        assert result.returncode == 0, result.stdout + result.stderr
        sent = {p: site.sent[p] for p in PATHS + ["/redirect/0"]}
        return {
            "root": root,
            "store": root / "store",
            "urls": dict(zip(PATHS, urls, strict=True)),
            "sent": sent,
            "base": site.base_url,
            "wacz": root / "run.wacz",
        }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def pywb(archived):
    """A pywb with three collections of the same crawl, serving on loopback."""
    manager = _pywb_bin("wb-manager")
    work = archived["root"] / "pywb"
    work.mkdir()
    warcs = warc_files(archived["store"])

    def wb(*args):
        out = subprocess.run(
            [str(manager), *args], cwd=work, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stdout + out.stderr

    # "pywb": pywb indexes the WARCs itself
    wb("init", "pywb")
    wb("add", "pywb", *map(str, warcs))
    # "ours": the WARCs with the CDXJ files the crawler wrote beside them
    wb("init", "ours")
    lines = []
    for warc in warcs:
        shutil.copy(warc, work / "collections" / "ours" / "archive" / warc.name)
        lines += Path(str(warc) + ".cdxj").read_text().splitlines()
    (work / "collections" / "ours" / "indexes" / "index.cdxj").write_text(
        "\n".join(sorted(lines)) + "\n"
    )
    # "wacz": the WACZ `crawler archive --wacz` wrote, unpacked by pywb
    wb("init", "wacz")
    wb("add", "--unpack-wacz", "wacz", str(archived["wacz"]))

    port = _free_port()
    proc = subprocess.Popen(
        [str(_pywb_bin("wayback")), "-p", str(port), "-b", "127.0.0.1"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "wayback exited at start"
            try:
                urllib.request.urlopen(base + "/", timeout=2).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert time.monotonic() < deadline, "wayback did not start within 60 s"
                time.sleep(0.3)
        yield base
    finally:
        proc.kill()
        proc.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str):
    """(status, headers, body) with no redirect following and no content decoding."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    try:
        with opener.open(request, timeout=30) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


@pytest.mark.parametrize("collection", ["pywb", "ours", "wacz"])
def test_pywb_replays_the_bytes_the_site_sent(pywb, archived, collection):
    for path in [
        "/2024/03/12/council-budget-schools.html",
        "/gzip/article.html",
        "/chunked/article.html",
    ]:
        # id_ mode: the archived payload as served, no rewriting
        status, headers, body = _get(f"{pywb}/{collection}/id_/{archived['urls'][path]}")
        assert status == 200, (collection, path, status)
        assert body == archived["sent"][path], (collection, path)
        if path.startswith("/gzip/"):
            assert headers.get("Content-Encoding") == "gzip"
            assert body[:2] == b"\x1f\x8b"
    # the redirect chain replays as redirects
    status, headers, _ = _get(f"{pywb}/{collection}/id_/{archived['urls']['/redirect/1']}")
    assert status in (301, 302), status
    assert headers.get("Location", "").endswith("/redirect/0")
    # and the rewriting mode a person browses with serves the article too
    status, _, body = _get(
        f"{pywb}/{collection}/mp_/{archived['urls']['/2024/03/12/council-budget-schools.html']}"
    )
    assert status == 200 and b"Council shifts road money" in body


def test_wacz_validates_and_lists_the_archived_pages(archived):
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(archived["wacz"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0 and "is valid" in check.stdout, check.stdout + check.stderr
    with zipfile.ZipFile(archived["wacz"]) as zf:
        names = set(zf.namelist())
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()]
        package = json.loads(zf.read("datapackage.json"))
    assert {"datapackage.json", "datapackage-digest.json", "pages/pages.jsonl"} <= names
    warcs = warc_files(archived["store"])
    assert {f"archive/{w.name}" for w in warcs} <= names
    assert pages[0]["format"] == "json-pages-1.0"
    assert sorted(p["url"] for p in pages[1:]) == sorted(archived["urls"].values())
    titled = {p["url"]: p["title"] for p in pages[1:]}
    assert (
        titled[archived["urls"]["/2024/03/12/council-budget-schools.html"]]
        == "Council shifts road money to school repairs"
    )
    assert all(r["hash"].startswith("sha256:") for r in package["resources"])


def test_export_wacz_holds_the_warcs_of_the_exported_articles(archived, tmp_path):
    out = tmp_path / "feed.wacz"
    result = run_cli(
        "export",
        "--store",
        str(archived["store"]),
        "--to",
        str(tmp_path / "feed"),
        "--wacz",
        str(out),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    check = subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    (batch,) = [p.parent for p in (tmp_path / "feed").glob("*/manifest.json")]
    with gzip.open(batch / "part-00000.jsonl.gz", "rt") as fh:
        records = [json.loads(line) for line in fh]
    with zipfile.ZipFile(out) as zf:
        pages = [json.loads(line) for line in zf.read("pages/pages.jsonl").splitlines()][1:]
        archived_warcs = {n for n in zf.namelist() if n.startswith("archive/")}
    # one page per exported article, at the URL and time of the response it came from
    assert sorted((p["url"], p["title"]) for p in pages) == sorted(
        (r["final_url"], r["title"]) for r in records
    )
    assert archived_warcs == {"archive/" + Path(r["warc"]["filename"]).name for r in records}
