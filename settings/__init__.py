"""Scrapy settings for the crawler: every project setting and its default, in one place.

Prefixes: STORE_* (where things go), WARC_* (capture), EXTRACT_* (extraction),
REPORT_* (progress/summary). Every `crawler` CLI flag maps to one of these.
"""

import crawler
from crawler.capture import redaction

BOT_NAME = "crawler"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# -- storage -------------------------------------------------------------------------
# `./data`, `/abs/dir`, `file:///abs/dir` or `s3://bucket/prefix` (same key layout under
# the prefix). The SQLite catalog lives at the store root (for S3: in the spool).
STORE_URI = "./data"
# The SQLite catalog's file name at the store root. A name of the store layout that code
# imports from here, not a setting to change: every store has its catalog at this name.
CATALOG_FILENAME = "catalog.sqlite"
# The catalog (the index of captures, articles, runs): "" = the SQLite file above at the
# store root; postgresql://user@host:port/database = one catalog shared by several nodes
# (needs the `postgres` extra; give the password in PGPASSWORD or ~/.pgpass, not here).
CATALOG_URI = ""
# This node's name in article shard names and run manifests (crawler/node.py): "" =
# <hostname>-<6 random hex digits>, made once per process. Set it to keep one name per node.
NODE_ID = ""
# Records per article shard (articles/YYYY/MM/DD/<crawl-id>-<serial>.jsonl.gz).
STORE_SHARD_MAX_RECORDS = 10_000
# Bytes each run sets aside in the store (a `.disk-reserve-<crawl-id>` file) and frees when
# the disk fills, so that it can still close its files, catalogue what it fetched and
# write its manifest (crawler/store/disk.py). 0 = none.
STORE_DISK_RESERVE = 8 * 1024 * 1024

# -- S3 storage (STORE_URI = s3://...) ----------------------------------------------------
# Credentials come only from boto3's standard chain (AWS_* variables, AWS_PROFILE,
# ~/.aws/credentials, instance roles), never from settings.
# Files are written into this local spool and uploaded once closed; the catalog and the
# upload ledger (uploads.sqlite: what is still pending) live here too.
# "" = $XDG_STATE_HOME/crawler/spool/<bucket>/<prefix>, i.e. ~/.local/state/...: found
# from any working directory.
STORE_SPOOL_DIR = ""
STORE_S3_ENDPOINT_URL = ""  # S3-compatible stores (MinIO, Ceph, R2, ...); "" = AWS
STORE_S3_REGION = ""  # "" = from the credential chain's config (AWS_DEFAULT_REGION, ...)
STORE_S3_ADDRESSING_STYLE = "auto"  # "path" for stores without bucket subdomains
# True: send and check checksums only where the API requires them (botocore
# request_checksum_calculation / response_checksum_validation = "when_required");
# some S3-compatible stores reject the CRC32 checksums botocore sends by default.
STORE_S3_CHECKSUMS_WHEN_REQUIRED = False
# Files above this size go up in multipart uploads with parts this big (S3 minimum 5 MiB).
STORE_S3_PART_SIZE = 64 * 1024 * 1024
STORE_S3_CONCURRENCY = 4  # parallel part uploads per file
STORE_S3_MAX_BANDWIDTH = 0  # bytes/s for uploads; 0 = unlimited
# False: a file's spool copy is deleted once its upload is verified (size and sha256 in
# S3, marked in the ledger), so the spool does not grow with the archive; reextract
# reads WARC records from S3 with ranged GETs. True: keep a full local copy as well.
STORE_S3_KEEP_LOCAL = False
STORE_S3_CONNECT_TIMEOUT = 10.0  # seconds
STORE_S3_READ_TIMEOUT = 60.0  # seconds
STORE_S3_MAX_ATTEMPTS = 3  # per request, botocore's "standard" retry mode
# After S3 failed as a whole (unreachable, credentials, no bucket), files closed in the
# next this-many seconds are left pending without trying; the run's end tries once more.
STORE_S3_RETRY_AFTER = 60.0

# -- WARC capture ----------------------------------------------------------------------
WARC_ENABLED = True
WARC_PREFIX = "crawl"
WARC_MAX_SIZE = 1024**3  # rotate after 1 GiB
# Per-record gzip member. 0-3: ISA-L (isal), 4-9: zlib. Measured on 150 KB news pages:
# ISA-L level 2 ~600 MB/s at 24.3% of the raw size; zlib level 3 ~50 MB/s at 23.0%,
# level 6 ~27 MB/s at 20.6%. With zlib, compression was most of WARC capture's cost.
WARC_GZIP_LEVEL = 2
# request headers whose values the WARC request record does not keep (see
# crawler/capture/redaction.py); an empty value keeps them all verbatim
WARC_REDACT_HEADERS = list(redaction.DEFAULT_REDACT_HEADERS)
WARC_OPERATOR = ""  # who runs the crawl (warcinfo `operator`), e.g. an e-mail address

