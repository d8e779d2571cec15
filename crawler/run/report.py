"""What the user sees while a run goes and when it ends: a progress line on stderr and a
per-URL summary on stdout. Works the same under `crawler archive` and `scrapy crawl`."""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.health import health_lines
from crawler.run import ArchiveRun, archive_run_of
from crawler.run.manifest import count_reasons


def format_summary(run: ArchiveRun) -> str:
    lines = []
    for url in run.expected or list(run.outcomes):
        o = run.outcomes.get(url)
        if o is None:
            continue
        status = str(o.http_status) if o.http_status else "-"
        if o.archived:
            if o.article_id:
                what = f"{o.title or '(no title)'!r}, {o.word_count} words"
            else:
                what = o.reason or "no article"
            lines.append(f"archived  {status:>3}  {url}  {what}")
        else:
            lines.append(f"FAILED    {status:>3}  {url}  {o.reason}")
    counts = run.report["counts"] if run.report else {}
    lines.append(
        f"{counts.get('archived', 0)} archived ({counts.get('articles', 0)} with article text), "
        f"{counts.get('failed', 0)} failed; store {run.store.uri}; "
        f"run report runs/{run.crawl_id}.json"
    )
    if counts.get("already_archived") and "discovered" not in counts:
        lines.append(
            f"{counts['already_archived']} already archived in this store: skipped "
            "(--refetch fetches them again)"
        )
    if "discovered" in counts:
        lines += site_crawl_lines(run, counts)
    context = sum(1 for o in run.outcomes.values() if o.context_for and o.archived)
    if context:
        lines.append(
            f"site probe: {context} other articles archived as context "
            "(outcomes with context_for in the run report)"
        )
    lines += health_lines(run.report.get("site_health") if run.report else None)
    lines += [f"FAILED    {problem}" for problem in run.problems]
    if run.report and run.report.get("finish_reason") not in (None, "finished"):
        lines.append(f"run stopped early: {run.report['finish_reason']}")
    if counts.get("warc_write_errors"):
        lines.append(f"WARC write errors: {counts['warc_write_errors']} (see the log)")
    if run.upload_problem:
        lines.append(run.upload_problem)
    return "\n".join(lines)


def site_crawl_lines(run: ArchiveRun, counts: dict) -> list[str]:
    """What discovery found and what became of it. Every article URL discovered was
    archived, failed, already archived or skipped: the line says so and the parts add up;
    hub pages, feeds and sitemaps skipped are counted apart (they are not articles)."""
    articles = [s for s in run.skipped if s["kind"] == "article"]
    others = [s for s in run.skipped if s["kind"] != "article"]
    fetched = [o for o in run.outcomes.values() if not o.context_for]
    archived = sum(1 for o in fetched if o.archived)

    def reasons(skips: list[dict]) -> str:
        by_reason = count_reasons(skips)
        return f" ({', '.join(f'{k} {v}' for k, v in sorted(by_reason.items()))})" if skips else ""

    lines = [
        f"site crawl: {counts['discovered']} article URLs discovered = {archived} archived "
        f"+ {len(fetched) - archived} failed + {counts.get('already_archived', 0)} already "
        f"archived + {len(articles)} skipped{reasons(articles)}; "
        f"{counts.get('unchanged', 0)} of the archived unchanged (revisit)"
    ]
    if others:
        lines.append(
            f"site crawl: {len(others)} hub pages, feeds or sitemaps skipped{reasons(others)}"
        )
    return lines


class ArchiveReport:
    def __init__(self, crawler) -> None:
        if not crawler.settings.getbool("REPORT_ENABLED"):
            raise NotConfigured
        self.interval = crawler.settings.getfloat("REPORT_PROGRESS_INTERVAL")
        self.crawler = crawler
        self.run: ArchiveRun | None = None  # the run extension, found once all exist
        self.started = time.monotonic()
        self._loop: task.LoopingCall | None = None
        crawler.signals.connect(self._opened, signal=signals.spider_opened)
        crawler.signals.connect(self._stop_progress, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _opened(self, spider) -> None:
        self.run = archive_run_of(self.crawler)
        self.run.after_finish(self._print_summary)
        if self.interval > 0:
            self._loop = task.LoopingCall(self._progress)
            self._loop.start(self.interval, now=False)

    def _progress(self) -> None:
        done = len(self.run.outcomes)
        failed = len(self.run.failed)
        total = len(self.run.expected)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        of_total = f"/{total}" if total else ""
        print(
            f"progress: {done}{of_total} done, {done - failed} archived, {failed} failed, "
            f"{rate:.1f} pages/s",
            file=sys.stderr,
            flush=True,
        )

    def _stop_progress(self, spider) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()

    def _print_summary(self, run: ArchiveRun) -> None:
        print(format_summary(run), flush=True)
