"""Sizes with units (crawler/sizes.py) for every size flag and setting, `crawler --version`,
and `--help` that shows the defaults."""

from __future__ import annotations

import pytest

import crawler
from crawler.sizes import SizeError, format_size, parse_size
from tests.conftest import run_cli


@pytest.mark.parametrize(
    "text, size",
    [
        ("1048576", 1048576),
        ("1MB", 1_000_000),
        ("1M", 1 << 20),
        ("64MiB", 64 << 20),
        ("1G", 1 << 30),
        ("1 GiB", 1 << 30),
        ("1.5g", 3 << 29),
        ("500k", 500 << 10),
        ("2kB", 2000),
        ("10B", 10),
        (4096, 4096),
    ],
)
def test_sizes_read(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "-1", "1x", "1.5", "1KiBB", "ten"])
def test_sizes_refused(text):
    with pytest.raises(SizeError, match="WARC_MAX_SIZE"):
        parse_size(text, name="WARC_MAX_SIZE")


def test_sizes_written_back():
    assert [format_size(n) for n in (64 << 20, 1 << 30, 1000, 0)] == ["64MiB", "1GiB", "1000", "0"]


def test_size_flags_and_settings_take_units(site, tmp_path):
    # the README's own spellings: `--warc-max-size 1G`; -s takes a unit too
    result = run_cli(
        "archive",
        site.url("/big?mb=2"),
        "--store",
        str(tmp_path / "s"),
        "--warc-max-size",
        "1G",
        "-s",
        "DOWNLOAD_MAXSIZE=1MB",
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(ln for ln in result.stdout.splitlines() if "/big?mb=2" in ln)
    assert "download aborted" in line and "1000000" in line, line


def test_bad_sizes_are_usage_errors(tmp_path):
    flag = run_cli("archive", "http://127.0.0.1:1/", "--max-size", "1x", cwd=tmp_path)
    assert flag.returncode == 2 and "'1x' is not a size" in flag.stderr
    setting = run_cli(
        "archive", "http://127.0.0.1:1/", "-s", "WARC_MAX_SIZE=big", "--store", str(tmp_path)
    )
    assert setting.returncode == 2 and "WARC_MAX_SIZE 'big' is not a size" in setting.stderr


def test_version_and_defaults_in_help():
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"crawler {crawler.__version__}"
    helptext = " ".join(run_cli("archive", "--help").stdout.split())
    assert "(DOWNLOAD_MAXSIZE; default 64MiB)" in helptext
    assert "(WARC_MAX_SIZE; default 1GiB)" in helptext
    assert "(CONCURRENT_REQUESTS; default 16)" in helptext
