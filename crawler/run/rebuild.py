"""Rebuild a catalog from the store alone (`crawler catalog rebuild`).

Every run leaves in the store what its catalog rows were made from, and an S3 store
uploads all of it, so the archive describes itself and no catalog snapshot is uploaded:

- `runs/<crawl-id>.json` (the manifest): the `runs` row (command, start, end, counts),
  the `failures` (its outcomes not archived), the `files` rows (every closed file with
  size and SHA-256), and the extraction health of each site (`site_health`);
- every WARC file: the `captures` rows, read from the records themselves as the repair of
  a killed run does (crawler.capture.rows; the CDXJ beside it lacks the record ids and
  the validators a revisit needs);
- every article shard: the `articles` rows and the version of each text.

A file that no manifest lists (its run died before writing one) is catalogued from its
own bytes. Not rebuilt: the paragraph statistics of learned repeats, which the next runs
learn again, and the upload ledger, which belongs to a machine's spool. Article seqs are
new numbers, in the order of the shards' keys (run start, then shard serial): an
incremental export's watermark from the old catalog does not carry over.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from dataclasses import dataclass, field
from typing import BinaryIO

from crawler.capture.cdxj import CDXJ_SUFFIX
from crawler.capture.rows import capture_rows_from
from crawler.store.catalog import Catalog
from crawler.store.local import LocalStore
from crawler.timebounds import utcnow_iso

logger = logging.getLogger(__name__)

CAPTURE_BATCH = 500  # rows per add_captures transaction
HEALTH_FIELDS = (
    "articles",
    "median_words",
    "title_share",
    "author_share",
    "date_share",
    "removed_share",
)


@dataclass
class Rebuilt:
    """What the rebuild catalogued."""

    runs: int = 0
    failures: int = 0
    files: int = 0
    captures: int = 0
    articles: int = 0
    site_health: int = 0
    problems: list[str] = field(default_factory=list)  # files that could not be read


class _Hashing:
    """A read-only stream that counts and hashes what is read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.size = 0
        self.sha256 = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.size += len(data)
        self.sha256.update(data)
        return data

    def drain(self) -> None:
        while self.read(1 << 20):
            pass


def rebuild_catalog(store: LocalStore, catalog: Catalog) -> Rebuilt:
    """Catalogue into `catalog` (a new, empty one) everything `store` holds."""
    done = Rebuilt()
    listed = _catalog_runs(store, catalog, done)
    for key in store.list_keys("warc"):
        if key.endswith(CDXJ_SUFFIX):
            _add_file(catalog, done, store, key, "cdxj", listed)
        elif ".warc" in key.rsplit("/", 1)[-1]:
            _add_file(catalog, done, store, key, "warc", listed, _catalog_captures)
    for key in store.list_keys("articles"):
        if key.endswith(".jsonl.gz"):
            _add_file(catalog, done, store, key, "articles", listed, _catalog_articles)
    return done


def _catalog_runs(store: LocalStore, catalog: Catalog, done: Rebuilt) -> dict[str, dict]:
    """The runs, their failures and site health from the manifests, oldest run first;
    returns the files they list: key -> the entry, with its crawl id and closing time."""
    manifests = []
    for key in store.list_keys("runs"):
        if not key.endswith(".json"):
            continue
        try:
            with store.open_read(key) as fh:
                manifests.append(json.loads(fh.read()))
        except (OSError, ValueError) as exc:
            done.problems.append(f"{key}: {exc}")
    manifests.sort(key=lambda m: (m.get("started_at") or "", m.get("crawl_id") or ""))
    listed: dict[str, dict] = {}
    for manifest in manifests:
        crawl_id, finished_at = manifest["crawl_id"], manifest.get("finished_at")
        catalog.start_run(crawl_id, manifest.get("command") or "", manifest["started_at"])
        done.runs += 1
        for outcome in manifest.get("outcomes") or []:
            if not outcome.get("archived"):
                catalog.add_failure(
                    crawl_id=crawl_id,
                    url=outcome["url"],
                    at=finished_at or manifest["started_at"],
                    stage="fetch",
                    reason=outcome.get("reason") or "unknown",
                )
                done.failures += 1
        for site, figures in ((manifest.get("site_health") or {}).get("sites") or {}).items():
            kept = {name: figures[name] for name in HEALTH_FIELDS if name in figures}
            if len(kept) == len(HEALTH_FIELDS):
                catalog.add_site_health(crawl_id, site, {**kept, "flags": figures.get("flags")})
                done.site_health += 1
        for entry in manifest.get("files") or []:
            listed[entry["key"]] = {
                **entry,
                "crawl_id": crawl_id,
                "closed_at": finished_at or manifest["started_at"],
            }
        if finished_at:
            catalog.finish_run(crawl_id, finished_at, manifest.get("counts") or {})
    return listed


def _add_file(catalog, done, store, key, kind, listed, read_into=None) -> None:
    """Catalogue what file `key` holds (`read_into(catalog, stream, key)`, counting into
    `done`), and its `files` row: the manifest's entry, else what reading it measured."""
    entry = listed.get(key)
    measured = None
    if read_into is not None or entry is None:
        try:
            with store.open_read(key) as raw:
                measured = _Hashing(raw)
                if read_into is not None:
                    read_into(catalog, measured, key, done)
                measured.drain()
        except Exception as exc:  # noqa: BLE001 - one unreadable file: report it, go on
            logger.error("rebuild: %s could not be read: %s: %s", key, type(exc).__name__, exc)
            done.problems.append(f"{key}: {type(exc).__name__}: {exc}")
            if entry is None:
                return
    if entry is None:
        entry = {
            "size": measured.size,
            "sha256": measured.sha256.hexdigest(),
            "records": None,
            "crawl_id": None,
            "closed_at": utcnow_iso(),
        }
    catalog.add_file(
        key=key,
        kind=entry.get("kind") or kind,
        crawl_id=entry["crawl_id"],
        size=entry["size"],
        sha256=entry["sha256"],
        records=entry.get("records"),
        closed_at=entry["closed_at"],
    )
    done.files += 1


def _catalog_captures(catalog: Catalog, stream: BinaryIO, key: str, done: Rebuilt) -> None:
    batch: list[dict] = []
    for row in capture_rows_from(stream, key):
        batch.append(row)
        if len(batch) >= CAPTURE_BATCH:
            catalog.add_captures(batch)
            done.captures += len(batch)
            batch = []
    if batch:
        catalog.add_captures(batch)
        done.captures += len(batch)


def _catalog_articles(catalog: Catalog, stream: BinaryIO, key: str, done: Rebuilt) -> None:
    with gzip.open(stream, "rt", encoding="utf-8") as lines:
        for line in lines:
            catalog.add_article(json.loads(line), key)
            done.articles += 1
