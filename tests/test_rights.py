"""Rights, paywall and licence facts per record (issue 14), from a real crawl of the
fixture site in tests/rights_site.py, and the export flags that act on them."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest

from crawler.record import load_schema
from crawler.rights.declared import reservation_reasons, robots_directives
from crawler.rights.tdmrep import parse_tdmrep, rule_for
from tests.conftest import run_cli
from tests.rights_site import PAGES, POLICY, RightsSite
from tests.warc_tools import records as warc_records


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    root = tmp_path_factory.mktemp("rights-store")
    with RightsSite() as site:
        result = run_cli("archive", *[site.url(p) for p in PAGES], "--store", str(root))
        assert result.returncode == 0, result.stdout + result.stderr
        hits = dict(site.hits)
        base = site.base_url
    by_path = {}
    for shard in sorted((root / "articles").rglob("*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as fh:
            for line in fh:
                record = json.loads(line)
                by_path[record["url"][len(base) :]] = record
    assert set(by_path) == set(PAGES), set(PAGES) - set(by_path)
    return {"root": root, "records": by_path, "hits": hits, "base": base}


def test_every_record_validates_against_schema_3(crawled):
    schema = load_schema()
    assert schema["properties"]["schema_version"] == {"const": 3}
    for record in crawled["records"].values():
        jsonschema.validate(record, schema)
        assert record["schema_version"] == 3


def test_reservations_with_their_sources(crawled):
    r = {path: rec["rights"] for path, rec in crawled["records"].items()}
    assert r["/header/story.html"]["tdm_reserved"] is True
    assert r["/header/story.html"]["tdm_policy"] == POLICY
    assert r["/header/story.html"]["x_robots"] == ["noai", "noimageai"]
    assert r["/header/story.html"]["source"]["tdm"] == "http-header"
    assert r["/header/story.html"]["source"]["x_robots"] == ["http-header"]
    assert r["/meta/story.html"]["tdm_reserved"] is True
    assert r["/meta/story.html"]["source"]["tdm"] == "html-meta"
    assert r["/meta/story.html"]["x_robots"] == ["index", "noai"]
    assert r["/meta/story.html"]["source"]["x_robots"] == ["html-meta"]
    assert r["/tdm-file/story.html"]["tdm_reserved"] is True
    assert r["/tdm-file/story.html"]["tdm_policy"] == POLICY
    assert r["/tdm-file/story.html"]["source"]["tdm"] == "tdmrep.json"
    # TDMRep processing priority: the response's header supersedes the tdmrep.json rule
    assert r["/tdm-file/header-zero.html"]["tdm_reserved"] is False
    assert r["/tdm-file/header-zero.html"]["tdm_policy"] is None
    assert r["/tdm-file/header-zero.html"]["source"]["tdm"] == "http-header"
    assert r["/robots-ai/story.html"]["robots_ai_disallowed"] == ["GPTBot", "CCBot"]
    for path in ("/plain/free.html", "/header/story.html"):
        assert r[path]["robots_ai_disallowed"] == []
        assert r[path]["source"]["robots_txt"] is True
        assert r[path]["source"]["tdmrep_json"] is True
    assert r["/plain/free.html"]["tdm_reserved"] is None


def test_a_page_that_mentions_ai_crawlers_declares_nothing(crawled):
    record = crawled["records"]["/plain/mentions.html"]
    assert "GPTBot" in record["text"] and "noai" in record["text"]
    assert record["rights"]["tdm_reserved"] is None
    assert record["rights"]["x_robots"] == []
    assert record["rights"]["robots_ai_disallowed"] == []
    assert reservation_reasons(record["rights"]) == []
    # "Subscribe to continue reading" in the middle of its own text is no paywall
    assert record["access"] == "free" and record["access_evidence"] == []


def test_tdmrep_json_fetched_once_per_host_and_archived(crawled):
    assert crawled["hits"]["/.well-known/tdmrep.json"] == 1
    assert crawled["hits"]["/robots.txt"] == 1
    tdmrep_url = crawled["base"] + "/.well-known/tdmrep.json"
    responses = [
        r
        for r in warc_records(crawled["root"])
        if r["type"] == "response" and r["uri"] == tdmrep_url
    ]
    assert len(responses) == 1
    assert parse_tdmrep(responses[0]["payload"])[0].reserved is True


def test_paywall_access(crawled):
    access = {path: rec["access"] for path, rec in crawled["records"].items()}
    assert access["/paywall/jsonld-teaser.html"] == "paywalled"
    assert access["/paywall/prompt.html"] == "paywalled"
    assert access["/paywall/tier.html"] == "paywalled"
    assert access["/paywall/metered.html"] == "partial"
    assert access["/plain/free.html"] == "free"
    teaser = crawled["records"]["/paywall/jsonld-teaser.html"]["access_evidence"]
    assert "json-ld: isAccessibleForFree false" in teaser
    assert any(e.startswith("json-ld hasPart .paywall: 0 words") for e in teaser)
    prompt = crawled["records"]["/paywall/prompt.html"]["access_evidence"]
    assert "prompt: subscribe to continue reading" in prompt
    tier = crawled["records"]["/paywall/tier.html"]["access_evidence"]
    assert "meta: article:content_tier locked" in tier


def test_licence(crawled):
    lic = {p: (r["license"], r["license_source"]) for p, r in crawled["records"].items()}
    assert lic["/license/link.html"] == ("CC BY-SA 4.0", "link")
    assert lic["/license/jsonld.html"] == ("http://127.0.0.1/terms.html", "json-ld")
    assert lic["/license/footer.html"] == ("CC BY 4.0", "marks")
    assert lic["/plain/free.html"] == (None, None)


def _only_batch(dest: Path) -> Path:
    (manifest,) = dest.glob("*/manifest.json")
    return manifest.parent


def _exported(batch: Path) -> list[dict]:
    out = []
    for part in sorted(batch.glob("part-*.jsonl.gz")):
        with gzip.open(part, "rt", encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh]
    return out


def test_export_leaves_out_reserved_and_paywalled_and_counts_why(crawled, tmp_path):
    dest = tmp_path / "feed"
    result = run_cli(
        "export", "--store", str(crawled["root"]), "--to", str(dest),
        "--exclude-reserved", "--exclude-paywalled",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    batch = _only_batch(dest)
    base = crawled["base"]
    kept = sorted(r["url"][len(base) :] for r in _exported(batch))
    assert kept == sorted(
        [
            "/plain/free.html",
            "/plain/mentions.html",
            "/paywall/metered.html",
            "/tdm-file/header-zero.html",
            "/license/link.html",
            "/license/jsonld.html",
            "/license/footer.html",
        ]
    )
    manifest = json.loads((batch / "manifest.json").read_text())
    assert manifest["excluded"] == {
        "exclude_reserved": True,
        "exclude_paywalled": True,
        "records": 7,
        "by_reason": {
            "tdm-reservation": 3,
            "x-robots-noai": 2,
            "robots-ai-disallowed": 1,
            "paywalled": 3,
        },
    }
    assert manifest["selection"]["exclude_reserved"] is True
    # --wacz packages the exported records' pages: what was left out is not among them
    wacz = tmp_path / "kept.wacz"
    result = run_cli("export", "--store", str(crawled["root"]), "--to", str(tmp_path / "w"),
                     "--exclude-reserved", "--exclude-paywalled", "--wacz", str(wacz))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(wacz) as zf:
        lines = zf.read("pages/pages.jsonl").splitlines()[1:]
    assert sorted(json.loads(line)["url"][len(base) :] for line in lines) == kept
    # an incremental destination keeps its selection: the flags cannot change midway
    run_cli("export", "--store", str(crawled["root"]), "--to", str(tmp_path / "inc"),
            "--incremental", "--exclude-reserved")  # fmt: skip
    again = run_cli("export", "--store", str(crawled["root"]), "--to", str(tmp_path / "inc"),
                    "--incremental")  # fmt: skip
    assert again.returncode != 0 and "exclude reserved=True" in again.stderr


def test_datasets_loads_parts_whose_first_part_has_an_all_null_column(crawled, tmp_path):
    """`license` is null in every record of the first part and a string later: guessing
    types from the data fails; the export's dataset card says the types."""
    for fmt in ("jsonl", "parquet"):
        result = run_cli("export", "--store", str(crawled["root"]), "--to",
                         str(tmp_path / fmt), "--part-records", "2", "--format", fmt)  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    jbatch, pbatch = _only_batch(tmp_path / "jsonl"), _only_batch(tmp_path / "parquet")
    parts = sorted(jbatch.glob("part-*.jsonl.gz"))
    firsts = [json.loads(line) for line in gzip.open(parts[0], "rt")]
    assert all(r["license"] is None for r in firsts)
    assert any(r["license"] for r in _exported(jbatch))
    script = f"""
import json, datasets
out = {{}}
try:
    datasets.load_dataset("json", data_files={[str(p) for p in parts]!r}, split="train")
    out["guessing"] = "loaded"
except Exception as exc:
    out["guessing"] = type(exc).__name__
for name, folder in (("jsonl", {str(jbatch)!r}), ("parquet", {str(pbatch)!r})):
    d = datasets.load_dataset(folder, split="train")
    out[name] = {{"rows": len(d), "licenses": sorted(x for x in d["license"] if x),
                  "fetched_at": str(d.features["fetched_at"]),
                  "published": str(d.features["published"]),
                  "rights": sorted(d.features["rights"])}}
print(json.dumps(out))
"""
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["guessing"] != "loaded"  # the failure the card prevents
    licences = ["CC BY 4.0", "CC BY-SA 4.0", "http://127.0.0.1/terms.html"]
    for name in ("jsonl", "parquet"):
        assert out[name]["rows"] == len(PAGES)
        assert out[name]["licenses"] == licences
        assert out[name]["rights"] == sorted(load_schema()["properties"]["rights"]["properties"])
    assert out["jsonl"]["fetched_at"] == "Value('string')"
    assert out["parquet"]["fetched_at"] == "Value('timestamp[us, tz=UTC]')"
    assert out["parquet"]["published"] == "Value('timestamp[us, tz=UTC]')"