# -- extraction ----------------------------------------------------------------------
EXTRACT_ENABLED = True
EXTRACT_WORKERS = 0  # worker processes; 0 = number of CPU cores
EXTRACT_TIMEOUT = 30.0  # seconds per document
EXTRACT_MAX_BYTES = 10 * 1024 * 1024  # larger documents are archived but not extracted

# -- boilerplate stage (after trafilatura) ------------------------------------------------
BOILERPLATE_ENABLED = True  # generic block rules + per-site rules
# Folders of site configs (<site>.toml); their [boilerplate] tables hold per-site rules.
# "package:settings/sites" is the folder shipped in this package, read through
# importlib.resources: found from a wheel, a zip or a scrapyd egg alike.
SITES_DIRS = ["package:settings/sites"]
# Learned repeats (crawler/extract/repeats.py). Template: a paragraph at the same place
# (DOM path + a neighbour) in MIN_PAGES articles of a site; 0 = off. Frequency: one in
# >= MIN_COUNT and >= MIN_SHARE of a site's articles once the site has MIN_ARTICLES
# articles. Never one holding more than MAX_ARTICLE_SHARE of an article's words. Articles
# stored before their site's template was learned are re-cleaned at the end of the run.
# Counts are written to the catalog once per BATCH articles.
BOILERPLATE_REPEATS_ENABLED = True
BOILERPLATE_REPEATS_MIN_PAGES = 2
BOILERPLATE_REPEATS_MIN_ARTICLES = 10
BOILERPLATE_REPEATS_MIN_COUNT = 5
BOILERPLATE_REPEATS_MIN_SHARE = 0.3
BOILERPLATE_REPEATS_MAX_ARTICLE_SHARE = 0.5
BOILERPLATE_REPEATS_BATCH = 500
# One-off archiving (`crawler archive --learn-site N`): for a site the catalog knows fewer
# than BOILERPLATE_REPEATS_MIN_ARTICLES articles of, also archive up to N (at most 20)
# other articles linked from each requested page, as context, and clean the page with the
# blocks they repeat. 0 = off.
LEARN_SITE_PAGES = 0

# -- rights: what sites declare about mining and AI use (crawler/rights/) ----------------
RIGHTS_ENABLED = True  # the record's `rights`; off: rights from the page's markup only
# AI crawler user agents whose robots.txt access to each page is recorded (the one list)
RIGHTS_AI_USER_AGENTS = [
    "GPTBot",
    "CCBot",
    "Google-Extended",
    "ClaudeBot",
    "anthropic-ai",
    "PerplexityBot",
    "Bytespider",
    "Applebot-Extended",
    "meta-externalagent",
]
# /.well-known/tdmrep.json (TDMRep), once per host and run, archived in the WARC
RIGHTS_TDMREP_ENABLED = True
RIGHTS_TDMREP_MAX_BYTES = 256 * 1024
RIGHTS_TDMREP_TIMEOUT = 10.0  # seconds

# -- export (`crawler export`) -----------------------------------------------------------
EXPORT_PART_RECORDS = 100_000  # records per part file (--part-records)
# --dedup: near-duplicates are records whose word-shingle Jaccard similarity (estimated
# by MinHash, EXPORT_DEDUP_NUM_PERM permutations) is at least EXPORT_DEDUP_THRESHOLD.
# Shingles of 2 words: at 0.8 they join a story with up to ~5% of its words edited, and
# not a 15% rewrite (bench/near_duplicate_set.py); 3-word shingles missed every 5% edit.
EXPORT_DEDUP_THRESHOLD = 0.8
EXPORT_DEDUP_NUM_PERM = 128
EXPORT_DEDUP_SHINGLE_WORDS = 2

# -- progress and summary --------------------------------------------------------------
REPORT_ENABLED = True
REPORT_PROGRESS_INTERVAL = 5.0  # seconds between progress lines on stderr; 0 = none
# glibc: buffers of this many bytes and up get their own mapping, so page-sized buffers do
# not fragment the heap and RSS stays flat over a long run (costs ~0.3 ms CPU per page);
# 0 = glibc's dynamic threshold (faster bare fetching, RSS creeps up ~6 KB per page).
MEMORY_MMAP_THRESHOLD = 64 * 1024

