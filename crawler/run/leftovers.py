"""What a killed (or disk-starved) run left behind, made whole at the start of the next.

A run can be killed at any moment of a file's life, and each moment leaves its own gap:

- while writing: a `<key>.open` file, maybe with a torn last record
  (`crawler.store.recovery` cuts it back to whole records and closes it);
- after the WARC writer closed a file, before the run registered it: a closed WARC or
  article shard without its `files` row (and a WARC often without its CDXJ index);
- after registering a WARC, before its index was written: a registered WARC whose
  `.cdxj` is missing (or an empty leftover of a full disk).

Each is repaired here: records the catalog lacks are catalogued from the file itself
(the file is the truth), missing indexes are written, and every file is registered (and,
for an S3 store, queued for upload) as if its run had finished. For an S3 store this looks
at the spool, where files wait until they are uploaded.
"""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

from crawler.capture.cdxj import cdxj_key, index_warc
from crawler.capture.rows import capture_rows_in
from crawler.store.local import sha256_file
from crawler.store.recovery import repair_store

logger = logging.getLogger(__name__)

_CLOSED = {"warc": "*.warc.gz", "articles": "*.jsonl.gz"}


def repair_leftovers(run) -> None:
    """Repair what killed runs left in `run.store`; each repair is listed in
    `run.repaired` (the manifest's `repaired_files`)."""
    _close_open_files(run)
    _register_closed_files(run)
    _index_unindexed_warcs(run)


def _close_open_files(run) -> None:
    for kind, fixed in repair_store(run.store):
        key = run.store.key_of(fixed.path)
        entry = {
            "key": key,
            "kind": kind,
            "kept_bytes": fixed.kept_bytes,
            "dropped_bytes": fixed.dropped_bytes,
        }
        run.repaired.append(entry)
        if fixed.kept_bytes:
            entry["catalogued"] = _register(run, kind, key, fixed.path)


def _register_closed_files(run) -> None:
    """Closed WARCs and shards that no `files` row lists: killed between close and
    register."""
    for kind, pattern in _CLOSED.items():
        known = run.catalog.registered_files(kind)
        for path in _closed_files(run.store.path(kind), pattern):
            key = run.store.key_of(path)
            if key in known:
                continue
            logger.warning("%s was closed but never registered (a killed run?): registering", key)
            catalogued = _register(run, kind, key, path)
            run.repaired.append(
                {"key": key, "kind": kind, "unregistered": True, "catalogued": catalogued}
            )


def _index_unindexed_warcs(run) -> None:
    """Registered WARCs in the store whose CDXJ index is missing, or empty without having
    been registered so (a WARC of no responses has a registered empty index)."""
    indexes = run.catalog.registered_files("cdxj")
    for key in sorted(run.catalog.registered_files("warc")):
        path = run.store.path(key)
        index = run.store.path(cdxj_key(key))
        if not path.is_file():  # uploaded (S3 store) or removed: nothing to index here
            continue
        if index.is_file() and (index.stat().st_size or indexes.get(cdxj_key(key)) == 0):
            continue
        made = index_warc(run.store, key)
        run.file_closed("cdxj", made.key, made.size, made.sha256, made.lines)
        run.repaired.append({"key": made.key, "kind": "cdxj", "reindexed": True})
        logger.warning("%s had no CDXJ index (a killed run?): indexed", key)


def _closed_files(base: Path, pattern: str) -> list[Path]:
    # `pattern` ends in `.gz`: `.open` files do not match it
    return sorted(base.rglob(pattern)) if base.is_dir() else []


def _register(run, kind: str, key: str, path: Path) -> int:
    """Catalogue what the closed file holds and the catalog lacks, then register it (a
    WARC with its new index). How many records were catalogued."""
    size = path.stat().st_size
    sha256 = sha256_file(path)
    if kind == "warc":
        # Rows the killed crawler had not committed yet (its last batch).
        rows = list(capture_rows_in(path, key))
        run.catalog.add_captures(rows)
        run.warc_closed(key, size, sha256, None)
        return len(rows)
    added = _catalog_shard_records(run.catalog, path, key)
    run.file_closed(kind, key, size, sha256, None)
    return added


def _catalog_shard_records(catalog, path: Path, key: str) -> int:
    """A run killed between writing a record and cataloguing it: the shard is the truth,
    so catalogue what it holds and the catalog lacks (the next run then does not fetch
    that article again)."""
    added = 0
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if not catalog.has_article(record["id"], record["version"], record["content_sha256"]):
                catalog.add_article(record, key)
                added += 1
    return added
