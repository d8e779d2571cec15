"""`crawler schedule`: run every configured site on its own cron schedule.

Cron expressions are parsed and iterated by croniter (5 fields; or 6 with seconds
first, for tests and very busy sites). Each run is its own process (`crawler crawl
<site file>`), so one site's crash or memory use never touches another's. A site never
runs twice at once: the scheduler skips a due run while the previous one is alive,
and the child itself holds an flock on `<store>/locks/<site>.lock`, which the kernel
releases when the process dies, so a crashed run cannot leave the site locked and two
schedulers (or a manual `crawler crawl`) cannot overlap either.

SIGTERM/SIGINT: stop starting runs, pass SIGTERM to running children (Scrapy finishes
the responses in flight, closes the WARC and shard files and writes the manifest),
wait for them, exit 0.

This is the one-machine scheduler. With many nodes, `crawler schedule --frontier` queues
due occurrences in Redis (crawler/scale/site_schedule.py) and `crawler worker` runs them
under a site lease (crawler/scale/site_work.py); the cron rules below serve both.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from croniter import croniter

logger = logging.getLogger("crawler.scheduler")


class CronError(ValueError):
    pass


def parse_cron(expression: str) -> str:
    """The expression if croniter accepts it (5 fields, or 6 with seconds first)."""
    if not isinstance(expression, str) or len(expression.split()) not in (5, 6):
        raise CronError("5 fields (minute hour day month weekday), or 6 with seconds first")
    try:
        _iter(expression, datetime.now(UTC))
    except (ValueError, KeyError) as exc:
        raise CronError(str(exc)) from exc
    return expression


def _iter(expression: str, start: datetime) -> croniter:
    seconds_first = len(expression.split()) == 6
    return croniter(expression, start, second_at_beginning=seconds_first)


def next_time(expression: str, after: datetime) -> datetime:
    return _iter(expression, after).get_next(datetime)


def previous_time(expression: str, now: datetime) -> datetime:
    """The latest time the schedule fired before `now`: the occurrence that is due."""
    return _iter(expression, now).get_prev(datetime)


def site_crawl_id(site: str, now: datetime | None = None) -> str:
    """A new crawl id for one run of `site`: when it started, the site, a random part."""
    now = now or datetime.now(UTC)
    return f"{f'{now:%Y%m%dT%H%M%S}Z-{site}'[:64]}-{os.urandom(2).hex()}"


class SiteLock:
    """An exclusive, non-blocking flock per site; released by the kernel on any exit."""

    def __init__(self, folder: Path, site: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{site}.lock"
        self._fh = None

    def acquire(self) -> bool:
        fh = open(self.path, "a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        self._fh = fh
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "unknown"
        except OSError:
            return "unknown"

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


@dataclass
class ScheduledSite:
    name: str
    path: Path
    cron: str
    last_started: datetime | None = None
    next_due: datetime | None = None
    process: subprocess.Popen | None = None
    crawl_id: str | None = None
    started_at: float = 0.0
    history: list[dict] = field(default_factory=list)


class Scheduler:
    """Runs `crawler crawl` child processes on each site's cron schedule."""

    def __init__(
        self,
        sites: list[ScheduledSite],
        *,
        store_root: Path,
        child_args: list[str],
        poll: float = 0.5,
    ) -> None:
        self.sites = sites
        self.store_root = store_root
        self.state_dir = store_root / "schedule"
        self.child_args = child_args  # --store ..., -s ..., passed to every crawl
        self.poll = poll
        self.stopping = False
        self.state_dir.mkdir(parents=True, exist_ok=True)
        for site in sites:
            site.last_started = self._load_last_started(site.name)

    # -- state: when did each site last start (survives scheduler restarts) ------------

    def _state_path(self, name: str) -> Path:
        return self.state_dir / f"{name}.json"

    def _load_last_started(self, name: str) -> datetime | None:
        try:
            data = json.loads(self._state_path(name).read_text())
            return datetime.fromisoformat(data["last_started"])
        except (OSError, ValueError, KeyError):
            return None

    def _save_state(self, site: ScheduledSite, **extra) -> None:
        data = {
            "site": site.name,
            "file": str(site.path),
            "last_started": site.last_started.isoformat() if site.last_started else None,
            **extra,
        }
        tmp = self._state_path(site.name).with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        os.replace(tmp, self._state_path(site.name))

    # -- running ------------------------------------------------------------------------

    def due_now(self, now: datetime) -> list[ScheduledSite]:
        """Sites whose next cron time after their last start has come (never run: due)."""
        due = []
        for site in self.sites:
            if site.last_started is None or next_time(site.cron, site.last_started) <= now:
                due.append(site)
        return due

    def start(self, site: ScheduledSite) -> None:
        now = datetime.now(UTC)
        site.crawl_id = site_crawl_id(site.name, now)
        args = [
            sys.executable,
            "-m",
            "crawler.cli",
            "crawl",
            str(site.path),
            *self.child_args,
            "-s",
            f"CRAWL_ID={site.crawl_id}",
        ]
        site.last_started = now
        site.started_at = time.monotonic()
        self._save_state(site, crawl_id=site.crawl_id)
        site.process = subprocess.Popen(args)
        logger.info("site %s: run %s started (pid %d)", site.name, site.crawl_id, site.process.pid)

    def reap(self, site: ScheduledSite) -> None:
        code = site.process.poll()
        if code is None:
            return
        took = time.monotonic() - site.started_at
        counts = _manifest_counts(self.store_root, site.crawl_id)
        entry = {
            "crawl_id": site.crawl_id,
            "exit": code,
            "seconds": round(took, 1),
            "counts": counts,
        }
        site.history.append(entry)
        self._save_state(site, last_exit=code, last_crawl_id=site.crawl_id, last_counts=counts)
        logger.info(
            "site %s: run %s finished, exit %d, %.1f s, counts %s",
            site.name,
            site.crawl_id,
            code,
            took,
            json.dumps(counts, sort_keys=True),
        )
        site.process = None

    def run(self, *, once: bool, max_runs: int | None = None) -> int:
        """Loop until stopped (or, with `once`, until what was due has finished)."""
        installed = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        started = 0
        try:
            if once:
                for site in self.due_now(datetime.now(UTC)):
                    self.start(site)
                    started += 1
                if not started:
                    logger.info("no site is due")
            while True:
                now = datetime.now(UTC)
                for site in self.sites:
                    if site.process is not None:
                        self.reap(site)
                if self.stopping or once or (max_runs is not None and started >= max_runs):
                    if all(s.process is None for s in self.sites):
                        break
                    time.sleep(self.poll)
                    continue
                for site in self.due_now(now):
                    if site.process is not None:
                        # Still running when due again: skip this occurrence, never overlap.
                        logger.info(
                            "site %s: due again while run %s is still going; skipped",
                            site.name,
                            site.crawl_id,
                        )
                        site.last_started = now
                        continue
                    self.start(site)
                    started += 1
                time.sleep(self.poll)
        finally:
            for sig, handler in installed.items():
                signal.signal(sig, handler)
        failed = [h for s in self.sites for h in s.history if h["exit"] != 0]
        return 1 if failed else 0

    def _on_signal(self, signum, frame) -> None:
        if self.stopping:
            return
        self.stopping = True
        logger.info(
            "signal %d: no new runs; letting %d running crawl(s) finish",
            signum,
            sum(s.process is not None for s in self.sites),
        )
        for site in self.sites:
            if site.process is not None and site.process.poll() is None:
                site.process.send_signal(signal.SIGTERM)


def _catalog_counts(store_root: Path, crawl_id: str) -> dict | None:
    import sqlite3

    from crawler.store.catalog import SchemaVersionError, catalog_exists, open_catalog

    if not catalog_exists(store_root):
        return None
    try:
        catalog = open_catalog(store_root)
    except (sqlite3.Error, SchemaVersionError):
        return None  # the counts are a courtesy: never fail the scheduler for them
    try:
        return catalog.run_report(crawl_id)
    finally:
        catalog.close()


def _manifest_counts(store_root: Path, crawl_id: str | None) -> dict:
    if not crawl_id:
        return {}
    try:
        counts = json.loads((store_root / "runs" / f"{crawl_id}.json").read_text()).get(
            "counts", {}
        )
    except (OSError, ValueError):
        # An s3:// store drops the spool copy once the manifest is uploaded; the
        # catalog keeps the run's counts.
        counts = _catalog_counts(store_root, crawl_id)
        if counts is None:
            return {"manifest": "missing"}
    keep = (
        "archived",
        "articles",
        "failed",
        "skipped",
        "already_archived",
        "unchanged",
        "discovered",
    )
    return {k: counts[k] for k in keep if k in counts}
