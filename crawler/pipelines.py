"""Item pipelines: wire extraction to storage.

    CapturedPage --ExtractionPipeline--> page + extraction --StorePipeline--> shard + catalog
    FetchFailed  ------------------------------------------> StorePipeline --> catalog, outcome

Extraction (trafilatura, generic and per-site boilerplate rules) runs in worker
processes (`crawler.extract.pool`); the reactor only awaits. Learned site repeats need
the catalog, so they are applied here in the crawler process (`crawler.articles`).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from crawler.articles import ArticleSink
from crawler.extract.judgement import no_article_reason
from crawler.extract.pool import ExtractionPool
from crawler.extract.site_rules import rules_for, rules_from_settings
from crawler.extract.trafilatura_extractor import html_for
from crawler.items import CapturedPage, FetchFailed
from crawler.run import Outcome, archive_run_of
from crawler.store.disk import is_disk_full

logger = logging.getLogger(__name__)


class ExtractionPipeline:
    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.getbool("EXTRACT_ENABLED"):
            raise NotConfigured("EXTRACT_ENABLED is off")
        self.stats = crawler.stats
        self.run = archive_run_of(crawler)
        self.pool = ExtractionPool.from_settings(settings)
        self.site_rules = rules_from_settings(settings)
        self.run.on_close(self.pool.shutdown)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_item(self, item):
        if not isinstance(item, CapturedPage) or item.unchanged:
            return item
        refused = no_article_reason(item.status, item.content_type, item.body)
        if refused:
            item.note = refused
            self.stats.inc_value("extract/not_article")
            return item
        rules = rules_for(urlsplit(item.final_url).hostname, self.site_rules)
        result = await self.pool.extract(
            html_for(item.body, item.content_type), item.final_url, item.content_language, rules
        )
        if not result["ok"]:
            item.note = result["error"]
            item.extraction_failed = True
            self.stats.inc_value("extract/failed")
            logger.warning("extraction failed for %s: %s", item.final_url, result["error"])
            return item
        item.extraction = result["extraction"]
        item.note = no_article_reason(item.status, item.content_type, b"", item.extraction)
        if item.note:
            self.stats.inc_value("extract/no_text")
        return item


class StorePipeline:
    def __init__(self, crawler) -> None:
        self.stats = crawler.stats
        self.run = archive_run_of(crawler)
        self.sink = ArticleSink(self.run, crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item):
        if isinstance(item, FetchFailed):
            self.run.record_outcome(
                Outcome(
                    url=item.url, archived=False, reason=item.reason, http_status=item.http_status
                )
            )
            self.stats.inc_value("archive/failed")
            return item
        if not isinstance(item, CapturedPage):
            return item
        outcome = Outcome(
            url=item.url,
            archived=item.warc is not None or item.unchanged,
            reason=item.note,
            http_status=item.status,
            final_url=item.final_url,
            context_for=item.context_for,
        )
        if not outcome.archived:
            outcome.reason = "no WARC record was written for this response"
        elif item.extraction and item.extraction.get("text"):
            self._store_article(item, outcome)
        self.run.record_outcome(outcome)
        self.stats.inc_value("archive/archived" if outcome.archived else "archive/failed")
        item.body = b""  # the WARC has it; don't keep megabytes alive in Scrapy's item chain
        item.extraction = None
        return item

    def _store_article(self, item: CapturedPage, outcome: Outcome) -> None:
        """The article record of an archived page; the outcome says what became of it."""
        if self.run.disk.hit_already:  # the reserve's room is for closing the run
            outcome.reason = f"no article stored, the run stopped: {self.run.disk.message}"
            return
        try:
            record = self.sink.add(
                item.extraction,
                url=item.url,
                final_url=item.final_url,
                fetched_at=item.fetched_at,
                http_status=item.status,
                content_type=item.content_type,
                warc=item.warc,
                rights=item.rights,
            )
        except Exception as exc:
            if not is_disk_full(exc):
                raise
            self.run.disk.hit(exc, self.run.store.root)  # stops the crawl
            outcome.reason = f"no article stored: {self.run.disk.message}"
            return
        if record is None:
            outcome.reason = "no article: nothing left after boilerplate removal"
            return
        self.stats.inc_value("extract/articles")
        outcome.title = record["title"]
        outcome.word_count = record["word_count"]
        outcome.article_id = record["id"]
