"""Article shards: gzip JSON Lines under
`articles/YYYY/MM/DD/<crawl-id>-<node-id>-<serial>.jsonl.gz` (the node id, crawler/node.py:
several nodes may write shards of one crawl, e.g. a site crawl resumed by another node).

Each record is written as its own gzip member and flushed, so a killed run leaves a file
that `crawler.store.recovery` can cut back to whole records; `gzip`, pandas, DuckDB and
`datasets` all read multi-member gzip files as one stream.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

from crawler.store.disk import append_whole, file_is_whole
from crawler.store.local import OPEN_SUFFIX, LocalStore
from crawler.store.recovery import lock_exclusive
from settings import STORE_SHARD_MAX_RECORDS


class ShardWriter:
    def __init__(
        self,
        store: LocalStore,
        crawl_id: str,
        *,
        node_id: str = "",
        max_records: int = STORE_SHARD_MAX_RECORDS,
        gzip_level: int = 6,
        on_close: Callable[[str, int, str, int], None] | None = None,
    ) -> None:
        self.store = store
        self.crawl_id = crawl_id
        self.name = f"{crawl_id}-{node_id}" if node_id else crawl_id
        self.max_records = max_records
        self.gzip_level = gzip_level
        self.on_close = on_close  # (key, size, sha256, records)
        self._serial = 0
        self._fh = None
        self._key: str | None = None
        self._sha256 = None
        self._records = 0
        self._torn = False  # a failed append could not be cut back: never publish the file

    def append(self, record: dict) -> str:
        """Append one record; returns the key of the shard it went to."""
        if self._fh is None:
            self._open()
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        comp = zlib.compressobj(self.gzip_level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
        member = comp.compress(line.encode("utf-8")) + comp.flush()
        offset = self._fh.tell()
        try:
            append_whole(self._fh, member)  # whole or not at all, even on a full disk
        except OSError as exc:
            self._torn = self._torn or not file_is_whole(self._fh, offset)
            if exc.filename is None:  # name the file in the message a user sees
                exc.filename = str(self.store.path(self._key + OPEN_SUFFIX))
            raise
        self._sha256.update(member)
        self._records += 1
        key = self._key
        if self._records >= self.max_records:
            self.close()
        return key

    def close(self) -> None:
        if self._fh is None:
            return
        fh, key = self._fh, self._key
        size = fh.tell()
        if self._torn or size == 0:
            # A torn tail keeps the `.open` name (the next run's repair cuts it back and
            # catalogues it); an empty shard (its one record did not fit) goes.
            fh.close()
            if size == 0:
                self.store.path(key + OPEN_SUFFIX).unlink(missing_ok=True)
            self._fh = None
            return
        os.fsync(fh.fileno())
        self.store.publish(key)
        fh.close()
        self._fh = None
        if self.on_close:
            self.on_close(key, size, self._sha256.hexdigest(), self._records)

    def _open(self) -> None:
        now = datetime.now(UTC)
        self._key = f"articles/{now:%Y/%m/%d}/{self.name}-{self._serial:05d}.jsonl.gz"
        self._serial += 1
        fh = open(self.store.open_path(self._key), "xb", buffering=0)
        lock_exclusive(fh)
        self._fh = fh
        self._sha256 = hashlib.sha256()
        self._records = 0
        self._torn = False