def test_tdmrep_rules_match_paths_in_file_order():
    rules = parse_tdmrep(
        json.dumps(
            [
                {"location": "/news/*.html$", "tdm-reservation": 1, "tdm-policy": POLICY},
                {"location": "/news/", "tdm-reservation": 0},
                {"location": "/blog/*", "tdm-reservation": "maybe"},
                {"no-location": True},
            ]
        ).encode()
    )
    assert len(rules) == 3
    assert rule_for(rules, "/news/a.html").reserved is True
    assert rule_for(rules, "/news/a.html").policy == POLICY
    assert rule_for(rules, "/news/a.html?x=1").reserved is False  # $ anchors the end
    assert rule_for(rules, "/news/").reserved is False
    assert rule_for(rules, "/blog/x").reserved is None  # a malformed value declares nothing
    assert rule_for(rules, "/about") is None
    assert parse_tdmrep(b"<html>not json</html>") == []
    assert parse_tdmrep(b'{"location": "/"}') == []


def test_robots_directives_and_reasons():
    assert robots_directives(["noai, NoImageAI", "googlebot:  noindex", "noai"]) == [
        "noai",
        "noimageai",
        "googlebot: noindex",
    ]
    assert reservation_reasons({"x_robots": ["noimageai"], "robots_ai_disallowed": []}) == []
    assert reservation_reasons(
        {"tdm_reserved": True, "x_robots": ["gptbot: noai"], "robots_ai_disallowed": ["CCBot"]}
    ) == ["tdm-reservation", "x-robots-noai", "robots-ai-disallowed"]
    assert reservation_reasons({"tdm_reserved": False, "x_robots": []}) == []
    assert reservation_reasons(None) == []


