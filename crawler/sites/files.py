"""Site files: where they are found, how one is read, and the error for a bad one.

`SITES_DIRS` entries are folders, or `package:NAME/sub/folder` for a folder shipped
inside an installed package: that one is read through `importlib.resources`, so the
site files that ship in `settings/sites` are found from a wheel, a zip or a scrapyd egg
alike (inside an egg `settings/sites` is no folder on disk). Both `crawler.sites.config`
(the whole file) and `crawler.extract.site_rules` (its boilerplate rules) read site files
through here.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE_PREFIX = "package:"
# What a site file's location can be: a file on disk, or one inside a package (a zip)
SiteFile = Path | Traversable


class SiteConfigError(ValueError):
    """A site file that cannot be used; the message names the file, table and key."""


def sites_folder(entry: str | Path) -> SiteFile:
    """One `SITES_DIRS` entry -> the folder it names."""
    text = str(entry)
    if not text.startswith(PACKAGE_PREFIX):
        return Path(entry)
    package, _, sub = text[len(PACKAGE_PREFIX) :].partition("/")
    try:
        folder = resources.files(package)
    except (ModuleNotFoundError, TypeError) as exc:
        raise SiteConfigError(f"{text}: no installed package {package!r} ({exc})") from exc
    for part in filter(None, sub.split("/")):
        folder = folder.joinpath(part)
    return folder


def site_files(dirs: list[str | Path]) -> list[SiteFile]:
    """The `*.toml` files of every folder in `dirs`, each folder's sorted by name."""
    found: list[SiteFile] = []
    for entry in dirs:
        folder = sites_folder(entry)
        if folder.is_dir():
            found.extend(
                sorted(
                    (f for f in folder.iterdir() if f.name.endswith(".toml") and f.is_file()),
                    key=lambda f: f.name,
                )
            )
    return found


def read_site_file(path: SiteFile) -> dict:
    """The parsed TOML of one site file; SiteConfigError if unreadable or not TOML."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SiteConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SiteConfigError(f"{path}: not valid TOML: {exc}") from exc


def file_stem(path: SiteFile) -> str:
    """`globalresearch` for `.../globalresearch.toml`, on disk or in a package."""
    return Path(path.name).stem


def list_of_strings(path: SiteFile, table: str, key: str, value: object) -> list[str]:
    """`value` if it is a list of strings; else the error every site file check raises."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SiteConfigError(f"{path}: [{table}] {key}: expected a list of strings, got {value!r}")
    return list(value)
