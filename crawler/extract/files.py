"""Extraction of files, no network (`crawler extract`): HTML files (plain or gzip) and
the HTML responses in WARC files, through the worker pool, as article records."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from crawler.extract.pool import ExtractionPool


def iter_inputs(
    paths: list[str], url: str | None, max_bytes: int
) -> Iterator[tuple[bytes, str | None, str | None, dict]]:
    """(html, url, content_language, meta) for every document in the inputs."""
    from crawler.capture.warc_reader import is_warc_path, iter_html_responses
    from crawler.extract.trafilatura_extractor import html_for

    for path in paths:
        if is_warc_path(path):
            for doc in iter_html_responses(path, max_bytes):
                meta = {
                    "source": {"path": path, "offset": doc.pointer["offset"]},
                    "url": doc.url,
                    "status": doc.status,
                    "content_type": doc.content_type,
                    "fetched_at": doc.fetched_at,
                    "warc": doc.pointer,
                }
                yield html_for(doc.body, doc.content_type), doc.url, doc.content_language, meta
            continue
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
        if data[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)  # bounded: a gzip bomb stops here
        meta = {
            "source": {"path": path},
            "url": url,
            "status": None,
            "content_type": None,
            "fetched_at": None,
            "warc": None,
        }
        yield data, url, None, meta


def extract_files(
    paths: list[str],
    url: str | None,
    out: TextIO,
    *,
    pool: ExtractionPool,
    site_rules: list,
    on_failed: Callable[[str, str], None],
) -> int:
    """Write one article record (a JSON line) to `out` per document in `paths`, in order,
    extracted by `pool` (the caller's to shut down); `on_failed(where, error)` for each
    document that failed. Returns the failure count. `url`: where the HTML files were
    served from (WARC records name their own)."""
    from crawler.extract.site_rules import rules_for
    from crawler.extract.trafilatura_extractor import extractor_versions
    from crawler.record import build_article_record

    versions = extractor_versions()
    metas: list[dict] = []

    def jobs():
        for html, doc_url, lang, meta in iter_inputs(paths, url, pool.max_bytes):
            metas.append(meta)
            host = urlsplit(doc_url).hostname if doc_url else None
            yield html, doc_url, lang, rules_for(host, site_rules)

    failures = 0
    for result in pool.map_ordered(jobs()):
        meta = metas.pop(0)
        where = meta["source"]["path"] + (
            f"@{meta['source']['offset']}" if "offset" in meta["source"] else ""
        )
        if not result["ok"]:
            failures += 1
            on_failed(where, result["error"])
            continue
        record = build_article_record(
            extraction=result["extraction"],
            url=meta["url"],
            final_url=meta["url"],
            fetched_at=meta["fetched_at"],
            http_status=meta["status"],
            content_type=meta["content_type"],
            crawl_id=None,
            warc=meta["warc"],
            extractor=versions,
            source=meta["source"],
            id_fallback=Path(meta["source"]["path"]).resolve().as_uri(),
        )
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    out.flush()
    return failures