def test_without_robots_txt_or_tdmrep_json_the_record_says_so(site, tmp_path):
    """--ignore-robots: robots.txt is not consulted, so no AI-agent answer (null, not
    []); the demo site has no tdmrep.json (404): none was read."""
    url = site.url(site.article_paths()[1])
    result = run_cli("archive", url, "--store", str(tmp_path), "--ignore-robots")
    assert result.returncode == 0, result.stdout + result.stderr
    (shard,) = (tmp_path / "articles").rglob("*.jsonl.gz")
    (record,) = [json.loads(line) for line in gzip.open(shard, "rt")]
    assert record["rights"]["robots_ai_disallowed"] is None
    assert record["rights"]["source"] == {
        "tdm": None,
        "x_robots": [],
        "robots_txt": False,
        "tdmrep_json": False,
    }
    assert site.hits("/.well-known/tdmrep.json") >= 1


def test_tdm_processing_priority_meta_over_header_over_tdmrep_json():
    from crawler.rights.declared import HostRights, rights_of
    from crawler.rights.tdmrep import TdmRule

    host = HostRights([], TdmRule("/", True, POLICY), True)
    header = {"tdm-reservation": ["0"]}
    meta = {"tdm_reservation": "1", "tdm_policy": "http://127.0.0.1/meta-policy"}
    assert rights_of({}, {}, host)["source"]["tdm"] == "tdmrep.json"
    assert rights_of({}, header, host)["tdm_reserved"] is False
    chosen = rights_of(meta, header, host)
    assert (chosen["tdm_reserved"], chosen["tdm_policy"], chosen["source"]["tdm"]) == (
        True,
        "http://127.0.0.1/meta-policy",
        "html-meta",
    )
    # a malformed value declares nothing: the next source decides
    assert rights_of({"tdm_reservation": "yes"}, {}, host)["source"]["tdm"] == "tdmrep.json"
