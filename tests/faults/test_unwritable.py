"""A store or export destination that cannot be written (issue 12): one line, exit 2,
before anything is fetched. As root the permission bits stop nobody, so the read-only
case is a read-only tmpfs, and "not a directory" a path under a regular file."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli


@pytest.fixture
def places(tmp_path, tmpfs):
    """What cannot be written to, by the reason the user is told."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    read_only = tmpfs("1m", read_only=True)
    return {
        "not a directory": [a_file, a_file / "store"],
        "read-only file system": [read_only / "store", read_only / "new" / "store"],
    }


def _said_once(result, command: str, path, reason: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [f"crawler {command}: error: cannot write to {path}: {reason}"], lines
    assert "Traceback" not in result.stderr


def test_archive_refuses_an_unwritable_store_before_fetching(site, places):
    path = "/2024/03/12/council-budget-schools.html"
    before = site.hits(path)
    for reason, stores in places.items():
        for store in stores:
            result = run_cli("archive", site.url(path), "--store", str(store))
            _said_once(result, "archive", store, reason)
    assert site.hits(path) == before  # nothing was fetched


def test_crawl_and_schedule_refuse_an_unwritable_store(places, tmp_path):
    for reason, stores in places.items():
        for store in stores:
            crawl = run_cli("crawl", "example", "--store", str(store))
            _said_once(crawl, "crawl", store, reason)
            schedule = run_cli("schedule", "--once", "--store", str(store))
            _said_once(schedule, "schedule", store, reason)


def test_export_refuses_an_unwritable_destination(site, places, tmp_path):
    store = tmp_path / "store"
    done = run_cli("archive", site.url(site.article_paths()[0]), "--store", str(store))
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    for reason, destinations in places.items():
        for to in destinations:
            if to.exists() and not to.is_dir():
                continue  # a file as --to has its own message (not a folder): test_export
            result = run_cli("export", "--store", str(store), "--to", str(to))
            _said_once(result, "export", to, reason)
