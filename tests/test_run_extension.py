"""The run is a Scrapy extension made once; the crawler process is the catalog's one
writer of capture rows; outcomes are recorded by the store pipeline alone."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.warc_tools import capture_pointers


def _catalogued(store: Path) -> set[tuple[str, str, int, int]]:
    with sqlite3.connect(store / "catalog.sqlite") as conn:
        return set(
            conn.execute("SELECT record_id, warc_file, warc_offset, warc_length FROM captures")
        )


def test_every_record_written_is_catalogued_where_it_is(site, tmp_path):
    store = tmp_path / "store"
    urls = [site.url(p) for p in site.article_paths()] + [site.url("/status/404")]
    # A batch smaller than the run: rows reach the catalog in several transactions.
    result = run_cli("archive", *urls, "--store", str(store), "-s", "CATALOG_CAPTURE_BATCH=3")
    assert result.returncode == 1, result.stdout + result.stderr  # the 404
    written = capture_pointers(store)
    assert len(written) >= len(urls)
    assert _catalogued(store) == written


def test_a_non_asyncio_reactor_is_refused_with_the_reason(site, tmp_path):
    result = run_cli(
        "archive",
        site.url(site.article_paths()[0]),
        "--store",
        str(tmp_path / "s"),
        "-s",
        "TWISTED_REACTOR=twisted.internet.pollreactor.PollReactor",
    )
    assert result.returncode != 0
    assert "needs 'twisted.internet.asyncioreactor.AsyncioSelectorReactor'" in result.stderr
    assert "PollReactor" in result.stderr


def test_without_the_run_extension_components_say_what_to_enable(site, tmp_path):
    result = run_cli(
        "archive",
        site.url(site.article_paths()[0]),
        "--store",
        str(tmp_path / "s"),
        "-s",
        'EXTENSIONS={"crawler.run.ArchiveRun": null}',
    )
    assert result.returncode != 0
    assert "the ArchiveRun extension is not enabled" in result.stderr


def _calls_in(folder: Path, names: set[str]) -> list[str]:
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in names
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}")
    return found


def test_outcomes_are_recorded_by_the_pipeline_only():
    callers = _calls_in(ROOT / "spiders", {"record_outcome"}) + _calls_in(
        ROOT / "crawler", {"record_outcome"}
    )
    allowed = {"crawler/pipelines.py", "crawler/run/archive_run.py"}
    assert {c.split(":", 1)[0] for c in callers} <= allowed, callers


def test_the_writer_process_does_not_touch_the_catalog():
    source = (ROOT / "crawler" / "capture" / "writer_process.py").read_text(encoding="utf-8")
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name and "catalog" in name for name in imported), imported
