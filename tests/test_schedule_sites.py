"""`crawler schedule` and the shipped example sites: `--sites-dir` replaces the default
folders, and the examples (which crawl the real web) are scheduled only when named. These
tests only choose sites; they never start a crawl."""

from __future__ import annotations

import pytest

from crawler.cli import build_parser
from crawler.commands.options import plain_settings, sites_dirs
from crawler.commands.schedule import scheduled_sites
from crawler.usage_error import UsageError
from tests.conftest import run_cli

MINE = """
[site]
name = "mine"
domains = ["127.0.0.1"]
start_urls = ["http://127.0.0.1:1/"]
schedule = "0 3 * * *"
[discovery]
article_allow = ['/\\d{4}/']
"""
SHIPPED = "package:settings/sites"


def test_sites_dir_replaces_the_shipped_examples(tmp_path):
    (tmp_path / "sites").mkdir()
    (tmp_path / "sites" / "mine.toml").write_text(MINE)
    args = build_parser().parse_args(
        ["schedule", "--once", "--sites-dir", str(tmp_path / "sites"), "--store", str(tmp_path)]
    )
    dirs = sites_dirs(args, plain_settings(args))
    assert dirs == [str(tmp_path / "sites")]
    assert [s.name for s in scheduled_sites(dirs)] == ["mine"]


def test_shipped_examples_are_scheduled_only_when_named():
    with pytest.raises(UsageError) as refused:
        scheduled_sites([SHIPPED])
    message = str(refused.value)
    assert "shipped examples apnews, globalresearch, theguardian" in message
    assert "crawler schedule apnews" in message
    assert [s.name for s in scheduled_sites([SHIPPED], ["apnews"])] == ["apnews"]
    with pytest.raises(UsageError, match="no site with a schedule named nosuch"):
        scheduled_sites([SHIPPED], ["nosuch"])


def test_help_says_sites_dir_replaces_the_default():
    helptext = " ".join(run_cli("schedule", "--help").stdout.split())
    assert "replaces the default folders" in helptext
    assert "shipped example sites are scheduled only when named" in helptext
