"""Text quality and speed benchmark: our extraction against plain trafilatura.

    python bench/quality.py [--workers N] [--data DIR] [--limit N] [--rounds R]
                            [--timeout S] [--json OUT] [--diff]

Two systems, each in the project's worker pool (`ExtractionPool`: forkserver workers,
per-document timeout, same worker count), over the third-party pages in ../shared/bench:
  trafilatura  trafilatura.extract_with_metadata(html, url, include_comments=False,
               include_tables=True, deduplicate=False): extract()'s plain-text output plus the
               metadata, i.e. the same parameters as ours (with_metadata included);
  ours         crawler.extract extract_html (trafilatura + our boilerplate stage).
Figures, side by side:
  - trafilatura-realworld: must-include / must-exclude snippets (exact substrings of the
    plain text, as in trafilatura's own tests), pages passing all of them, metadata checks;
  - Readability/WCEB: precision / recall / F1 of 4-token shingles (multisets) against the
    gold `articleBody`, macro- and micro-averaged;
  - speed over all pages of both sets: docs/s (wall clock) and worker CPU ms/doc, the
    median of R timed passes after an untimed warm-up pass.
It prints a verdict per figure and asserts nothing. See bench/README.md.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import signal
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as `python bench/quality.py` from anywhere
    sys.path.insert(0, str(REPO))

from bench.corpora import GoldIndex, load_gold_pages, tokens  # noqa: E402
from crawler.extract.pool import ExtractionPool, ExtractionTimeout  # noqa: E402

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "bench"
SYSTEMS = ("trafilatura", "ours")
SHINGLE = 4
SPEED_TOLERANCE = 0.15  # ours may be at most this much slower
# Metadata fields as trafilatura names them, in the order they are printed.
META_FIELDS = ("title", "author", "date", "description", "sitename", "url", "categories", "tags")
TRAFILATURA_PARAMS = dict(include_comments=False, include_tables=True, deduplicate=False)


# -- the pages ------------------------------------------------------------------------------


@dataclass
class Page:
    dataset: str  # "realworld", or a gold corpus: "l3s-gn1", "dragnet", "readability"
    id: str  # file name (realworld) or the corpus' page id
    url: str | None
    html: bytes
    must_include: list[str] = field(default_factory=list)
    must_exclude: list[str] = field(default_factory=list)
    meta_checks: list[dict] = field(default_factory=list)
    gold: str | None = None  # the gold article text (gold corpora)

    @property
    def has_text_checks(self) -> bool:
        return bool(self.must_include or self.must_exclude)


def load_realworld(root: Path, limit: int | None) -> list[Page]:
    """Every cache/*.html page with its checks from expectations.json (some pages have none:
    they still count for speed)."""
    expectations = json.loads((root / "expectations.json").read_text(encoding="utf-8"))
    pages: dict[str, Page] = {}
    for path in sorted((root / "cache").glob("*.html"))[:limit]:
        pages[path.name] = Page("realworld", path.name, None, path.read_bytes())
    for url, entry in expectations["content"].items():
        if page := pages.get(entry["file"]):
            page.url = url
            page.must_include += entry["must_include"]
            page.must_exclude += entry["must_exclude"]
    for url, entry in expectations["metadata"].items():
        if page := pages.get(entry["file"]):
            page.url = page.url or url
            page.meta_checks += entry["checks"]
    return list(pages.values())


def load_pages(data: Path, limit: int | None) -> list[Page]:
    """The realworld pages (checks only, never trained on: all of them) and the validation
    part of the gold corpora (bench/corpora.py: the split the block model never sees)."""
    pages: list[Page] = []
    if (data / "trafilatura-realworld" / "expectations.json").is_file():
        pages += load_realworld(data / "trafilatura-realworld", limit)
    per_dataset: Counter = Counter()
    for gp in load_gold_pages(data):
        if gp.validation and (limit is None or per_dataset[gp.dataset] < limit):
            per_dataset[gp.dataset] += 1
            pages.append(Page(gp.dataset, gp.id, gp.url, gp.html, gold=gp.gold))
    return pages


# -- the baseline worker ----------------------------------------------------------------------


def _strip_yaml_header(text: str) -> str:
    """extract_with_metadata() puts the metadata in a '---' YAML header before the text;
    every header value is on one line (trafilatura quotes multi-line values)."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end >= 0:
            text = text[end + len("\n---\n") :]
    return text.strip()


def run_baseline(
    html: bytes, url: str | None, content_language: str | None, timeout: float
) -> dict:
    """Worker entry point for plain trafilatura, shaped like pool.run_extraction's result."""
    import trafilatura

    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        doc = trafilatura.extract_with_metadata(html, url=url, **TRAFILATURA_PARAMS)
        if doc is None:
            return {"ok": True, "extraction": {"text": ""}}
        fields = {name: getattr(doc, name) for name in META_FIELDS}
        return {"ok": True, "extraction": {**fields, "text": _strip_yaml_header(doc.text or "")}}
    except ExtractionTimeout:
        return {"ok": False, "error": f"extraction took longer than {timeout:g}s"}
    except Exception as exc:  # noqa: BLE001 - a failure is this document's result
        return {"ok": False, "error": f"extraction failed: {type(exc).__name__}: {exc}"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


class BaselinePool(ExtractionPool):
    """The project's pool (same workers, forkserver, input limit and timeouts) running plain
    trafilatura instead of extract_html, so the speed figures differ only in the extractor."""

    def submit(
        self, html: bytes, url: str | None, content_language: str | None = None, site_rules=None
    ) -> Future:
        return self._pool().submit(run_baseline, html, url, content_language, self.timeout)


# -- running ----------------------------------------------------------------------------------


def jobs_of(pages: list[Page]) -> Iterator[tuple[bytes, str | None, None]]:
    return ((p.html, p.url, None) for p in pages)


def workers_cpu_seconds(pool: ExtractionPool) -> float | None:
    """User + system CPU seconds used so far by the pool's worker processes (Linux /proc;
    None elsewhere). Steadier than wall time on a machine shared with other work."""
    executor = pool._executor  # the pool's own ProcessPoolExecutor; pool.py reads it too
    total = 0
    for pid in list(getattr(executor, "_processes", None) or {}):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": field 3 is index 0
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Timing:
    wall: list[float] = field(default_factory=list)  # seconds per timed pass
    cpu: list[float | None] = field(default_factory=list)  # worker CPU seconds per pass

    def median_wall(self) -> float:
        return statistics.median(self.wall)

    def median_cpu(self) -> float | None:
        return None if None in self.cpu else statistics.median(self.cpu)


def timed_pass(pool: ExtractionPool, pages: list[Page], timing: Timing | None = None) -> list[dict]:
    cpu_before, start = workers_cpu_seconds(pool), time.perf_counter()
    results = list(pool.map_ordered(jobs_of(pages)))
    wall, cpu_after = time.perf_counter() - start, workers_cpu_seconds(pool)
    if timing is not None:
        timing.wall.append(wall)
        timing.cpu.append(
            None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
        )
    return results


def run_systems(
    pages: list[Page], workers: int, timeout: float, rounds: int
) -> tuple[dict[str, list[dict]], dict[str, Timing]]:
    """Each system's results, from an untimed first pass over all pages, and the timings
    of the `rounds` passes after it. The first pass is the warm-up: it starts the workers
    and takes first-call costs (imports, regex compilation) out of the timings.
    Timed rounds alternate between the systems so a change of load on the machine hits both."""
    pools = {
        "trafilatura": BaselinePool(workers=workers, timeout=timeout),
        "ours": ExtractionPool(workers=workers, timeout=timeout),
    }
    timings = {name: Timing() for name in SYSTEMS}
    try:
        results = {name: timed_pass(pools[name], pages) for name in SYSTEMS}
        for _ in range(rounds):
            for name in SYSTEMS:
                timed_pass(pools[name], pages, timings[name])
    finally:
        for pool in pools.values():
            pool.shutdown()
    return results, timings


# -- one system's output, in trafilatura's terms ----------------------------------------------


@dataclass
class Output:
    ok: bool
    error: str | None
    text: str  # "" when there is no output
    meta: dict  # trafilatura field name -> value
    removed: list[dict] = field(default_factory=list)  # ours: boilerplate_removed


def as_output(system: str, result: dict, page: Page) -> Output:
    if not result.get("ok"):
        return Output(False, result.get("error"), "", {})
    ex = result["extraction"]
    if system == "trafilatura":
        return Output(True, None, ex.get("text") or "", {k: ex.get(k) for k in META_FIELDS})
    published = ex.get("published")
    meta = {
        "title": ex.get("title"),
        "author": "; ".join(ex.get("authors") or []) or None,  # trafilatura's join
        "date": published[:10] if published else None,  # we keep the time; the check is a day
        # trafilatura falls back to the given URL when the page names no canonical one
        "url": ex.get("canonical_url") or page.url,
        "description": ex.get("description"),
        "sitename": ex.get("site_name"),
        "categories": ex.get("categories") or [],
        "tags": ex.get("tags") or [],
    }
    return Output(True, None, ex.get("text") or "", meta, ex.get("boilerplate_removed") or [])


# -- scoring ----------------------------------------------------------------------------------


@dataclass
class Score:
    include_found: int = 0
    include_missing: list[str] = field(default_factory=list)
    exclude_absent: int = 0
    exclude_present: list[str] = field(default_factory=list)
    meta_passed: list[str] = field(default_factory=list)  # field names
    meta_failed: list[str] = field(default_factory=list)
    # gold corpora only
    overlap: int = 0
    n_pred: int = 0
    n_gold: int = 0
    p: float | None = None
    r: float | None = None
    f1: float | None = None
    # blocks of the container (kept lines + removed blocks) against the gold
    boiler_blocks: int = 0  # blocks that are not article text
    boiler_removed: int = 0  # ...of which the system removed
    article_words: int = 0  # words of the blocks that are article text
    article_words_lost: int = 0  # ...in blocks the system removed

    @property
    def text_checks_pass(self) -> bool:
        return not self.include_missing and not self.exclude_present


def check_snippets(page: Page, out: Output, score: Score) -> None:
    # No output fails every check, must-exclude included: trafilatura's own test
    # (`'x' not in None`) fails too, and an empty page is no success.
    for snippet in page.must_include:
        if out.text and snippet in out.text:
            score.include_found += 1
        else:
            score.include_missing.append(snippet)
    for snippet in page.must_exclude:
        if out.text and snippet not in out.text:
            score.exclude_absent += 1
        else:
            score.exclude_present.append(snippet)


def check_passes(op: str, actual, expected) -> bool:
    """The assertion of trafilatura's realworld_tests.py that each op stands for."""
    try:
        if op == "eq":
            return actual == expected
        if op == "startswith":
            return actual.startswith(expected)
        if op == "endswith":
            return actual.endswith(expected)
        if op == "contains":  # substring of a string, member of a list
            return expected in actual
        if op == "first_contains":
            return expected in actual[0]
        if op == "str_contains":
            return expected in str(actual)
    except (TypeError, AttributeError, IndexError):  # None or an empty list: failed
        return False
    raise ValueError(f"unknown metadata check op {op!r}")


def check_metadata(page: Page, out: Output, score: Score) -> None:
    for check in page.meta_checks:
        ok = out.ok and check_passes(check["op"], out.meta.get(check["field"]), check["value"])
        (score.meta_passed if ok else score.meta_failed).append(check["field"])


_NON_WORD = re.compile(r"\W+")  # str patterns are Unicode-aware


def shingles(text: str) -> Counter:
    """Multiset of consecutive 4-token tuples. A text of 1-3 tokens is one shingle, so only a
    text without any token is empty."""
    tokens = [t for t in _NON_WORD.split(text.lower()) if t]
    if 0 < len(tokens) < SHINGLE:
        return Counter([tuple(tokens)])
    return Counter(zip(*(tokens[i:] for i in range(SHINGLE)), strict=False))


def score_against_gold(pred_text: str, gold_text: str, score: Score) -> None:
    """P = |pred ∩ gold| / |pred|, R = |pred ∩ gold| / |gold| (multiset sizes).
    Empty output (also: a failed document): P = R = F1 = 0 when the gold is non-empty.
    Empty gold: P = R = F1 = 1 for an empty output; else P = 0, R = 1, F1 = 0."""
    pred, gold = shingles(pred_text), shingles(gold_text)
    score.overlap = sum((pred & gold).values())
    score.n_pred, score.n_gold = sum(pred.values()), sum(gold.values())
    if not score.n_gold:
        score.p, score.r = (1.0, 1.0) if not score.n_pred else (0.0, 1.0)
    elif not score.n_pred:
        score.p, score.r = 0.0, 0.0
    else:
        score.p, score.r = score.overlap / score.n_pred, score.overlap / score.n_gold
    score.f1 = f1(score.p, score.r)


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_blocks(out: Output, gold: GoldIndex, score: Score) -> None:
    """The container's blocks (what the system kept, line by line, and what it reported
    removing) labelled by the gold: boilerplate removed, article words lost."""
    kept = [line for line in out.text.split("\n") if line.strip()]
    removed = [r["text"] for r in out.removed if r.get("text", "").strip()]
    for blocks, gone in ((kept, False), (removed, True)):
        for block in blocks:
            if gold.is_article(block):
                n = len(tokens(block))
                score.article_words += n
                score.article_words_lost += n if gone else 0
            else:
                score.boiler_blocks += 1
                score.boiler_removed += gone


def score_page(page: Page, out: Output) -> Score:
    score = Score()
    check_snippets(page, out, score)
    check_metadata(page, out, score)
    if page.gold is not None:
        score_against_gold(out.text, page.gold, score)
        score_blocks(out, GoldIndex(page.gold), score)
    return score


# -- summary ----------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    values: dict[str, str]  # system -> printed value
    verdict: str = ""


def ratio(n: int, total: int) -> str:
    return f"{n}/{total} {100 * n / total:5.1f}%" if total else "-"


def compare(numbers: dict[str, float]) -> str:
    if any(v is None for v in numbers.values()):
        return ""
    return "yes" if numbers["ours"] >= numbers["trafilatura"] - 1e-12 else "NO"


def summary_rows(
    pages: list[Page],
    outputs: dict[str, list[Output]],
    scores: dict[str, list[Score]],
    timings: dict[str, Timing],
) -> list[Row]:
    rows: list[Row] = []

    def add(label: str, figures: dict[str, tuple[float | None, str]], verdict: bool = True):
        rows.append(
            Row(
                label,
                {s: figures[s][1] for s in SYSTEMS},
                compare({s: figures[s][0] for s in SYSTEMS}) if verdict else "",
            )
        )

    real = [i for i, p in enumerate(pages) if p.dataset == "realworld"]
    checked = [i for i in real if pages[i].has_text_checks]
    n_inc = sum(len(pages[i].must_include) for i in real)
    n_exc = sum(len(pages[i].must_exclude) for i in real)
    n_meta = sum(len(pages[i].meta_checks) for i in real)
    if checked:

        def snippet_fig(attr: str, total: int) -> dict:
            counts = {s: sum(getattr(scores[s][i], attr) for i in real) for s in SYSTEMS}
            return {s: (counts[s], ratio(counts[s], total)) for s in SYSTEMS}

        add("realworld: must-include found", snippet_fig("include_found", n_inc))
        add("realworld: must-exclude absent", snippet_fig("exclude_absent", n_exc))
        passing = {s: sum(scores[s][i].text_checks_pass for i in checked) for s in SYSTEMS}
        add(
            "realworld: pages passing all text checks",
            {s: (passing[s], ratio(passing[s], len(checked))) for s in SYSTEMS},
        )
    if n_meta:
        passed = {s: sum(len(scores[s][i].meta_passed) for i in real) for s in SYSTEMS}
        add(
            "realworld: metadata checks passed",
            {s: (passed[s], ratio(passed[s], n_meta)) for s in SYSTEMS},
        )
        for name in META_FIELDS:
            total = sum(c["field"] == name for i in real for c in pages[i].meta_checks)
            if total:
                ok = {s: sum(scores[s][i].meta_passed.count(name) for i in real) for s in SYSTEMS}
                add(f"  {name}", {s: (ok[s], ratio(ok[s], total)) for s in SYSTEMS})

    for dataset in sorted({p.dataset for p in pages if p.gold is not None}):
        gold_rows(dataset, [i for i, p in enumerate(pages) if p.dataset == dataset], scores, add)

    failed = {s: sum(not o.ok for o in outputs[s]) for s in SYSTEMS}
    empty = {s: sum(o.ok and not o.text.strip() for o in outputs[s]) for s in SYSTEMS}
    add(
        "documents failed / empty output",
        {s: (None, f"{failed[s]} / {empty[s]}") for s in SYSTEMS},
        verdict=False,
    )
    # trafilatura.extract() NFC-normalises its text; a text that is not NFC fails exact
    # snippet checks whose characters look identical.
    not_nfc = {s: sum(not is_nfc(o.text) for o in outputs[s]) for s in SYSTEMS}
    add(
        "documents whose text is not NFC",
        {s: (None, str(not_nfc[s])) for s in SYSTEMS},
        verdict=False,
    )

    n = len(pages)
    docs_per_s = {s: n / timings[s].median_wall() for s in SYSTEMS}
    rows.append(
        Row(
            f"docs/s, all {n} pages (wall, median)",
            {s: f"{docs_per_s[s]:.1f}" for s in SYSTEMS},
            speed_verdict(docs_per_s["ours"] / docs_per_s["trafilatura"]),
        )
    )
    cpu = {s: timings[s].median_cpu() for s in SYSTEMS}
    if None not in cpu.values():
        ms = {s: 1000 * cpu[s] / n for s in SYSTEMS}
        rows.append(
            Row(
                "worker CPU ms/doc (median)",
                {s: f"{ms[s]:.1f}" for s in SYSTEMS},
                speed_verdict(ms["trafilatura"] / ms["ours"]),
            )
        )
    return rows


def gold_rows(dataset: str, gold: list[int], scores: dict[str, list[Score]], add) -> None:
    """One gold corpus' rows: macro P/R/F1 (the Article Extraction Benchmark's figure),
    micro F1, and the container's blocks: boilerplate removed, article words lost."""
    for label, attr in (("P", "p"), ("R", "r"), ("F1", "f1")):
        mean = {s: statistics.fmean(getattr(scores[s][i], attr) for i in gold) for s in SYSTEMS}
        add(
            f"{dataset}: macro {label} ({len(gold)} docs)",
            {s: (mean[s], f"{mean[s]:.4f}") for s in SYSTEMS},
        )
    micro = {}
    for s in SYSTEMS:
        overlap = sum(scores[s][i].overlap for i in gold)
        p = overlap / max(1, sum(scores[s][i].n_pred for i in gold))
        r = overlap / max(1, sum(scores[s][i].n_gold for i in gold))
        micro[s] = f1(p, r)
    add(f"{dataset}: micro F1", {s: (micro[s], f"{micro[s]:.4f}") for s in SYSTEMS})
    boiler = {
        s: (
            sum(scores[s][i].boiler_removed for i in gold),
            sum(scores[s][i].boiler_blocks for i in gold),
        )
        for s in SYSTEMS
    }
    add(
        f"{dataset}: boilerplate blocks removed",
        {s: (None, ratio(*boiler[s])) for s in SYSTEMS},
        verdict=False,
    )
    lost = {
        s: (
            sum(scores[s][i].article_words_lost for i in gold),
            sum(scores[s][i].article_words for i in gold),
        )
        for s in SYSTEMS
    }
    add(
        f"{dataset}: article words lost",
        {s: (None, ratio(*lost[s])) for s in SYSTEMS},
        verdict=False,
    )


def speed_verdict(rel: float) -> str:
    """rel = ours' speed / trafilatura's (> 1: ours is faster)."""
    return f"{rel:.2f}x: {'yes' if rel >= 1 - SPEED_TOLERANCE else 'NO'}"


def print_table(rows: list[Row]) -> None:
    width = max(len(r.label) for r in rows)
    head = ["figure".ljust(width), "trafilatura".rjust(16), "ours".rjust(16), "  verdict"]
    print(" ".join(head))
    print("-" * (width + 16 * 2 + 12))
    for row in rows:
        print(
            row.label.ljust(width),
            row.values["trafilatura"].rjust(16),
            row.values["ours"].rjust(16),
            " ",
            row.verdict,
        )
    print(
        "verdict: quality rows: ours >= trafilatura?  speed rows: ours' speed relative to "
        f"trafilatura's, yes if >= {1 - SPEED_TOLERANCE:.2f} (within {SPEED_TOLERANCE:.0%})"
    )


# -- --diff -----------------------------------------------------------------------------------


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def _lines(text: str) -> list[str]:
    # NFC and no whitespace-only lines: extract()'s plain text and bare_extraction's .text
    # differ in both, and neither is boilerplate
    text = unicodedata.normalize("NFC", text)
    return [line.strip() for line in text.splitlines() if line.strip()]


def _clip(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_diffs(
    pages: list[Page], outputs: dict[str, list[Output]], scores: dict[str, list[Score]]
) -> None:
    """For pages where the texts differ: the lines ours removed (with the boilerplate kind
    that removed them, when ours reported one) and the lines ours added. Lines are compared
    after NFC normalisation; a text that differs in its normalisation only is noted."""
    print("\n== --diff: lines ours removed (-) / added (+) relative to trafilatura ==")
    n = 0
    for i, page in enumerate(pages):
        base, ours = outputs["trafilatura"][i], outputs["ours"][i]
        a, b = _lines(base.text), _lines(ours.text)
        if a == b and is_nfc(base.text) == is_nfc(ours.text):
            continue  # whitespace-only lines
        n += 1
        # ours removes whole paragraphs, which are lines of trafilatura's text
        kinds = {
            unicodedata.normalize(
                "NFC", r["text"]
            ).strip(): f"{r.get('layer', '?')}/{r.get('kind', '?')}"
            for r in ours.removed
        }
        print(f"\n-- {page.dataset} {page.id}  {page.url or ''}")
        print("   " + effect(page, scores["trafilatura"][i], scores["ours"][i]))
        for name, out in (("trafilatura", base), ("ours", ours)):
            if not is_nfc(out.text):
                print(f"   note: {name}'s text is not NFC-normalised")
        if a == b:
            print("   (same lines after NFC and whitespace normalisation)")
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for op, a0, a1, b0, b1 in matcher.get_opcodes():
            if op in ("delete", "replace"):
                for line in a[a0:a1]:
                    kind = kinds.get(line, "?")
                    print(f"   - [{kind}] {_clip(line)}")
            if op in ("insert", "replace"):
                for line in b[b0:b1]:
                    print(f"   + {_clip(line)}")
    print(f"\n{n} of {len(pages)} pages differ")


def effect(page: Page, base: Score, ours: Score) -> str:
    """What the difference did to this page's figures."""
    parts = []
    if page.has_text_checks:
        lost = sorted(set(ours.include_missing) - set(base.include_missing))
        fixed = sorted(set(base.exclude_present) - set(ours.exclude_present))
        broke = sorted(set(ours.exclude_present) - set(base.exclude_present))
        parts.append(
            f"text checks: trafilatura {'pass' if base.text_checks_pass else 'FAIL'}"
            f", ours {'pass' if ours.text_checks_pass else 'FAIL'}"
        )
        parts += [f"must-include LOST: {s!r}" for s in lost]
        parts += [f"must-exclude fixed: {s!r}" for s in fixed]
        parts += [f"must-exclude now present: {s!r}" for s in broke]
    if page.gold is not None:
        parts.append(
            f"P {base.p:.3f} -> {ours.p:.3f}, R {base.r:.3f} -> {ours.r:.3f}, "
            f"F1 {base.f1:.3f} -> {ours.f1:.3f}"
        )
    return "; ".join(parts) or "no checks on this page"


# -- --json -----------------------------------------------------------------------------------


def write_json(
    path: Path,
    pages: list[Page],
    outputs: dict[str, list[Output]],
    scores: dict[str, list[Score]],
    rows: list[Row],
    meta: dict,
) -> None:
    docs = []
    for i, page in enumerate(pages):
        per_system = {}
        for s in SYSTEMS:
            out, sc = outputs[s][i], scores[s][i]
            per_system[s] = {
                "ok": out.ok,
                "error": out.error,
                "chars": len(out.text),
                "include_missing": sc.include_missing,
                "exclude_present": sc.exclude_present,
                "meta_failed": sc.meta_failed,
                "meta": out.meta,
                "p": sc.p,
                "r": sc.r,
                "f1": sc.f1,
                "boilerplate_removed": out.removed,
                "text": out.text,
            }
        docs.append(
            {
                "dataset": page.dataset,
                "id": page.id,
                "url": page.url,
                "n_must_include": len(page.must_include),
                "n_must_exclude": len(page.must_exclude),
                "n_meta_checks": len(page.meta_checks),
                "systems": per_system,
            }
        )
    summary = [{"figure": r.label.strip(), **r.values, "verdict": r.verdict} for r in rows]
    path.write_text(
        json.dumps(
            {"run": meta, "summary": summary, "documents": docs}, ensure_ascii=False, indent=1
        ),
        encoding="utf-8",
    )


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="the shared bench folder (default: ../shared/bench)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="first N pages of each dataset (a quick run)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="timed passes per system; the figures are their median (5)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="per-document extraction timeout in seconds (30)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="OUT", help="write per-document results here"
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="print the lines ours removed/added where the texts differ",
    )
    parser.add_argument(
        "--curve", action="store_true", help="also print the block classifier's threshold curve"
    )
    args = parser.parse_args(argv)
    if args.workers < 1 or args.rounds < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--workers, --rounds and --limit must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pages = load_pages(args.data, args.limit) if args.data.is_dir() else []
    if not pages:
        print(f"quality benchmark skipped: no benchmark data under {args.data}")
        return 0

    import trafilatura  # only here: the skip above should not need it

    results, timings = run_systems(pages, args.workers, args.timeout, args.rounds)
    outputs = {
        s: [as_output(s, r, p) for r, p in zip(results[s], pages, strict=True)] for s in SYSTEMS
    }
    scores = {
        s: [score_page(p, o) for p, o in zip(pages, outputs[s], strict=True)] for s in SYSTEMS
    }
    rows = summary_rows(pages, outputs, scores, timings)

    real = [p for p in pages if p.dataset == "realworld"]
    print(
        f"data: {args.data}: realworld {len(real)} pages "
        f"({sum(p.has_text_checks for p in real)} with text checks, "
        f"{sum(bool(p.meta_checks) for p in real)} with metadata checks), "
        + ", ".join(
            f"{d} {n}"
            for d, n in sorted(Counter(p.dataset for p in pages if p.gold is not None).items())
        )
        + " validation pages (bench/corpora.py split)"
    )
    print(
        f"trafilatura {trafilatura.__version__}: extract_with_metadata(include_comments=False,"
        " include_tables=True, deduplicate=False), plain text (= extract()'s)"
    )
    print("ours: ExtractionPool.map_ordered -> extract_html (boilerplate stage, no site rules)")
    print(
        f"workers {args.workers}, per-document timeout {args.timeout:g}s; speed: median of "
        f"{args.rounds} timed pass(es) after an untimed warm-up pass; wall s per pass:"
    )
    for s in SYSTEMS:
        print(f"  {s:12} " + " ".join(f"{t:.1f}" for t in timings[s].wall))
    print(
        "gold corpora: 4-token shingle multisets; empty or failed output scores P=R=F1=0;"
        " blocks: kept lines + reported removals, labelled by the gold text\n"
    )
    print_table(rows)

    if args.diff:
        print_diffs(pages, outputs, scores)
    if args.curve:
        from bench.block_curve import print_curve

        print_curve(pages)
    if args.json:
        write_json(
            args.json,
            pages,
            outputs,
            scores,
            rows,
            {
                "workers": args.workers,
                "rounds": args.rounds,
                "wall_seconds": {s: timings[s].wall for s in SYSTEMS},
                "worker_cpu_seconds": {s: timings[s].cpu for s in SYSTEMS},
                "trafilatura": trafilatura.__version__,
                "data": str(args.data),
            },
        )
        print(f"\nper-document results: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
