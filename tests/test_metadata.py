from lxml import html

from crawler.extract.metadata import (
    declared_language,
    normalise_datetime,
    page_dates,
    split_authors,
)


def test_normalise_datetime():
    assert normalise_datetime("2019-12-03T10:15:00-05:00") == "2019-12-03T10:15:00-05:00"
    assert normalise_datetime("Tue, 03 Dec 2019 15:15:00 GMT") == "2019-12-03T15:15:00+00:00"
    assert normalise_datetime("2019-12-03 10:15") == "2019-12-03T10:15:00+00:00"  # naive = UTC
    assert normalise_datetime("2019-12-03") == "2019-12-03"  # no invented time of day
    assert normalise_datetime("not a date") is None
    assert normalise_datetime("") is None
    assert normalise_datetime("0001-01-01T00:00:00Z") is None
    # zone abbreviations of RSS dates and bylines
    assert normalise_datetime("Tue, 03 Dec 2019 10:00:00 CET") == "2019-12-03T10:00:00+01:00"
    assert normalise_datetime("Jul 4, 2024 9:30 AM EDT") == "2024-07-04T09:30:00-04:00"
    assert normalise_datetime("2024-07-04 09:30 PDT") == "2024-07-04T09:30:00-07:00"


def test_page_dates_prefers_meta_then_jsonld_then_time():
    tree = html.fromstring(
        '<html><head><script type="application/ld+json">{"@graph": [{"@type": "NewsArticle",'
        ' "datePublished": "2024-05-01T08:00:00+02:00", "dateModified": "2024-05-02T09:30:00Z"'
        '}]}</script></head><body><time datetime="2020-01-01">x</time></body></html>'
    )
    assert page_dates(tree) == ("2024-05-01T08:00:00+02:00", "2024-05-02T09:30:00+00:00")
    tree = html.fromstring(
        '<html><body><time datetime="2020-01-01T10:00:00+01:00">x</time></body></html>'
    )
    assert page_dates(tree) == ("2020-01-01T10:00:00+01:00", None)


def test_language_and_authors():
    assert declared_language(html.fromstring('<html lang="de-AT"><p>x</p></html>')) == "de"
    assert declared_language(html.fromstring("<html><p>x</p></html>"), "fr-CA, en") == "fr"
    assert declared_language(html.fromstring('<html lang="x-klingon"><p>x</p></html>')) is None
    assert split_authors("Jane Doe; John Roe; Jane Doe") == ["Jane Doe", "John Roe"]
    assert split_authors(None) == []
