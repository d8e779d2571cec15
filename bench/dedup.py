"""Export throughput with near-duplicate marking: `crawler export --dedup` on synthetic
records, articles per second, against the same export without it.

    python bench/dedup.py [--records 100000] [--words 350] [--copies 0.3] [--keep DIR]

Builds a store of --records article records (schema 3, in 10,000-record shards, with
their catalog rows): stories of about --words words from a Zipf-weighted vocabulary, a
share --copies of them near-duplicate copies of an earlier story (a few words edited, a
line added), the rest distinct. Then times, in this process, `crawler.export.export`:

1. plain JSONL export (no --dedup): the baseline;
2. --dedup mark with no index yet (every record shingled, MinHashed, queried, inserted);
3. --dedup mark again, incremental after 1% more records: the index is loaded from the
   store and only the new records are marked (what a scheduled feed does).

Prints wall and CPU seconds, articles/s, the cost per article of marking, the index
file's size, the clusters found, and peak RSS. CPU seconds are the figure to compare
on a shared machine (wall time there includes waiting for a core). Asserts nothing about timings.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawler.export import Dedup, export  # noqa: E402
from crawler.export.destination import LocalPublisher  # noqa: E402
from crawler.export.near_duplicates import DedupParams  # noqa: E402
from crawler.export.selection import Selection  # noqa: E402
from crawler.record import build_article_record  # noqa: E402
from crawler.store.catalog import open_catalog  # noqa: E402
from crawler.store.local import LocalStore  # noqa: E402
from crawler.store.sqlite_db import transaction  # noqa: E402
from settings import (  # noqa: E402
    EXPORT_DEDUP_NUM_PERM,
    EXPORT_DEDUP_SHINGLE_WORDS,
    EXPORT_DEDUP_THRESHOLD,
    STORE_SHARD_MAX_RECORDS,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
POOL = 5000


class Texts:
    """Synthetic story texts: Zipf-weighted words, a line break every ~50 words."""

    def __init__(self, seed: int, words: int) -> None:
        self.rng = np.random.default_rng(seed)
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        self.vocab = np.array(
            ["".join(self.rng.choice(letters, self.rng.integers(2, 10))) for _ in range(20000)]
        )
        weights = 1.0 / np.arange(1, len(self.vocab) + 1)
        self.p = weights / weights.sum()
        self.words = words
        # the stories copies are made of: the latest POOL, so the bench's own memory
        # stays small next to the export's
        self.stories: list[np.ndarray] = []

    def story(self) -> np.ndarray:
        n = int(self.rng.integers(self.words // 2, self.words * 3 // 2))
        return self.rng.choice(len(self.vocab), n, p=self.p)

    def copy_of(self, story: np.ndarray) -> np.ndarray:
        edited = story.copy()
        spots = self.rng.integers(0, len(edited), max(1, len(edited) // 100))
        edited[spots] = self.rng.choice(len(self.vocab), len(spots), p=self.p)
        return np.concatenate([self.rng.choice(len(self.vocab), 20, p=self.p), edited])

    def text(self, ids: np.ndarray) -> str:
        words = self.vocab[ids].tolist()
        return "\n".join(" ".join(words[i : i + 50]) for i in range(0, len(words), 50))


def build_store(root: Path, first: int, count: int, texts: Texts, copies: float) -> None:
    """Append `count` records (numbered from `first`) as closed shards with catalog rows."""
    store = LocalStore(root)
    catalog = open_catalog(store)
    try:
        for start in range(first, first + count, STORE_SHARD_MAX_RECORDS):
            end = min(start + STORE_SHARD_MAX_RECORDS, first + count)
            shard = f"articles/2026/01/01/bench-{start:09d}.jsonl.gz"
            records = []
            for n in range(start, end):
                if texts.stories and texts.rng.random() < copies:
                    ids = texts.copy_of(texts.stories[int(texts.rng.integers(len(texts.stories)))])
                else:
                    ids = texts.story()
                    texts.stories.append(ids)
                    del texts.stories[:-POOL]
                url = f"http://127.0.0.1/{n}.html"
                records.append(
                    build_article_record(
                        extraction={"text": texts.text(ids), "title": f"Story {n}"},
                        url=url,
                        final_url=url,
                        fetched_at=EPOCH + timedelta(seconds=n),
                        http_status=200,
                        content_type="text/html",
                        crawl_id="bench",
                        warc=None,
                        extractor={"trafilatura": "bench"},
                    )
                )
            path = store.path(shard)
            path.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as fh:
                fh.writelines(json.dumps(r) + "\n" for r in records)
            with transaction(catalog.db):
                for record in records:
                    catalog.add_article(record, shard)
            catalog.add_file(
                key=shard,
                kind="articles",
                crawl_id="bench",
                size=path.stat().st_size,
                sha256="0",
                records=len(records),
                closed_at=EPOCH.isoformat(),
            )
    finally:
        catalog.close()


def timed(label: str, store: LocalStore, dest: Path, **kwargs) -> dict:
    wall, cpu = time.perf_counter(), time.process_time()
    result = export(store, LocalPublisher(dest), Selection(), **kwargs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    n = result.manifest["record_count"] if result.manifest else 0
    line = {
        "run": label,
        "records": n,
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "articles_per_s": round(n / wall) if wall else None,
        # the machine may be shared: per CPU second is the figure that compares
        "articles_per_cpu_s": round(n / cpu) if cpu else None,
    }
    # ru_maxrss only grows: the peak so far, which is this run's when it is the largest
    line["peak_rss_mb_so_far"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if result.manifest and "dedup" in result.manifest:
        d = result.manifest["dedup"]
        line |= {"clusters": d["clusters"], "shared": d["clusters_with_several_records"]}
    print(json.dumps(line), flush=True)
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--words", type=int, default=350)
    parser.add_argument("--copies", type=float, default=0.3)
    parser.add_argument("--keep", type=Path, help="build the store here and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-dedup-"))
    try:
        texts = Texts(14, args.words)
        t = time.perf_counter()
        build_store(work / "store", 0, args.records, texts, args.copies)
        rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        print(
            f"built {args.records} records in {time.perf_counter() - t:.0f}s, {rss} MB", flush=True
        )
        store = LocalStore(work / "store")
        params = DedupParams(
            EXPORT_DEDUP_THRESHOLD, EXPORT_DEDUP_NUM_PERM, EXPORT_DEDUP_SHINGLE_WORDS
        )
        dedup = Dedup("mark", params)
        base = timed("plain", store, work / "plain")
        marked = timed("dedup mark, new index", store, work / "mark", dedup=dedup, incremental=True)
        more = max(1, args.records // 100)
        build_store(work / "store", args.records, more, texts, args.copies)
        timed("dedup mark, incremental", store, work / "mark", dedup=dedup, incremental=True)
        state = store.path(params.state_key)
        per_article = (marked["cpu_s"] - base["cpu_s"]) / args.records * 1000
        print(
            json.dumps(
                {
                    "marking_cpu_ms_per_article": round(per_article, 3),
                    "index_file_mb": round(state.stat().st_size / 2**20, 1),
                    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                }
            )
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
