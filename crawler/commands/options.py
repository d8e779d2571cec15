"""Flag groups that several `crawler` commands share, and the Scrapy settings built from
them: the project's settings, then the --flags, then `-s NAME=VALUE` (the last word wins).

Every flag maps to one setting; its default is the setting's, in `settings/__init__.py`,
so argparse defaults here are None ("not given")."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from crawler.usage_error import UsageError
from settings import COMMAND_LOG_LEVEL, STORE_URI


def add_store_options(p: argparse.ArgumentParser) -> None:
    """The storage flags, shared by every command that reads or writes a store."""
    p.add_argument(
        "--store",
        default=None,
        help="where to store everything: DIR, file:///abs/dir or "
        f"s3://bucket/prefix (STORE_URI; default {STORE_URI})",
    )
    p.add_argument(
        "--s3-endpoint-url",
        metavar="URL",
        help="S3-compatible endpoint, e.g. http://127.0.0.1:9000 "
        "(STORE_S3_ENDPOINT_URL; default AWS)",
    )
    p.add_argument(
        "--spool-dir",
        metavar="DIR",
        help="local spool for an s3:// store: files wait here until uploaded "
        "(STORE_SPOOL_DIR; default ~/.local/state/crawler/spool/BUCKET/PREFIX)",
    )


def add_set_option(p: argparse.ArgumentParser, help: str) -> None:
    """`-s NAME=VALUE`, repeatable: any setting, applied after the --flags."""
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help=help)


def add_sites_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sites-dir", action="append", help="another folder of site configs")


def add_fetch_options(p: argparse.ArgumentParser) -> None:
    """The flags of every command that runs a crawl (archive, crawl, demo)."""
    add_store_options(p)
    p.add_argument("--concurrency", type=int, help="parallel requests (CONCURRENT_REQUESTS)")
    p.add_argument("--timeout", type=float, help="download timeout, seconds (DOWNLOAD_TIMEOUT)")
    p.add_argument(
        "--max-size", type=int, help="abort bodies larger than this many bytes (DOWNLOAD_MAXSIZE)"
    )
    p.add_argument(
        "--ignore-robots", action="store_true", help="do not obey robots.txt (ROBOTSTXT_OBEY=False)"
    )
    p.add_argument("--workers", type=int, help="extraction processes (EXTRACT_WORKERS)")
    p.add_argument("--extract-timeout", type=float, help="seconds per document (EXTRACT_TIMEOUT)")
    p.add_argument("--warc-max-size", type=int, help="rotate WARC files at (WARC_MAX_SIZE)")
    p.add_argument("--warc-prefix", help="WARC file name prefix (WARC_PREFIX)")
    p.add_argument(
        "--progress-interval",
        type=float,
        help="seconds between progress lines; 0 = none (REPORT_PROGRESS_INTERVAL)",
    )
    p.add_argument(
        "--log-level", help=f"Scrapy log level (LOG_LEVEL; default {COMMAND_LOG_LEVEL} here)"
    )
    add_set_option(p, "any other setting, e.g. -s WARC_GZIP_LEVEL=9")


def store_overrides(args: argparse.Namespace) -> dict:
    """Settings from the flags of `add_store_options` (None = not given)."""
    return {
        "STORE_URI": args.store,
        "STORE_S3_ENDPOINT_URL": getattr(args, "s3_endpoint_url", None),
        "STORE_SPOOL_DIR": getattr(args, "spool_dir", None),
    }


def project_settings():
    """The project's settings module, unless the user points Scrapy at their own."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "settings")
    from scrapy.utils.project import get_project_settings

    return get_project_settings()


def set_given(settings, overrides: dict) -> None:
    """The --flags that were given (not None) onto `settings`."""
    for name, value in overrides.items():
        if value is not None:
            settings.set(name, value, priority="cmdline")


def apply_overrides(settings, overrides: dict, assignments: list[str] | None) -> None:
    """--flags, then -s NAME=VALUE, onto `settings`; then check the storage URI."""
    from crawler.store.uri import StoreURIError, open_store

    set_given(settings, overrides)
    for item in assignments or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"-s expects NAME=VALUE, got {item!r}")
        settings.set(name.strip(), value, priority="cmdline")
    try:
        open_store(settings.get("STORE_URI"), settings)
    except StoreURIError as exc:
        raise UsageError(str(exc)) from exc


def crawl_settings(args: argparse.Namespace, command: str):
    """Settings of a command that runs a crawl (the flags of `add_fetch_options`)."""
    from scrapy.settings import SETTINGS_PRIORITIES

    settings = project_settings()
    overrides = {
        **store_overrides(args),
        "CONCURRENT_REQUESTS": args.concurrency,
        "DOWNLOAD_TIMEOUT": args.timeout,
        "DOWNLOAD_MAXSIZE": args.max_size,
        "EXTRACT_WORKERS": args.workers,
        "EXTRACT_TIMEOUT": args.extract_timeout,
        "WARC_MAX_SIZE": args.warc_max_size,
        "WARC_PREFIX": args.warc_prefix,
        "LOG_LEVEL": args.log_level,
        "REPORT_PROGRESS_INTERVAL": args.progress_interval,
        "LEARN_SITE_PAGES": getattr(args, "learn_site", None),  # archive only
    }
    if args.ignore_robots:
        overrides["ROBOTSTXT_OBEY"] = False
    apply_overrides(settings, overrides, args.set)
    if settings.getpriority("LOG_LEVEL") < SETTINGS_PRIORITIES["cmdline"]:
        # neither --log-level nor -s LOG_LEVEL: the commands' own level (-s may set it)
        settings.set("LOG_LEVEL", settings.get("COMMAND_LOG_LEVEL"), priority="cmdline")
    settings.set("RUN_COMMAND", command, priority="cmdline")
    require_writable(store_root(settings))
    return settings


def plain_settings(args: argparse.Namespace, overrides: dict | None = None):
    """Settings of a command that runs without a Scrapy crawl: the store flags, the
    `overrides` its own flags give (None = not given), -s."""
    settings = project_settings()
    apply_overrides(settings, {**store_overrides(args), **(overrides or {})}, args.set)
    return settings


def sites_dirs(args: argparse.Namespace, settings) -> list[str]:
    """The --sites-dir folders, then SITES_DIRS."""
    given = list(args.sites_dir or [])
    return given + [d for d in settings.getlist("SITES_DIRS") if d not in given]


def store_root(settings) -> Path:
    """The store's local folder; for an s3:// store its spool (locks are per machine)."""
    from crawler.store.uri import open_store

    return Path(open_store(settings.get("STORE_URI"), settings).root)


def require_writable(folder: Path) -> None:
    """A usage error, before any work, if files cannot be written in `folder` (a store,
    an S3 store's spool, an export destination): a file there, a read-only mount, no
    permission (`crawler.store.local.unwritable_reason`)."""
    from crawler.store.local import unwritable_reason

    reason = unwritable_reason(folder)
    if reason is not None:
        raise UsageError(f"cannot write to {folder}: {reason}")