# Capture rows reach the catalog in one transaction per this many (or per second), from
# the crawler process; a killed run's uncommitted rows are read back from its WARC.
CATALOG_CAPTURE_BATCH = 200

# -- destinations (crawler/fetch/destinations.py) -------------------------------------------
# False: only public addresses are fetched; every address a host resolves to is checked at
# connect time, every redirect hop included (loopback, private, link-local, unspecified,
# multicast and reserved addresses are refused). True (--allow-private-networks) for
# intranets and labs; test suites set CRAWLER_ALLOW_PRIVATE_NETWORKS=1 in the environment.
ALLOW_PRIVATE_NETWORKS = False
# Addresses or networks let through although not public, e.g. ["10.1.2.3", "fd00::/8"]
# (a proxy or an intranet mirror), with the guard still on for everything else.
ALLOWED_PRIVATE_ADDRESSES = []

# -- the frontier (crawler/frontier/): URL work for `crawler archive` and `crawler worker`
# A taken URL is leased for this long (renewed while it is fetched); a node that dies
# holds its URLs no longer than this, then another node takes them.
FRONTIER_LEASE_SECONDS = 300.0
FRONTIER_BATCH = 50  # URLs taken (and checked against the catalog) per round trip
# `crawler archive --frontier redis://...` with no URLs (what `crawler worker` runs) ends
# its run after this many URLs, so that one run's report stays small; the worker goes on.
FRONTIER_RUN_MAX_URLS = 10_000

# -- many nodes (`crawler schedule --frontier redis://...`, `crawler worker`) -------------
# A worker holds a site's lease in Redis while it crawls the site, renewing it every third
# of this; when the node dies the lease expires and another worker resumes the occurrence
# after at most this many seconds.
SITE_LEASE_SECONDS = 30.0

# -- Scrapy: capture first, politeness, bounds -------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # RFC 9309: an unreachable or 5xx robots.txt disallows, not allows; Crawl-delay.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.fetch.politeness.Rfc9309RobotsTxtMiddleware": 100,
    # Same places as Scrapy's: redirects to http(s) only, and within a site crawl's domains.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.fetch.redirects.MetaRefreshPolicyMiddleware": 580,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.fetch.redirects.RedirectPolicyMiddleware": 600,
    # Between RetryMiddleware (550) and the raw responses: 403/429/503 slow the host down.
    "crawler.fetch.politeness.RefusalBackoffMiddleware": 555,
    # Nearer the downloader than every built-in middleware: sees raw responses first.
    "crawler.capture.middleware.WarcCaptureMiddleware": 950,
    # Nearest the downloader: checks every connection's addresses (off when private
    # networks are allowed), and its refusals are never retried.
    "crawler.fetch.destination_guard.DestinationGuardMiddleware": 990,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ExtractionPipeline": 300,
    "crawler.rights.pipeline.RightsPipeline": 500,
    "crawler.pipelines.StorePipeline": 800,
}
EXTENSIONS = {
    # The run: store, catalog, outcomes, manifest. Other components reach it with
    # crawler.get_extension(ArchiveRun) (crawler.run.archive_run_of).
    "crawler.run.ArchiveRun": 0,
    "crawler.run.report.ArchiveReport": 500,
}

# Site operators must be able to tell who crawls them and reach you: set your own page.
CRAWLER_CONTACT_URL = "https://github.com/news-archive-crawler"
USER_AGENT = f"{crawler.SOFTWARE}/{crawler.__version__} (+{CRAWLER_CONTACT_URL})"
ROBOTSTXT_OBEY = True
# Refusals (403/429/503; each other answer takes back half of one) that stop a run;
# the longest wait a Retry-After can ask.
POLITENESS_MAX_REFUSALS = 20
POLITENESS_MAX_BACKOFF = 300.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_TIMEOUT = 30
# Bodies above this are aborted (and reported); also bounds gzip-bomb decompression.
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = True
# One item per response; Scrapy's default of 100 starts 100 tasks per response (#5182).
CONCURRENT_ITEMS = 4
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
# LOG_LEVEL of the `crawler` commands (--log-level): their own output is the report, so
# Scrapy says only what went wrong. `scrapy crawl` keeps LOG_LEVEL.
COMMAND_LOG_LEVEL = "WARNING"
FEED_EXPORT_ENCODING = "utf-8"
