"""URL lists and URLs given to `crawler archive`: comments, control characters."""

from __future__ import annotations

import pytest

from spiders.urls import check_url, printable_url, read_url_list
from tests.conftest import run_cli


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x7f", "\x9b"])
def test_control_characters_are_malformed(char):
    url = f"http://127.0.0.1:9/a{char}b.html"
    reason = check_url(url)
    assert reason is not None and reason.startswith("malformed URL: control character")
    assert printable_url(char) in reason and "position 20" in reason
    assert char not in printable_url(url)


def test_url_list_comments(tmp_path):
    listing = tmp_path / "urls.txt"
    listing.write_text(
        "\ufeff# a list\n"
        "http://127.0.0.1:9/a.html # the first\n"
        "   http://127.0.0.1:9/b.html#section  \r\n"
        "\n"
        "http://127.0.0.1:9/c.html\t#\ttab comment\n"
        "  # indented comment\n"
        "http://127.0.0.1:9/d\x1ce.html\n",
        encoding="utf-8",
    )
    assert read_url_list(str(listing)) == [
        "http://127.0.0.1:9/a.html",
        "http://127.0.0.1:9/b.html#section",
        "http://127.0.0.1:9/c.html",
        "http://127.0.0.1:9/d\x1ce.html",
    ]
    assert check_url("http://127.0.0.1:9/d\x1ce.html") is not None  # not split in two


def test_archive_refuses_nul_and_prints_it_escaped(site, tmp_path):
    good = site.url(site.article_paths()[0])
    bad = site.url("/ctl/page.html") + "\x00x"
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{good}  # fine\n{bad}\n", encoding="utf-8")
    result = run_cli("archive", "--input", str(listing), "--store", str(tmp_path / "store"))
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "\x00" not in result.stdout + result.stderr
    shown = site.url("/ctl/page.html") + "\\x00x"
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and shown in failed[0] and "control character" in failed[0]
    assert f"archived  200  {good}" in result.stdout
    assert site.hits("/ctl/page.html%00x") == 0 and site.hits("/ctl/page.html") == 0
