"""Dates from evidence only (issue 11, item 6): each source a page can give a date in, and
the page whose only date is a copyright line, which gets no date rather than YYYY-01-01."""

from __future__ import annotations

import jsonschema
import pytest

from crawler.extract.trafilatura_extractor import extract_html
from crawler.record import build_article_record, load_schema

BODY = "".join(
    f"<p>Paragraph {i}: the council met on a rainy evening and discussed the harbour plan "
    "at length with residents, engineers and the port authority.</p>"
    for i in range(6)
)


def _page(head: str = "", before: str = "", footer: str = "") -> str:
    return (
        f"<html><head><title>Harbour plan</title>{head}</head><body><article>"
        f"<h1>Harbour plan</h1>{before}{BODY}</article><footer>{footer}</footer>"
        "</body></html>"
    )


COPYRIGHT = "<p>Copyright \u00a9 2019 Valley Gazette. All rights reserved.</p>"
CASES = {
    "json-ld": (
        _page(
            head='<script type="application/ld+json">{"@type": "NewsArticle", '
            '"datePublished": "2024-05-01T08:00:00+02:00", '
            '"dateModified": "2024-05-02T09:30:00Z"}</script>',
            footer=COPYRIGHT,
        ),
        "https://news.example/harbour.html",
        "2024-05-01T08:00:00+02:00",
        "2024-05-02T09:30:00+00:00",
        "json-ld",
    ),
    "meta": (
        _page(
            head='<meta property="article:published_time" '
            'content="2023-02-03T04:05:06Z"><meta property="article:modified_time"'
            ' content="2023-02-04T00:00:00Z">',
            footer=COPYRIGHT,
        ),
        "https://news.example/harbour.html",
        "2023-02-03T04:05:06+00:00",
        "2023-02-04T00:00:00+00:00",
        "meta",
    ),
    "url": (
        _page(footer=COPYRIGHT),
        "https://news.example/2022/07/14/harbour.html",
        "2022-07-14",
        None,
        None,
    ),
    "text": (
        _page(
            before='<p class="byline">By Jane Doe, published March 12, 2021</p>', footer=COPYRIGHT
        ),
        "https://news.example/harbour.html",
        "2021-03-12",
        None,
        None,
    ),
    "time": (
        _page(
            before='<p>By Jane Doe, <time datetime="2020-10-09T08:07:00+01:00">9 October</time></p>'
        ),
        "https://news.example/harbour.html",
        "2020-10-09T08:07:00+01:00",
        None,
        None,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_date_source_is_named(name):
    html, url, published, modified, modified_source = CASES[name]
    found = extract_html(html, url)
    expected_source = "text" if name == "time" else name
    assert (found.published, found.published_source) == (published, expected_source)
    assert (found.modified, found.modified_source) == (modified, modified_source)
    assert "Paragraph 5" in found.text


def test_copyright_line_alone_gives_no_date():
    found = extract_html(_page(footer=COPYRIGHT), "https://news.example/harbour.html")
    assert "Paragraph 0" in found.text  # the page was extracted...
    assert found.published is None and found.published_source is None  # ...but not dated
    assert found.modified is None and found.modified_source is None


def test_date_sources_in_the_record_validate():
    schema = load_schema()
    for html, url, *_ in [*CASES.values(), (_page(footer=COPYRIGHT), "https://n.example/x")]:
        extraction = extract_html(html, url).to_dict()
        record = build_article_record(
            extraction=extraction,
            url=url,
            final_url=url,
            fetched_at=None,
            http_status=200,
            content_type="text/html",
            crawl_id=None,
            warc=None,
            extractor={"trafilatura": "x"},
        )
        assert record["published_source"] == extraction["published_source"]
        jsonschema.validate(record, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**record, "published_source": "copyright"}, schema)
