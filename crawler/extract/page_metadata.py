"""trafilatura's metadata step (`trafilatura.metadata.extract_metadata`, 2.x), composed
from its own functions minus the searches a page has already answered or we never use.

Measured on 200 of the ../shared/bench pages (bench/metadata_cost.py): the metadata step
was a third of `extract_html`'s CPU, mostly htmldate's date search (3.7 ms a page, run
even when <meta> or JSON-LD had given the date) and the author heuristic (6 ms a page
where the page declares no author: it deep-copies the whole tree to prune it). So:

- the date search runs only when the page states no date in <meta>, JSON-LD or <time>
  (`metadata.page_date_evidence`), and a bare year it finds (a copyright line: "2019"
  became 2019-01-01) is not taken as a date unless htmldate's exact search finds it too;
- the author heuristic prunes the caller's tree in place instead of a copy: call this
  last, on a tree nothing reads afterwards;
- no licence search here: `page_rights.page_license` reads JSON-LD and <link> first, then
  runs trafilatura's own search (`extract_license`).
"""

from __future__ import annotations

from htmldate import find_date
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_catstags,
    extract_meta_json,
    extract_metainfo,
    extract_sitename,
    extract_title,
    extract_url,
    normalize_authors,
)
from trafilatura.settings import Document, set_date_params
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from crawler.extract.metadata import PageDates, normalise_datetime, source_of_found_date


def searched_date(tree, url: str | None, dates: PageDates) -> tuple[str | None, str | None]:
    """(published, its source): the page's own statement, else htmldate's search."""
    if dates.published:
        return dates.published, dates.published_source
    # set_date_params is made per call: it holds today's date as the latest date accepted
    found = find_date(tree, **set_date_params(True), url=url)
    if (
        found
        and found.endswith("-01-01")
        and find_date(tree, **set_date_params(False), url=url) != found
    ):
        found = None  # a year alone, e.g. "Copyright 2019": no evidence of the day
    published = normalise_datetime(found)
    return published, source_of_found_date(published, url, dates)


def author_in_place(tree) -> str | None:
    """trafilatura's `extract_author` without its deep copy of the tree."""
    author = extract_metainfo(
        prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS), AUTHOR_XPATHS, len_limit=120
    )
    return normalize_authors(None, author) if author else None


def page_metadata(tree, url: str | None, dates: PageDates) -> tuple[Document, str | None]:
    """(trafilatura's Document of metadata, the source of its `date`). Prunes `tree`."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None  # as trafilatura: a single word is a handle, not a name
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # noqa: BLE001 - as trafilatura: JSON-LD from strangers breaks it
        pass
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    metadata.date, date_source = searched_date(tree, metadata.url or url, dates)
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if (
            metadata.sitename
            and "." not in metadata.sitename
            and not metadata.sitename[0].isupper()
        ):
            metadata.sitename = metadata.sitename.title()
    elif metadata.url:
        match = META_URL.match(metadata.url)
        if match:
            metadata.sitename = match[1]
    if not metadata.categories:
        metadata.categories = extract_catstags("category", tree)
    if not metadata.tags:
        metadata.tags = extract_catstags("tag", tree)
    if not metadata.author:
        metadata.author = author_in_place(tree)  # last: it prunes the tree
    metadata.clean_and_trim()
    return metadata, date_source
