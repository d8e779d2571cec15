"""From an extraction to a stored article record: learned repeats, record, version,
shard, catalog. Shared by the crawl pipelines and `crawler reextract`."""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.extract.repeats import LearnedRepeats
from crawler.extract.trafilatura_extractor import extractor_versions
from crawler.record import article_id, build_article_record
from crawler.run import ArchiveRun
from crawler.store.shards import ShardWriter


class ArticleSink:
    def __init__(self, run: ArchiveRun, settings) -> None:
        self.run = run
        self.versions = extractor_versions()
        self.repeats = None
        if settings.getbool("BOILERPLATE_REPEATS_ENABLED") and \
                settings.getbool("BOILERPLATE_ENABLED"):
            self.repeats = LearnedRepeats(
                run.catalog,
                min_articles=settings.getint("BOILERPLATE_REPEATS_MIN_ARTICLES"),
                min_count=settings.getint("BOILERPLATE_REPEATS_MIN_COUNT"),
                min_share=settings.getfloat("BOILERPLATE_REPEATS_MIN_SHARE"),
                max_article_share=settings.getfloat("BOILERPLATE_REPEATS_MAX_ARTICLE_SHARE"),
            )
        self.shards = ShardWriter(
            run.store, run.crawl_id,
            max_records=settings.getint("STORE_SHARD_MAX_RECORDS"),
            on_close=lambda key, size, sha, n: run.file_closed("articles", key, size, sha, n),
        )
        run.on_close(self.shards.close)

    def add(self, extraction: dict, *, url: str, final_url: str, fetched_at: str | None,
            http_status: int | None, content_type: str | None, warc: dict | None,
            only_if_changed: bool = False) -> dict | None:
        """Store one article; returns its record, or None when `only_if_changed` and the
        text equals the latest stored version's (or the text ended up empty)."""
        canonical = extraction.get("canonical_url") or final_url
        aid = article_id(canonical)
        if self.repeats is not None:
            self.repeats.apply_to_extraction(extraction, urlsplit(final_url).hostname, aid)
        if not extraction.get("text"):
            return None
        record = build_article_record(
            extraction=extraction, url=url, final_url=final_url, fetched_at=fetched_at,
            http_status=http_status, content_type=content_type, crawl_id=self.run.crawl_id,
            warc=warc, extractor=self.versions,
        )
        catalog = self.run.catalog
        latest = catalog.latest_article(record["id"])
        unchanged = latest is not None and latest["content_sha256"] == record["content_sha256"]
        if only_if_changed and unchanged:
            return None
        # Same text as the latest version: same number; changed text: one more.
        record["version"] = (1 if latest is None else
                             latest["version"] if unchanged else latest["version"] + 1)
        shard = self.shards.append(record)
        catalog.add_article(record, shard)
        return record
