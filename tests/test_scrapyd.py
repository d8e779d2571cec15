"""Deploying to scrapyd, where many Scrapy users run their spiders.

A real scrapyd on 127.0.0.1 (free port, its own folders for eggs, logs and databases),
the project deployed with scrapyd-deploy from a copy of the source tree (it writes a
setup.py beside scrapy.cfg), the `urls` spider scheduled through schedule.json against
the loopback fixture site. scrapyd and every job it started are stopped at the end.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.warc_tools import responses_for

pytest.importorskip("scrapyd", reason="scrapyd is in the test extra")
pytest.importorskip("scrapyd_client", reason="scrapyd-client is in the test extra")

PROJECT = "crawler"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(base: str, path: str, data: dict | None = None) -> dict:
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    with urllib.request.urlopen(base + path, data=body, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    home = tmp_path_factory.mktemp("scrapyd")
    port = _free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\npoll_interval = 0.5\nmax_proc = 1\n"
    )
    log = open(home / "scrapyd.log", "wb")
    # its own session: scrapyd and the job processes it starts are stopped as one group
    server = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"],
        cwd=home,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert _api(base, "daemonstatus.json")["status"] == "ok"
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "scrapyd did not start: " + (home / "scrapyd.log").read_text()[-2000:]
                    ) from None
                time.sleep(0.2)
        yield {"url": base, "home": home}
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=15)
        log.close()


@pytest.fixture(scope="module")
def deployed(scrapyd, tmp_path_factory):
    """The project, deployed with scrapyd-deploy as its README would have a user do it."""
    source = tmp_path_factory.mktemp("project")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("crawler", "spiders", "settings"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    cfg = (ROOT / "scrapy.cfg").read_text()
    assert f"project = {PROJECT}" in cfg
    (source / "scrapy.cfg").write_text(cfg.replace("[deploy]", f"[deploy]\nurl = {scrapyd['url']}"))
    result = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy"],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == "ok", answer  # scrapyd refused the egg before the entry point
    spiders = _api(scrapyd["url"], f"listspiders.json?project={PROJECT}")
    assert sorted(spiders["spiders"]) == ["site", "urls"], spiders
    (egg,) = (scrapyd["home"] / "eggs" / PROJECT).glob("*.egg")
    return {**scrapyd, "egg": egg}


@pytest.mark.slow
def test_urls_spider_runs_under_scrapyd_and_archives_the_page(deployed, site, tmp_path):
    url = site.url(site.article_paths()[0])
    store = tmp_path / "store"
    job = _api(
        deployed["url"],
        "schedule.json",
        {
            "project": PROJECT,
            "spider": "urls",
            "urls": url,
            "setting": [f"STORE_URI={store}", "EXTRACT_WORKERS=1"],
        },
    )
    assert job["status"] == "ok", job
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        jobs = _api(deployed["url"], f"listjobs.json?project={PROJECT}")
        finished = [j for j in jobs["finished"] if j["id"] == job["jobid"]]
        if finished:
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"job {job['jobid']} not finished within 180 s: {jobs}")
    log = next((deployed["home"] / "logs" / PROJECT / "urls").glob(f"{job['jobid']}.log"))
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert "'finish_reason': 'finished'" in text, text[-3000:]
    (response,) = responses_for(store, url)
    assert b"<html" in response["payload"].lower()
    records = [
        json.loads(line)
        for p in (store / "articles").rglob("*.jsonl.gz")
        for line in gzip.open(p, "rt", encoding="utf-8")
    ]
    assert [r["url"] for r in records] == [url]


@pytest.mark.slow
def test_shipped_site_files_are_found_inside_the_egg(deployed):
    # inside an egg settings/sites is no folder: the default SITES_DIRS reads it through
    # importlib.resources, so a site crawl under scrapyd finds `globalresearch`
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import settings\n"
        "from crawler.sites.config import find_site\n"
        "config = find_site('globalresearch', settings.SITES_DIRS)\n"
        "print(settings.__file__); print(config.name, config.domains)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(deployed["egg"])],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path("/"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    where, found = result.stdout.splitlines()[-2:]
    assert where.startswith(str(deployed["egg"]))  # the egg's own settings module
    assert found == "globalresearch ['globalresearch.ca']"
