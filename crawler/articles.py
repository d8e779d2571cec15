"""From an extraction to a stored article record: learned repeats, record, version,
shard, catalog. Shared by the crawl pipelines and `crawler reextract`."""

from __future__ import annotations

from urllib.parse import urlsplit

from crawler.extract.repeats import LearnedRepeats
from crawler.extract.trafilatura_extractor import extractor_versions
from crawler.health import SiteHealth
from crawler.record import article_id, build_article_record
from crawler.run import ArchiveRun
from crawler.store.shards import ShardWriter

# Records kept in memory for the end-of-run re-clean (`ArticleSink.reclean`): bounds the
# memory of a run over very many young sites (each record is its text, ~10 KB).
RECLEAN_MAX_RECORDS = 5000
RECLEAN_REASON = "re-cleaned at the end of the run: site template learned from later articles"


class ArticleSink:
    def __init__(self, run: ArchiveRun, settings) -> None:
        self.run = run
        self.versions = extractor_versions()
        self.repeats = None
        if settings.getbool("BOILERPLATE_REPEATS_ENABLED") and settings.getbool(
            "BOILERPLATE_ENABLED"
        ):
            self.repeats = LearnedRepeats(
                run.catalog,
                min_articles=settings.getint("BOILERPLATE_REPEATS_MIN_ARTICLES"),
                min_count=settings.getint("BOILERPLATE_REPEATS_MIN_COUNT"),
                min_share=settings.getfloat("BOILERPLATE_REPEATS_MIN_SHARE"),
                max_article_share=settings.getfloat("BOILERPLATE_REPEATS_MAX_ARTICLE_SHARE"),
                min_pages=settings.getint("BOILERPLATE_REPEATS_MIN_PAGES"),
                batch=settings.getint("BOILERPLATE_REPEATS_BATCH"),
            )
        # (extraction before learned repeats, where it came from, the record written) of
        # articles stored while their site had fewer than min_articles articles
        self._early: list[tuple[dict, dict, dict]] = []
        self.health = SiteHealth(run.catalog)
        run.add_report_section("site_health", lambda: self.health.report(run.crawl_id))
        self.shards = ShardWriter(
            run.store,
            run.crawl_id,
            node_id=run.node_id,
            max_records=settings.getint("STORE_SHARD_MAX_RECORDS"),
            on_close=lambda key, size, sha, n: run.file_closed("articles", key, size, sha, n),
        )
        run.on_close(self.close)

    def add(
        self,
        extraction: dict,
        *,
        url: str,
        final_url: str,
        fetched_at: str | None,
        http_status: int | None,
        content_type: str | None,
        warc: dict | None,
        only_if_changed: bool = False,
        rights: dict | None = None,
    ) -> dict | None:
        """Store one article; returns its record, or None when `only_if_changed` and the
        text equals the latest stored version's (or the text ended up empty)."""
        origin = {
            "url": url,
            "final_url": final_url,
            "fetched_at": fetched_at,
            "http_status": http_status,
            "content_type": content_type,
            "warc": warc,
            "rights": rights,
        }
        before = None
        site = urlsplit(final_url).hostname
        if self.repeats is not None and site:
            before = dict(extraction)  # apply_to_extraction replaces, never mutates, values
            aid = article_id(extraction.get("canonical_url") or final_url)
            self.repeats.apply_to_extraction(extraction, site, aid)
            if (
                self.repeats.stats.site_article_count(site) >= self.repeats.min_articles
                or len(self._early) >= RECLEAN_MAX_RECORDS
            ):
                before = None
        record = self._store(extraction, origin, only_if_changed)
        if record is not None and before is not None:
            self._early.append((before, origin, record))
        return record

    def _store(self, extraction: dict, origin: dict, only_if_changed: bool) -> dict | None:
        if not extraction.get("text"):
            return None
        record = build_article_record(
            extraction=extraction, crawl_id=self.run.crawl_id, extractor=self.versions, **origin
        )
        catalog = self.run.catalog
        latest = catalog.latest_article(record["id"])
        unchanged = latest is not None and latest["content_sha256"] == record["content_sha256"]
        if only_if_changed and unchanged:
            return None
        # Same text as the latest version: same number; changed text: one more, claimed
        # in the catalog (another node may be storing another text of it right now).
        record["version"] = catalog.claim_version(record["id"], record["content_sha256"])
        shard = self.shards.append(record)
        catalog.add_article(record, shard)
        self.health.add(record)
        return record

    def reclean(self) -> int:
        """Articles stored before their site's template was learned, cleaned again with
        what the whole run learned: a new version where the text changes, the blocks it
        removes marked with `reason`. Returns how many new versions were written."""
        if self.repeats is None or self.run.disk.hit_already:  # no room left for more
            return 0
        self.repeats.flush()
        written = 0
        for before, origin, stored in self._early:
            paragraphs = before["text"].split("\n")
            paths = before.get("paragraph_paths")
            kept, removed = self.repeats.apply(
                urlsplit(origin["final_url"]).hostname,
                paragraphs,
                paths if paths and len(paths) == len(paragraphs) else None,
            )
            if "\n".join(kept) == stored["text"]:
                continue
            already = {r.get("text") for r in stored["boilerplate_removed"]}
            removed = [
                r if r["text"] in already else {**r, "reason": RECLEAN_REASON} for r in removed
            ]
            extraction = {
                **before,
                "text": "\n".join(kept),
                "boilerplate_removed": list(before.get("boilerplate_removed") or []) + removed,
            }
            record = self._store(extraction, origin, only_if_changed=True)
            if record is not None:
                written += 1
                self.run.article_recleaned(record)
        self._early.clear()
        return written

    def close(self) -> None:
        try:
            self.reclean()
        finally:
            if self.repeats is not None:
                self.repeats.flush()
            self.shards.close()
