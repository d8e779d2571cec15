"""Flag groups that several `crawler` commands share, and the Scrapy settings built from
them: the project's settings, then the --flags, then `-s NAME=VALUE` (the last word wins).

Every flag maps to one setting; its default is the setting's, in `settings/__init__.py`,
so argparse defaults here are None ("not given")."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import settings as defaults
from crawler.sizes import (
    SIZE_FORMS,
    SIZE_SETTINGS,
    SizeError,
    format_size,
    parse_size,
    read_size_settings,
)
from crawler.usage_error import UsageError
from settings import CATALOG_FILENAME, COMMAND_LOG_LEVEL, STORE_URI


def size_arg(text: str) -> int:
    """argparse type of a size flag (crawler/sizes.py: `64MiB`, `1G`, `1MB`, bytes)."""
    try:
        return parse_size(text)
    except SizeError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size: use {SIZE_FORMS}") from None


def setting_help(name: str) -> str:
    """'(NAME; default VALUE)' for a flag's help: the default as settings/__init__.py has it."""
    value = getattr(defaults, name)
    if name in SIZE_SETTINGS:
        value = format_size(value)
    return f"({name}; default {value})"


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
    p.add_argument(
        "--catalog",
        metavar="URI",
        help="the catalog: postgresql://user@host/db to share one between nodes "
        f"(CATALOG_URI; default the {CATALOG_FILENAME} at the store's root)",
    )


def add_set_option(p: argparse.ArgumentParser, help: str) -> None:
    """`-s NAME=VALUE`, repeatable: any setting, applied after the --flags."""
    p.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help=help)


def add_sites_dir_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--sites-dir",
        action="append",
        metavar="DIR",
        help="folder of site configs (*.toml), repeatable; replaces the default folders "
        f"(SITES_DIRS; default {', '.join(defaults.SITES_DIRS)}: the shipped examples)",
    )


def add_allow_private_networks_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-private-networks",
        action="store_true",
        help="also fetch from loopback, private, link-local and other non-public addresses "
        "(ALLOW_PRIVATE_NETWORKS; default: public addresses only, checked at connect time)",
    )


def add_fetch_options(p: argparse.ArgumentParser) -> None:
    """The flags of every command that runs a crawl (archive, crawl, demo)."""
    add_store_options(p)
    p.add_argument(
        "--concurrency", type=int, help=f"parallel requests {setting_help('CONCURRENT_REQUESTS')}"
    )
    p.add_argument(
        "--timeout",
        type=float,
        help=f"download timeout, seconds {setting_help('DOWNLOAD_TIMEOUT')}",
    )
    add_allow_private_networks_option(p)
    p.add_argument(
        "--max-size",
        type=size_arg,
        metavar="SIZE",
        help=f"abort bodies larger than this, e.g. 1MB, 64MiB {setting_help('DOWNLOAD_MAXSIZE')}",
    )
    p.add_argument(
        "--ignore-robots",
        action="store_true",
        help="do not obey robots.txt (ROBOTSTXT_OBEY=False; default: obey)",
    )
    p.add_argument(
        "--workers",
        type=int,
        help=f"extraction processes, 0 = one per core {setting_help('EXTRACT_WORKERS')}",
    )
    p.add_argument(
        "--extract-timeout",
        type=float,
        help=f"seconds per document {setting_help('EXTRACT_TIMEOUT')}",
    )
    p.add_argument(
        "--warc-max-size",
        type=size_arg,
        metavar="SIZE",
        help=f"rotate WARC files at this size, e.g. 1G {setting_help('WARC_MAX_SIZE')}",
    )
    p.add_argument("--warc-prefix", help=f"WARC file name prefix {setting_help('WARC_PREFIX')}")
    p.add_argument(
        "--progress-interval",
        type=float,
        help=f"seconds between progress lines; 0 = none {setting_help('REPORT_PROGRESS_INTERVAL')}",
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
        "CATALOG_URI": getattr(args, "catalog", None),
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
    from crawler.store.catalog import CatalogError, catalog_location

    try:
        read_size_settings(settings)
    except SizeError as exc:
        raise UsageError(str(exc)) from exc
    try:
        open_store(settings.get("STORE_URI"), settings)
        if settings.get("CATALOG_URI"):
            catalog_location(settings.get("CATALOG_URI"))
    except (StoreURIError, CatalogError) as exc:
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
    if args.allow_private_networks:
        overrides["ALLOW_PRIVATE_NETWORKS"] = True
    apply_overrides(settings, overrides, args.set)
    from crawler.fetch.destinations import policy_from_settings

    try:
        policy_from_settings(settings)  # a bad ALLOWED_PRIVATE_ADDRESSES: a usage error
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
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


def sites_dirs(args: argparse.Namespace, settings, *, then_defaults: bool = False) -> list[str]:
    """The --sites-dir folders if given (they replace SITES_DIRS), else SITES_DIRS.
    `then_defaults`: SITES_DIRS after them, to find a site the user named."""
    given = list(args.sites_dir or [])
    if given and not then_defaults:
        return given
    return given + [d for d in settings.getlist("SITES_DIRS") if d not in given]


def store_root(settings) -> Path:
    """The store's local folder; for an s3:// store its spool (locks are per machine)."""
    from crawler.store.uri import open_store

    return Path(open_store(settings.get("STORE_URI"), settings).root)


def check_frontier(uri: str) -> None:
    """UsageError unless `uri` names a frontier this crawler can open (--frontier)."""
    from crawler.frontier import FrontierError, open_frontier

    try:
        open_frontier(uri, 0.0).close()  # Redis: no connection made yet
    except FrontierError as exc:
        raise UsageError(str(exc)) from exc


def require_writable(folder: Path) -> None:
    """A usage error, before any work, if files cannot be written in `folder` (a store,
    an S3 store's spool, an export destination): a file there, a read-only mount, no
    permission (`crawler.store.local.unwritable_reason`)."""
    from crawler.store.local import unwritable_reason

    reason = unwritable_reason(folder)
    if reason is not None:
        raise UsageError(f"cannot write to {folder}: {reason}")


def log_to_stderr() -> None:
    """The log of the long-running commands (schedule, worker): INFO and up, timestamped."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s: %(message)s",
    )
