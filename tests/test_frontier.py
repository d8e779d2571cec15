"""The frontier's two backends behave alike (queue, canonical seen-set, leases that
expire and come back, budgets), and the catalog says which URLs a store has archived."""

from __future__ import annotations

import time

import pytest

from crawler.frontier import Entry, FrontierError, open_frontier, url_fingerprint
from crawler.store.catalog import open_catalog
from tests.conftest import run_cli

LEASE = 2.0  # seconds: short, so that expiry is seen within the test; margins >= 0.8 s


@pytest.fixture(params=["local", "redis"])
def frontier(request, tmp_path):
    if request.param == "local":
        uri = f"sqlite:///{tmp_path}/frontier.sqlite"
    else:
        uri = request.getfixturevalue("redis_url")
    opened = open_frontier(uri, LEASE)
    yield opened
    opened.close()


def test_fingerprint_is_of_the_canonical_url():
    same = url_fingerprint("http://127.0.0.1:8000/a?b=1&a=2#top")
    assert same == url_fingerprint("HTTP://127.0.0.1:8000/a?a=2&b=1&utm_source=mail")
    assert same != url_fingerprint("http://127.0.0.1:8000/a?a=2&b=3")
    assert url_fingerprint("http://127.0.0.1/x?sid=1", ["sid"]) == url_fingerprint(
        "http://127.0.0.1/x"
    )


def test_add_queues_each_canonical_url_once(frontier):
    urls = [f"http://127.0.0.1:9/{i}" for i in range(5)]
    added = frontier.add(iter(urls + ["http://127.0.0.1:9/1?utm_medium=x", urls[0] + "#f"]))
    assert (added.queued, added.seen) == (5, 2)
    assert frontier.add(urls[:2]).queued == 0
    assert frontier.add(urls[:2], refetch=True).queued == 2  # --refetch: queued again


def test_take_leases_and_done_counts(frontier):
    frontier.add(f"http://127.0.0.1:9/{i}" for i in range(5))
    first = frontier.take("node-a", 3)
    second = frontier.take("node-b", 3)
    assert [e.url for e in first] == [f"http://127.0.0.1:9/{i}" for i in range(3)]
    assert [e.url for e in second] == ["http://127.0.0.1:9/3", "http://127.0.0.1:9/4"]
    assert frontier.take("node-c", 3) == []
    frontier.done(first)
    counts = frontier.counts()
    assert (counts["queued"], counts["leased"], counts["done"]) == (0, 2, 3)


def test_expired_leases_are_taken_again_marked_requeued(frontier):
    frontier.add(["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"])
    held = frontier.take("dies", 2)
    assert not any(e.requeued for e in held)
    time.sleep(LEASE * 0.5)
    frontier.renew("dies", held[:1])  # only /a is still being worked on: until 1.5 LEASE
    time.sleep(LEASE * 0.6)  # /b's lease ended at 1.0 LEASE
    again = frontier.take("survivor", 5)
    assert [(e.url, e.requeued) for e in again] == [("http://127.0.0.1:9/b", True)]
    time.sleep(LEASE * 1.2)  # /a's renewed lease and the survivor's lease of /b expire
    again = frontier.take("survivor", 5)
    assert {(e.url, e.requeued) for e in again} == {
        ("http://127.0.0.1:9/a", True),
        ("http://127.0.0.1:9/b", True),
    }
    assert frontier.counts()["requeued"] == 3


def test_charge_keeps_a_site_within_its_budget(frontier):
    assert [frontier.charge("127.0.0.1", 2) for _ in range(3)] == [True, True, False]
    assert frontier.charge("localhost", 2)


def test_refetch_entries_survive_the_round_trip(frontier):
    frontier.add(["http://127.0.0.1:9/r"], refetch=True)
    (entry,) = frontier.take("n", 1)
    assert entry == Entry("http://127.0.0.1:9/r", refetch=True)


def test_unknown_scheme_is_refused():
    with pytest.raises(FrontierError, match="unsupported scheme 'amqp'"):
        open_frontier("amqp://127.0.0.1/", LEASE)


def test_catalog_archived_urls_are_final_answers(tmp_path):
    catalog = open_catalog(tmp_path)
    rows = []
    for i, (url, status) in enumerate(
        [
            ("http://127.0.0.1:9/ok", 200),
            ("http://127.0.0.1:9/gone", 404),
            ("http://127.0.0.1:9/busy", 503),
        ]
    ):
        rows.append(
            {
                "record_id": f"<urn:uuid:{i}>",
                "crawl_id": "c",
                "url": url,
                "fetched_at": "2026-01-01T00:00:00+00:00",
                "status": status,
                "warc_file": "w.warc.gz",
                "warc_offset": i,
                "warc_length": 1,
            }
        )
    catalog.add_captures(rows)
    asked = [
        "http://127.0.0.1:9/ok",
        "http://127.0.0.1:9/gone",
        "http://127.0.0.1:9/busy",
        "http://127.0.0.1:9/never",
    ]
    assert catalog.archived_urls(asked) == {"http://127.0.0.1:9/ok", "http://127.0.0.1:9/gone"}
    catalog.close()


@pytest.mark.parametrize(
    "args, message",
    [
        (["archive", "http://127.0.0.1:9/", "--wait"], "--wait goes with --frontier"),
        (["archive", "--frontier", "amqp://127.0.0.1/"], "unsupported scheme 'amqp'"),
        (["worker", "--frontier", "amqp://127.0.0.1/"], "unsupported scheme 'amqp'"),
    ],
)
def test_frontier_usage_errors_exit_2(args, message, tmp_path):
    store = tmp_path / "store"
    result = run_cli(*args, "--store", str(store))
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert not store.exists()
