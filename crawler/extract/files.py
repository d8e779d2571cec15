"""Extraction of files, no network (`crawler extract`): HTML files (plain or gzip), folders
of them, and the HTML responses in WARC files, through the worker pool, as article records.

What holds no article (an empty or binary file, a redirect) is judged by
`crawler.extract.judgement`, as `crawler archive` judges it; a damaged file (a WARC or a
.gz cut short or with changed bytes) gives every record before the damage, then a report."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from crawler.extract.judgement import no_article_reason
from crawler.extract.pool import ExtractionPool


@dataclass
class Unusable:
    """An input that gives no record: `reason` says why; `damaged`: the file is broken
    (a failure), not merely without an article."""

    where: str
    reason: str
    damaged: bool = False


@dataclass
class ExtractCounts:
    records: int = 0  # article records written
    no_article: int = 0  # documents judged to hold no article
    failed: int = 0  # documents that failed to extract, and damaged files


def input_files(paths: list[str]) -> list[str]:
    """The files `paths` name: a folder stands for the files under it, in name order
    (hidden files left out)."""
    files: list[str] = []
    for path in paths:
        if Path(path).is_dir():
            top = Path(path)
            found = (p.relative_to(top) for p in top.rglob("*") if p.is_file())
            files += sorted(str(top / p) for p in found if not p.name.startswith("."))
        else:
            files.append(path)
    return files


def iter_inputs(
    paths: list[str], url: str | None, max_bytes: int
) -> Iterator[tuple[bytes | str, str | None, str | None, dict] | Unusable]:
    """(html, url, content_language, meta) for every document in the inputs that may hold
    an article, an Unusable for every one that cannot and for every damaged file."""
    from crawler.capture.warc_reader import DamagedWarc, is_warc_path, iter_html_responses
    from crawler.extract.trafilatura_extractor import html_for

    for path in paths:
        if not is_warc_path(path):
            yield _html_file(path, url, max_bytes)
            continue
        try:
            for doc in iter_html_responses(path, max_bytes):
                where = f"{path}@{doc.pointer['offset']}"
                refused = no_article_reason(doc.status, doc.content_type, doc.body)
                if refused:
                    yield Unusable(where, refused)
                    continue
                meta = {
                    "source": {"path": path, "offset": doc.pointer["offset"]},
                    "url": doc.url,
                    "status": doc.status,
                    "content_type": doc.content_type,
                    "fetched_at": doc.fetched_at,
                    "warc": doc.pointer,
                }
                yield html_for(doc.body, doc.content_type), doc.url, doc.content_language, meta
        except DamagedWarc as exc:
            yield Unusable(path, f"damaged at offset {exc.offset}: {exc.reason}", damaged=True)


def _html_file(path: str, url: str | None, max_bytes: int):
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if data[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as fh:
                data = fh.read(max_bytes + 1)  # bounded: a gzip bomb stops here
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            size = Path(path).stat().st_size
            return Unusable(path, f"damaged at offset {size}: gzip: {exc}", damaged=True)
    refused = no_article_reason(None, None, data)
    if refused:
        return Unusable(path, refused)
    meta = {
        "source": {"path": path},
        "url": url,
        "status": None,
        "content_type": None,
        "fetched_at": None,
        "warc": None,
    }
    return data, url, None, meta


def extract_files(
    paths: list[str],
    url: str | None,
    out: TextIO,
    *,
    pool: ExtractionPool,
    site_rules: list,
    on_failed: Callable[[str, str], None],
) -> ExtractCounts:
    """Write one article record (a JSON line) to `out` per article in `paths`, in order,
    extracted by `pool` (the caller's to shut down); `on_failed(where, reason)` for each
    document without an article, each that failed and each damaged file. `url`: where the
    HTML files were served from (WARC records name their own)."""
    from crawler.extract.site_rules import rules_for
    from crawler.extract.trafilatura_extractor import extractor_versions

    versions = extractor_versions()
    metas: list[dict] = []
    counts = ExtractCounts()

    def jobs():
        for item in iter_inputs(paths, url, pool.max_bytes):
            if isinstance(item, Unusable):
                if item.damaged:
                    counts.failed += 1
                else:
                    counts.no_article += 1
                on_failed(item.where, item.reason)
                continue
            html, doc_url, lang, meta = item
            metas.append(meta)
            host = urlsplit(doc_url).hostname if doc_url else None
            yield html, doc_url, lang, rules_for(host, site_rules)

    for result in pool.map_ordered(jobs()):
        meta = metas.pop(0)
        where = meta["source"]["path"] + (
            f"@{meta['source']['offset']}" if "offset" in meta["source"] else ""
        )
        if not result["ok"]:
            counts.failed += 1
            on_failed(where, result["error"])
            continue
        refused = no_article_reason(meta["status"], None, b"", result["extraction"])
        if refused:
            counts.no_article += 1
            on_failed(where, refused)
            continue
        out.write(json.dumps(_record(result["extraction"], meta, versions), ensure_ascii=False))
        out.write("\n")
        counts.records += 1
    out.flush()
    return counts


def _record(extraction: dict, meta: dict, versions: dict) -> dict:
    from crawler.record import build_article_record

    return build_article_record(
        extraction=extraction,
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
