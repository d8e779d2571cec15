"""Re-extraction (`crawler reextract`): the extraction + boilerplate stage again over the
WARC records a store already holds, callable without argparse. The WARC is the source
of truth; every article whose text changes gets a new version, as a run of its own
(`runs/<crawl-id>.json`)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit


@dataclass
class ReextractResult:
    counts: dict[str, int]  # captures, new_versions, unchanged, failed
    crawl_id: str
    upload_problem: str | None  # an s3:// store's files left pending, or None


def reextract(
    store,
    settings,
    *,
    site: str | None,
    since: datetime | None,
    on_failed: Callable[[str, str], None],
) -> ReextractResult:
    """Re-derive the article of the latest HTML capture of every URL (of `site` and its
    subdomains, fetched at or after `since`, when given) in `store`, whose catalog must
    exist. `on_failed(url, error)` for each capture that could not be read or extracted.
    Raises SiteConfigError (before any work) for a bad site config."""
    from crawler.articles import ArticleSink
    from crawler.extract.pool import ExtractionPool
    from crawler.extract.site_rules import rules_from_settings
    from crawler.run import ArchiveRun

    site_rules = rules_from_settings(settings)
    run = ArchiveRun.open(
        settings, store=store, command="crawler reextract", arguments={"site": site, "since": since}
    )
    captures = run.catalog.latest_html_captures(site, since)
    pool = ExtractionPool.from_settings(settings)
    run.on_close(pool.shutdown)
    sink = ArticleSink(run, settings)
    counts = {"captures": len(captures), "new_versions": 0, "unchanged": 0, "failed": 0}
    jobs = _jobs(captures, store, pool.max_bytes, site_rules)
    for cap, result in zip(captures, pool.map_ordered(jobs), strict=True):
        if cap.get("read_error") or not result["ok"]:
            counts["failed"] += 1
            on_failed(cap["url"], cap.get("read_error") or result["error"])
            continue
        stored = sink.add(
            result["extraction"],
            url=cap["requested_url"] or cap["url"],
            final_url=cap["url"],
            fetched_at=cap["fetched_at"],
            http_status=cap["status"],
            content_type=cap["content_type"],
            warc={
                "filename": cap["warc_file"],
                "offset": cap["warc_offset"],
                "length": cap["warc_length"],
                "record_id": cap["record_id"],
                "payload_digest": cap["payload_digest"],
            },
            only_if_changed=True,
        )
        counts["new_versions" if stored else "unchanged"] += 1
    run.finish("finished", stats=counts)
    return ReextractResult(counts, run.crawl_id, run.upload_problem)


def _jobs(captures: list[dict], store, max_bytes: int, site_rules: list) -> Iterator[tuple]:
    """The pool's jobs, one per capture, read back from the WARC with one range read; a
    capture that cannot be read gets an empty body and its `read_error`."""
    from crawler.capture.warc_reader import parse_record_member
    from crawler.extract.site_rules import rules_for
    from crawler.extract.trafilatura_extractor import html_for

    for cap in captures:
        try:
            record = parse_record_member(
                store.read_range(cap["warc_file"], cap["warc_offset"], cap["warc_length"])
            )
            body = record.content_stream().read(max_bytes + 1)
        except (OSError, EOFError, gzip.BadGzipFile, ValueError, *_s3_read_errors()) as exc:
            body = b""
            cap["read_error"] = f"cannot read WARC record: {exc}"
        lang = record.http_headers.get_header("Content-Language") if body else None
        if body:
            body = html_for(body, record.http_headers.get_header("Content-Type"))
        yield body, cap["url"], lang, rules_for(urlsplit(cap["url"]).hostname, site_rules)


def _s3_read_errors() -> tuple[type[BaseException], ...]:
    # A ranged GET that fails is a failed capture, like an unreadable local file.
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)
