"""One crawl run: the `ArchiveRun` extension and what it records.

archive_run.py  the run itself: store, catalog, uploads, outcomes, files, captures
outcome.py      what happened to one URL
manifest.py     the closing manifest `runs/<crawl-id>.json`
"""

from crawler.run.archive_run import ArchiveRun, archive_run_of, new_crawl_id, utcnow_iso
from crawler.run.outcome import Outcome

__all__ = ["ArchiveRun", "Outcome", "archive_run_of", "new_crawl_id", "utcnow_iso"]
