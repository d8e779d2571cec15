"""Responses a hostile or broken server may send, served on loopback (tests/hostile_site.py):
each failure says what happened, and a site that cannot be crawled at all fails the run."""

from __future__ import annotations

from tests.conftest import run_cli
from tests.hostile_site import ROBOTS_MB, HostileSite


def summary_line(stdout: str, url: str) -> str:
    (line,) = [ln for ln in stdout.splitlines() if url in ln.split()]
    return line


def test_header_too_large_is_said_so(tmp_path):
    with HostileSite() as site:
        urls = [site.url(p) for p in ("/huge-header", "/many-headers", "/2026/ok.html")]
        result = run_cli("archive", *urls, "--store", str(tmp_path / "s"), timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    huge, many, ok = (summary_line(result.stdout, url) for url in urls)
    assert "response header too large: a header line of more than 16,384 bytes" in huge
    assert "response header too large: more than 262,144 bytes of header lines" in many
    assert ok.startswith("archived  200")
    assert "Connection was closed cleanly" not in result.stdout + result.stderr


def test_site_that_cannot_be_crawled_at_all_fails(tmp_path):
    with HostileSite(huge_robots=True) as site:
        config = tmp_path / "hostile.toml"
        config.write_text(
            f"""
[site]
name = "hostile"
domains = ["127.0.0.1"]
start_urls = ["{site.base_url}/"]
[discovery]
article_allow = ['/2026/']
[politeness]
download_delay = 0
"""
        )
        result = run_cli("crawl", str(config), "--store", str(tmp_path / "s"), timeout=120)
        requested = list(site.requests)
    assert set(requested) == {"/robots.txt"}  # nothing else may be fetched without it
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    (line,) = [ln for ln in result.stdout.splitlines() if ln.startswith("FAILED")]
    assert "site hostile could not be crawled at all" in line
    assert "robots.txt" in line and f"{ROBOTS_MB * 1024 * 1024}" in line, line
