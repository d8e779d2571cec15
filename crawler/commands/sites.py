"""`crawler sites [--sites-dir DIR]`: list the configured sites and validate their files."""

from __future__ import annotations

import argparse

from crawler.commands.options import (
    add_set_option,
    add_sites_dir_option,
    plain_settings,
    sites_dirs,
)
from crawler.usage_error import EXIT_FAILED, EXIT_OK


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("sites", help="list the configured sites and validate their files")
    add_sites_dir_option(p)
    p.add_argument("--store", default=None, help=argparse.SUPPRESS)
    add_set_option(p, "a setting")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from crawler.sites.config import DISCOVER, load_site_config
    from crawler.sites.files import SiteConfigError, site_files

    settings = plain_settings(args)
    dirs = sites_dirs(args, settings)
    files = site_files(dirs)
    if not files:
        print(f"no site configs (*.toml) in {', '.join(dirs)}")
        return EXIT_OK
    bad = 0
    for path in files:
        try:
            config = load_site_config(path)
        except SiteConfigError as exc:
            bad += 1
            print(f"INVALID  {exc}")
            continue
        feeds = "discover" if config.feeds == DISCOVER else f"{len(config.feeds)} feed(s)"
        maps = "discover" if config.sitemaps == DISCOVER else f"{len(config.sitemaps)} sitemap(s)"
        print(
            f"ok       {config.name:<20} {', '.join(config.domains):<30} "
            f"schedule {config.schedule or '-':<16} feeds {feeds}, sitemaps {maps}, "
            f"{len(config.sections)} section(s)  ({path})"
        )
    print(f"{len(files) - bad} valid, {bad} invalid site config(s) in {', '.join(dirs)}")
    return EXIT_FAILED if bad else EXIT_OK
