"""The `crawler` commands as modules of `crawler/commands/`, their defaults taken from the
settings (issue 10), and the library functions behind them called without argparse."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from crawler import cli
from tests.conftest import ROOT, run_cli

COMMANDS = [
    "archive",
    "export",
    "extract",
    "reextract",
    "sites",
    "crawl",
    "schedule",
    "upload",
    "catalog",
    "worker",
    "demo",
]
PAGES = ROOT / "crawler" / "demo" / "pages"


@pytest.fixture(scope="module")
def archived(site, tmp_path_factory):
    """A store holding the fixture site's articles, archived with Scrapy logging at INFO
    through the COMMAND_LOG_LEVEL setting."""
    root = tmp_path_factory.mktemp("commands-store")
    urls = [site.url(p) for p in site.article_paths()]
    result = run_cli("archive", *urls, "--store", str(root), "-s", "COMMAND_LOG_LEVEL=INFO")
    assert result.returncode == 0, result.stdout + result.stderr
    return {"root": root, "urls": urls, "stderr": result.stderr}


def test_every_command_is_a_module_with_a_parser_and_run():
    assert [c.__name__.rsplit(".", 1)[1] for c in cli.COMMANDS] == COMMANDS
    choices = cli.build_parser()._subparsers._group_actions[0].choices
    assert list(choices) == COMMANDS
    args = cli.build_parser().parse_args(["export", "--to", "x"])
    assert args.run.__module__ == "crawler.commands.export"
    assert args.part_records is None and args.store is None  # the settings decide


def test_log_level_of_a_command_comes_from_its_setting(archived):
    # --log-level's default is COMMAND_LOG_LEVEL (WARNING), not a literal of the parser
    assert "[scrapy.core.engine] INFO" in archived["stderr"]


def test_part_records_come_from_the_setting(archived, tmp_path):
    result = run_cli(
        "export",
        "--store",
        str(archived["root"]),
        "--to",
        str(tmp_path / "f"),
        "-s",
        "EXPORT_PART_RECORDS=1",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (manifest,) = [json.loads(p.read_text()) for p in (tmp_path / "f").glob("*/manifest.json")]
    parts = [f for f in manifest["files"] if f["kind"] == "records"]
    assert manifest["record_count"] == len(archived["urls"]) >= 2
    assert len(parts) == manifest["record_count"] and all(p["records"] == 1 for p in parts)
    for value in ("--part-records=0", "-s EXPORT_PART_RECORDS=0"):
        result = run_cli(
            "export", "--store", str(archived["root"]), "--to", str(tmp_path / "g"), *value.split()
        )
        assert result.returncode == 2 and "--part-records must be at least 1" in result.stderr
    assert not (tmp_path / "g").exists()


def test_extract_limits_come_from_the_settings(tmp_path):
    # a project of one's own: our settings, one changed (SCRAPY_SETTINGS_MODULE)
    (tmp_path / "mysettings.py").write_text(
        "from settings import *  # noqa\nEXTRACT_MAX_BYTES = 1000\n"
    )
    page = sorted(p for p in PAGES.glob("*.html") if "index" not in p.name)[0]
    assert page.stat().st_size > 1000
    env = {"SCRAPY_SETTINGS_MODULE": "mysettings", "PYTHONPATH": str(tmp_path)}
    result = run_cli("extract", str(page), env=env)
    assert result.returncode == 1 and "above the extraction limit" in result.stderr
    result = run_cli("extract", str(page), "--max-bytes", str(10 << 20), env=env)
    assert result.returncode == 0, result.stderr  # the flag beats the setting
    assert json.loads(result.stdout)["source"] == {"path": str(page)}


def test_reextract_without_argparse(archived):
    from scrapy.settings import Settings

    import settings as project
    from crawler.extract.reextract import reextract
    from crawler.store.local import LocalStore

    settings = Settings()
    settings.setmodule(project)
    settings.set("EXTRACT_WORKERS", 1)
    failed = []
    result = reextract(
        LocalStore(archived["root"]),
        settings,
        site=None,
        since=None,
        on_failed=lambda url, error: failed.append((url, error)),
    )
    assert failed == []
    n = len(archived["urls"])
    assert result.counts == {"captures": n, "new_versions": 0, "unchanged": n, "failed": 0}
    report = json.loads((archived["root"] / f"runs/{result.crawl_id}.json").read_text())
    assert report["command"] == "crawler reextract"
    shards = list(Path(archived["root"], "articles").rglob("*.jsonl.gz"))
    assert sum(len(gzip.decompress(p.read_bytes()).splitlines()) for p in shards) == n
