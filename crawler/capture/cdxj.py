"""A CDXJ index beside every closed WARC file, written with webrecorder's cdxj-indexer.

`warc/.../x.warc.gz` gets `warc/.../x.warc.gz.cdxj`: one sorted line per response (and
revisit) record, `<SURT> <14-digit timestamp> {"url", "mime", "status", "digest",
"length", "offset", "filename"}`, the format pywb reads from a collection's `indexes/`
folder. `filename` is the WARC's base name, so the index resolves against the folder it
sits in (a pywb collection's `archive/`, a WACZ's `archive/`, or the store folder).

Indexing reads the whole WARC once (gunzip + parse): about as fast as `warcio index`,
15 s per GiB here, mostly Python. During a crawl it runs when the writer closes a file,
in a process of the capture middleware's own (`index_warc_in`), so the reactor never
waits for it or for the GIL; a killed run's repaired files are indexed in place
(`ArchiveRun.warc_closed`).
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

from cdxj_indexer.main import CDXJIndexer

from crawler.store.local import LocalStore

CDXJ_SUFFIX = ".cdxj"


@dataclass(frozen=True)
class IndexFile:
    key: str
    size: int
    sha256: str
    lines: int


def cdxj_key(warc_key: str) -> str:
    return warc_key + CDXJ_SUFFIX


def cdxj_lines(warc_path: str | os.PathLike[str]) -> bytes:
    """The sorted CDXJ index of one WARC file, as bytes."""
    out = io.StringIO()
    with open(warc_path, "rb") as fh:
        # sort=True: pywb binary-searches the index, so it must be in SURT/timestamp order.
        indexer = CDXJIndexer(out, [fh], sort=True, filename=Path(warc_path).name)
        indexer.process_all()
    return out.getvalue().encode("utf-8")


def index_warc_in(root: str, warc_key: str) -> IndexFile:
    """`index_warc` for a store folder given by path (what another process can be sent;
    an S3 store's files are in its local spool folder)."""
    return index_warc(LocalStore(root), warc_key)


def index_warc(store: LocalStore, warc_key: str) -> IndexFile:
    """Write `<warc_key>.cdxj` atomically in `store`; returns what was written."""
    data = cdxj_lines(store.path(warc_key))
    key = cdxj_key(warc_key)
    store.write_atomic(key, data)
    return IndexFile(
        key=key, size=len(data), sha256=hashlib.sha256(data).hexdigest(), lines=data.count(b"\n")
    )
