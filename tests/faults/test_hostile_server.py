"""A hostile server (issue 12): one `crawler archive` run over every fault endpoint of the
loopback fixture site, bounded in time; each URL ends archived or failed with a reason
that names the fault, and the archive stays valid."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import run_cli
from tests.warc_tools import responses_for, warc_files, warcio_check

MAX_SIZE = 4 * 1024 * 1024
# Seconds per download: ends the drip. Generous, and few connections at once: in one full
# suite run on a loaded 2-core machine a 503 took over 10 s (not reproduced alone; a slow
# accept loop and a full listen backlog, which costs SYN retries, may explain it).
TIMEOUT = 15
CONCURRENCY = 4
BUDGET = 150  # seconds for the whole run (the drip alone would take 60)

# path -> (archived?, what the reason must say; None = an article was extracted)
FAULTS = {
    "/status/500": (False, "HTTP 500"),
    "/status/503": (False, "HTTP 503"),
    "/redirect-loop": (False, "redirect"),
    "/big?mb=1024": (False, f"larger than download max size ({MAX_SIZE})"),  # declared
    # streamed until the limit; the reason does not say which limit yet (docs/reliability.md)
    "/big?mb=1024&unsized=1": (False, "download aborted"),
    "/gzip-bomb": (False, "decompression"),
    "/drip?seconds=60": (False, "timed out"),
    "/broken.html": (True, None),
    "/charset/wrong.html": (True, None),
    "/non-html/report.pdf": (True, "no article: not HTML (application/pdf)"),
    "/empty.html": (True, "no article"),
}


@pytest.fixture(scope="module")
def hostile_run(site, tmp_path_factory):
    store = tmp_path_factory.mktemp("hostile")
    urls = [site.url(path) for path in FAULTS]
    urls += ["http://", "http://127.0.0.1:1/unreachable.html"]  # malformed, unreachable
    started = time.monotonic()
    result = run_cli(
        "archive",
        *urls,
        "--store",
        str(store),
        "--max-size",
        str(MAX_SIZE),
        "--timeout",
        str(TIMEOUT),
        "--concurrency",
        str(CONCURRENCY),
        "--progress-interval",
        "0",
        "-s",
        "RETRY_TIMES=1",
        timeout=BUDGET + 60,
    )
    elapsed = time.monotonic() - started
    return store, result, elapsed


def _outcomes(store) -> dict[str, dict]:
    (manifest,) = (store / "runs").glob("*.json")
    return {o["url"]: o for o in json.loads(manifest.read_text())["outcomes"]}


def test_every_fault_ends_with_its_reason_in_bounded_time(hostile_run, site):
    store, result, elapsed = hostile_run
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert elapsed < BUDGET, f"the run took {elapsed:.0f}s"
    assert "Traceback" not in result.stderr
    outcomes = _outcomes(store)
    for path, (archived, reason) in FAULTS.items():
        outcome = outcomes[site.url(path)]
        assert outcome["archived"] is archived, outcome
        if reason is None:
            assert outcome["article_id"] and outcome["word_count"] > 50, outcome
        else:
            assert reason.lower() in (outcome["reason"] or "").lower(), outcome
    assert "malformed URL" in outcomes["http://"]["reason"]
    assert "connection refused" in outcomes["http://127.0.0.1:1/unreachable.html"]["reason"]


def test_hostile_responses_leave_a_valid_archive(hostile_run, site):
    store, _, _ = hostile_run
    assert not list(store.rglob("*.open"))
    check = warcio_check(warc_files(store))
    assert check.returncode == 0, check.stdout + check.stderr
    # The refused bomb's raw bytes are kept, the 1 GB body is not (it was cut off).
    (bomb,) = responses_for(store, site.url("/gzip-bomb"))
    assert bomb["payload"] == site.sent["/gzip-bomb"]
    assert not responses_for(store, site.url("/big?mb=1024"))
    assert not responses_for(store, site.url("/big?mb=1024&unsized=1"))
    assert sum(w.stat().st_size for w in warc_files(store)) < 4 * MAX_SIZE
