"""Near-duplicate marking for the dataset feed: MinHash/LSH over word shingles of the
clean text (datasketch), incremental over the catalog.

Wire copy (AP, Reuters, AFP) reaches hundreds of sites with small edits. Each record
version gets a `cluster_id`: the id of the first-seen record whose estimated Jaccard
similarity of word shingles is at or above the threshold (EXPORT_DEDUP_THRESHOLD), else
its own id. LSH finds the candidates (no all-pairs comparison); their MinHash estimate
confirms them, so a chance band collision does not join two stories.

The index is kept with the store (`state/near-duplicates-*.npz`, beside the catalog; an
S3 store keeps it in its spool like the catalog): signatures, keys and clusters as plain
arrays (no pickle), rebuilt into an LSH on load. It covers the catalog's article versions
through its `through_seq`; the next export indexes only what came after.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass

import numpy as np

from crawler.export.formats import file_entry
from crawler.store.local import LocalStore

# mark: every record with its cluster_id; cluster: one record per cluster and export (the
# first-seen one), the members listed in clusters.jsonl.gz
DEDUP_MODES = ("mark", "cluster")
CLUSTERS_FILE = "clusters.jsonl.gz"
STATE_FOLDER = "state"
_SCHEME = "affine32"  # datasketch 2.x: 32-bit hash values, mixed (fmix) before permuting
_SEED = 1
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class DedupParams:
    threshold: float
    num_perm: int
    shingle_words: int

    @property
    def state_key(self) -> str:
        return (
            f"{STATE_FOLDER}/near-duplicates-j{self.threshold:.2f}-p{self.num_perm}"
            f"-w{self.shingle_words}.npz"
        )

    def describe(self) -> dict:
        return {
            "threshold": self.threshold,
            "num_perm": self.num_perm,
            "shingle_words": self.shingle_words,
            "method": "MinHash/LSH (datasketch) over word shingles of `text`, crc32 hashed",
        }


class DedupUnavailable(RuntimeError):
    pass


def datasketch():
    """The datasketch module (the `[dedup]` extra: it brings scipy, which only --dedup
    needs), or DedupUnavailable saying how to install it."""
    try:
        import datasketch as module
    except ImportError:
        raise DedupUnavailable(
            "--dedup needs datasketch: pip install 'news-archive-crawler[dedup]'"
        ) from None
    return module


def shingles(text: str, k: int) -> set[bytes]:
    """Word k-grams of `text`, case and punctuation folded (a short text: the whole)."""
    words = _WORD.findall(text.lower())
    if len(words) <= k:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


class NearDuplicateIndex:
    def __init__(self, params: DedupParams) -> None:
        self.params = params
        self.through_seq = 0
        ds = datasketch()
        self._minhash_class, self._lean = ds.MinHash, ds.LeanMinHash
        self._permutations = ds.MinHash(num_perm=params.num_perm, seed=_SEED).permutations
        # LSH tuned for recall (false negatives weigh 0.9): its false positives only cost
        # a MinHash comparison, which rejects them. On bench/near_duplicate_set.py at 0.8:
        # recall 0.75 -> 0.89 over datasketch's default weights, precision 1.0 either way
        self._lsh = ds.MinHashLSH(
            threshold=params.threshold, num_perm=params.num_perm, weights=(0.1, 0.9)
        )
        self._row: dict[str, int] = {}  # key -> row in _signatures / _clusters
        self._keys: list[str] = []
        self._clusters: list[str] = []
        self._signatures: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._keys)

    def cluster_of(self, key: str) -> str | None:
        row = self._row.get(key)
        return None if row is None else self._clusters[row]

    def _minhash(self, text: str):
        m = self._minhash_class(
            num_perm=self.params.num_perm,
            seed=_SEED,
            hashfunc=zlib.crc32,  # 2x sha1's speed; fmix spreads its bits (datasketch 2)
            permutations=self._permutations,
            scheme=_SCHEME,
        )
        m.update_batch(shingles(text, self.params.shingle_words))
        return self._lean(m)

    def mark(self, key: str, text: str, record_id: str) -> str:
        """The cluster of the record version `key` (marked once; later calls look it up)."""
        known = self.cluster_of(key)
        if known is not None:
            return known
        m = self._minhash(text)
        cluster = record_id
        best = None
        for candidate in self._lsh.query(m):
            row = self._row[candidate]
            other = self._lean(seed=_SEED, hashvalues=self._signatures[row], scheme=_SCHEME)
            if m.jaccard(other) >= self.params.threshold and (best is None or row < best):
                best = row
        if best is not None:
            cluster = self._clusters[best]
        self._add(key, m, cluster)
        return cluster

    def _add(self, key: str, m, cluster: str) -> None:
        self._lsh.insert(key, m, check_duplication=False)
        self._row[key] = len(self._keys)
        self._keys.append(key)
        self._clusters.append(cluster)
        self._signatures.append(np.asarray(m.hashvalues, dtype=np.uint32))

    # -- persistence -------------------------------------------------------------------

    def save(self, store: LocalStore) -> None:
        buffer = io.BytesIO()
        signatures = (
            np.vstack(self._signatures)
            if self._signatures
            else np.zeros((0, self.params.num_perm), dtype=np.uint32)
        )
        meta = {**self.params.describe(), "through_seq": self.through_seq}
        np.savez_compressed(
            buffer,
            meta=np.array(json.dumps(meta)),
            keys=np.array(self._keys, dtype=str),
            clusters=np.array(self._clusters, dtype=str),
            signatures=signatures,
        )
        store.write_atomic(self.params.state_key, buffer.getvalue())

    @classmethod
    def load(cls, store: LocalStore, params: DedupParams) -> NearDuplicateIndex:
        """The index kept in `store` for `params`, or an empty one."""
        index = cls(params)
        path = store.path(params.state_key)
        if not path.exists():
            return index
        with np.load(path, allow_pickle=False) as data:
            index.through_seq = int(json.loads(str(data["meta"]))["through_seq"])
            keys, clusters = data["keys"].tolist(), data["clusters"].tolist()
            signatures = data["signatures"]
        with index._lsh.insertion_session() as session:
            for row, key in enumerate(keys):
                m = index._lean(seed=_SEED, hashvalues=signatures[row], scheme=_SCHEME)
                session.insert(key, m, check_duplication=False)
                index._row[key] = row
        index._keys, index._clusters = keys, clusters
        index._signatures = list(signatures)
        return index


class ClusterFold:
    """The members of each cluster met in one export; in `cluster` mode, which records
    are written (the first of their cluster in the export)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.members: dict[str, list[dict]] = {}

    def add(self, record: dict) -> bool:
        """Note `record` (which has its cluster_id); whether to write it."""
        members = self.members.setdefault(record["cluster_id"], [])
        members.append({"id": record["id"], "version": record["version"]})
        return self.mode != "cluster" or len(members) == 1

    def folded(self) -> int:
        return sum(len(m) - 1 for m in self.members.values())

    def write(self, folder) -> dict:
        """clusters.jsonl.gz: one line per cluster of the export, its written record first;
        the manifest's file entry."""
        path = folder / CLUSTERS_FILE
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
            for cluster_id, members in self.members.items():
                line = {"cluster_id": cluster_id, "written": members[0], "members": members}
                fh.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
        return file_entry(path, "clusters", len(self.members))


def version_key(record_or_row: dict) -> str:
    """One article version: the unit the index marks."""
    return f"{record_or_row['id']}/{record_or_row['version']}"
