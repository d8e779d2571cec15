"""The run manifest `runs/<crawl-id>.json`: arguments, start/end, counts, outcomes, skips
and every file written with its SHA-256. Built from the run's state; written by the run."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import asdict

import crawler as crawler_pkg


def build_manifest(
    run,
    *,
    reason: str,
    stats: dict,
    close_errors: list[str],
    upload_report: dict | None,
    sections: dict,
) -> dict:
    """`sections`: the parts components added (`ArchiveRun.add_report_section`)."""
    outcomes = run.outcomes.values()
    return {
        "crawl_id": run.crawl_id,
        "command": run.command,
        "arguments": run.arguments,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "finish_reason": reason,
        "store": run.store.uri,
        **(
            {"spool": run.store.spool_uri, "upload": upload_report}
            if upload_report is not None
            else {}
        ),
        "host": socket.gethostname(),
        "node": run.node_id,
        "pid": os.getpid(),
        "software": software_versions(),
        "counts": {
            "requested": len(run.outcomes),
            "archived": sum(o.archived for o in outcomes),
            "failed": sum(not o.archived for o in outcomes),
            "articles": sum(bool(o.article_id) for o in outcomes),
            "warc_write_errors": stats.get("warc/write_errors", 0),
            "skipped": len(run.skipped),
            **run.counts,
        },
        "problems": run.problems,
        "skipped_by_reason": count_reasons(run.skipped),
        "skipped": run.skipped,
        "close_errors": close_errors,
        "repaired_files": run.repaired,
        "files": run.files,
        "outcomes": [asdict(o) for o in outcomes],
        "stats": stats,
        **sections,
    }


def count_reasons(skipped: list[dict]) -> dict[str, int]:
    """Skips by the family of their reason (the part before the first colon)."""
    counts: dict[str, int] = {}
    for entry in skipped:
        family = entry["reason"].split(":", 1)[0]
        counts[family] = counts.get(family, 0) + 1
    return counts


def software_versions() -> dict[str, str]:
    from importlib.metadata import version

    import scrapy
    import trafilatura

    return {
        "crawler": crawler_pkg.__version__,
        "scrapy": scrapy.__version__,
        "trafilatura": trafilatura.__version__,
        "warcio": version("warcio"),
        "python": sys.version.split()[0],
    }
