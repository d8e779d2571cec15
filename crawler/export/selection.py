"""Which article records an export contains, from the catalog's `articles` table.

- One record per article version: the capture where that text first appeared (a refetch
  with unchanged text is the same version and is not exported twice).
- `--since` / `--until` filter on `fetched_at` (capture time, always present and in the
  crawler's own clock; `published` is often missing or wrong on news pages). `since` is
  inclusive, `until` exclusive; both are read by `crawler.timebounds.parse_time_bound`.
- `--site` keeps a host and its subdomains.
- Unless `all_versions`, only the newest version of each article among those selected.
- `exclude_reserved` / `exclude_paywalled` leave records out as they are read
  (`crawler.export.exclusions`); they are part of the selection an incremental
  destination keeps.
- The watermark is the catalog's `articles.seq`: an export covers (after_seq, through_seq],
  where through_seq stops before the first record still in a shard being written.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from dateutil import parser as dateparser

from crawler.store.catalog import Catalog
from crawler.urls import host_in_domains


@dataclass(frozen=True)
class Selection:
    since: datetime | None = None
    until: datetime | None = None
    site: str | None = None
    all_versions: bool = False
    exclude_reserved: bool = False
    exclude_paywalled: bool = False

    def describe(self) -> dict:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "site": self.site,
            "all_versions": self.all_versions,
            "exclude_reserved": self.exclude_reserved,
            "exclude_paywalled": self.exclude_paywalled,
        }

    def incremental_key(self) -> tuple:
        """What must stay the same between incremental exports to one destination: the
        records the watermark passed were chosen with it."""
        return (self.site, self.all_versions, self.exclude_reserved, self.exclude_paywalled)


@dataclass
class Selected:
    rows: list[dict]  # catalog rows, seq order
    after_seq: int
    through_seq: int
    pending: int  # records not yet exportable (their shard is still open)


def _fetched(row: dict) -> datetime | None:
    try:
        value = dateparser.isoparse(row["fetched_at"])
    except (ValueError, TypeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def select(
    catalog: Catalog, selection: Selection, after_seq: int = 0, skip_shards: Collection[str] = ()
) -> Selected:
    """The rows `selection` picks after `after_seq`; those in `skip_shards` (damaged
    shards no writer will close) are left out, and do not hold the later ones back."""
    through_seq, pending = catalog.exportable_through_seq(skip_shards)
    rows = catalog.first_record_of_each_version(after_seq, through_seq)
    kept = []
    for row in rows:
        if row["shard"] in skip_shards:
            continue
        if selection.site and not host_in_domains(row["site"], [selection.site]):
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
