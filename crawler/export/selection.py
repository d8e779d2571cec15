"""Which article records an export contains, from the catalog's `articles` table.

- One record per article version: the capture where that text first appeared (a refetch
  with unchanged text is the same version and is not exported twice).
- `--since` / `--until` filter on `fetched_at` (capture time, always present and in the
  crawler's own clock; `published` is often missing or wrong on news pages). `since` is
  inclusive, `until` exclusive; a bare date means 00:00 UTC of that day.
- `--site` keeps a host and its subdomains.
- Unless `all_versions`, only the newest version of each article among those selected.
- The watermark is the catalog's `articles.seq`: an export covers (after_seq, through_seq],
  where through_seq stops before the first record still in a shard being written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from dateutil import parser as dateparser

from crawler.store.catalog import Catalog

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class SelectionError(ValueError):
    """A --since/--until/--site value cannot be used; the message says why."""


def parse_time_bound(text: str, *, now: datetime | None = None, flag: str = "--since"
                     ) -> datetime:
    """`2026-11-20`, `2026-11-20T08:00:00+01:00`, or relative `30m`, `12h`, `2d`, `1w`
    (that long before now) -> an aware UTC datetime."""
    now = now or datetime.now(UTC)
    match = _RELATIVE.match(text or "")
    if match:
        return now - timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
            day = date.fromisoformat(text.strip())
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = dateparser.isoparse(text.strip())
    except (ValueError, OverflowError, AttributeError):
        raise SelectionError(
            f"{flag} {text!r} is not a date: use an ISO date (2026-11-20), an ISO time "
            "(2026-11-20T08:00:00+01:00) or an age such as 30m, 12h, 2d, 1w") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class Selection:
    since: datetime | None = None
    until: datetime | None = None
    site: str | None = None
    all_versions: bool = False

    def describe(self) -> dict:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "site": self.site, "all_versions": self.all_versions}


@dataclass
class Selected:
    rows: list[dict]  # catalog rows, seq order
    after_seq: int
    through_seq: int
    pending: int  # records not yet exportable (their shard is still open)


def _host_matches(host: str | None, site: str) -> bool:
    host = (host or "").lower()
    return host == site or host.endswith("." + site)


def _fetched(row: dict) -> datetime | None:
    try:
        value = dateparser.isoparse(row["fetched_at"])
    except (ValueError, TypeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def select(catalog: Catalog, selection: Selection, after_seq: int = 0) -> Selected:
    through_seq, pending = catalog.exportable_through_seq()
    rows = catalog.first_record_of_each_version(after_seq, through_seq)
    site = selection.site.lower().strip(".") if selection.site else None
    kept = []
    for row in rows:
        if site and not _host_matches(row["site"], site):
            continue
        if selection.since or selection.until:
            fetched = _fetched(row)
            if fetched is None:
                continue
            if selection.since and fetched < selection.since:
                continue
            if selection.until and fetched >= selection.until:
                continue
        kept.append(row)
    if not selection.all_versions:
        newest: dict[str, dict] = {}
        for row in kept:
            best = newest.get(row["id"])
            if best is None or (row["version"], row["seq"]) > (best["version"], best["seq"]):
                newest[row["id"]] = row
        kept = sorted(newest.values(), key=lambda r: r["seq"])
    return Selected(kept, after_seq, max(through_seq, after_seq), pending)
