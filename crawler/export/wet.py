"""The exported articles' clean text as WARC `conversion` records (`--wet`), like Common
Crawl's WET files: one gzip member per record, `Content-Type: text/plain`, `WARC-Refers-To`
the `response` record the text was extracted from, `WARC-Target-URI` its URL and
`WARC-Date` its capture time (the response record's WARC-Date). Any WARC reader
(warcio, jwarc) reads the file.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

from warcio.warcwriter import WARCWriter

import crawler as crawler_pkg
from crawler.capture.warc_writer import WARC_VERSION, warc_date


class WetWriter:
    """Writes `name` in `folder`; `add` skips records that point at no WARC record."""

    def __init__(self, folder: Path, name: str = "text-00000.warc.wet.gz") -> None:
        self.name = name
        self.path = folder / name
        self._fh = open(self.path, "wb")
        self._writer = WARCWriter(self._fh, gzip=True, warc_version=WARC_VERSION)
        self._writer.write_record(
            self._writer.create_warcinfo_record(
                name,
                {
                    "software": f"{crawler_pkg.SOFTWARE}/{crawler_pkg.__version__}",
                    "description": (
                        "clean article text extracted from the referred response records"
                    ),
                    "format": "WARC File Format 1.1",
                },
            )
        )
        self.records = 0

    def add(self, record: dict, captured_at: str | None = None) -> None:
        """`captured_at`: the response's capture time (the catalog's), else fetched_at."""
        warc = record.get("warc")
        when = captured_at or record.get("fetched_at")
        if not warc or not when:
            return
        text = (record.get("text") or "").encode("utf-8")
        headers = {"WARC-Date": warc_date(when), "WARC-Refers-To": warc["record_id"]}
        if record.get("language"):
            headers["WARC-Identified-Content-Language"] = record["language"]
        conversion = self._writer.create_warc_record(
            record.get("final_url") or record["url"],
            "conversion",
            payload=io.BytesIO(text),
            length=len(text),
            warc_content_type="text/plain; charset=utf-8",
            warc_headers_dict=headers,
        )
        self._writer.write_record(conversion)
        self.records += 1

    def close(self) -> dict:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        data = self.path.read_bytes()
        return {
            "name": self.name,
            "kind": "wet",
            "records": self.records,
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
