"""Site config patterns run in linear time (RE2) and say which constructs they lack."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from crawler.sites.config import load_site_config
from crawler.sites.files import SiteConfigError
from tests.conftest import ROOT

SITE = """
[site]
name = "ok"
domains = ["news.example"]
start_urls = ["https://news.example/"]
[discovery]
{discovery}
"""


def _site(tmp_path, discovery: str):
    path = tmp_path / "site.toml"
    path.write_text(SITE.format(discovery=discovery))
    return path


def test_catastrophic_pattern_matches_in_linear_time(tmp_path):
    path = _site(tmp_path, "article_allow = ['(a+)+$']\nfollow_allow = ['(x+x+)+y']")
    urls = [
        "https://news.example/" + "a" * 30 + "!",
        "https://news.example/" + "x" * 5000,
        "https://news.example/aaa",
    ]
    # in a child process: Python's re would not give the GIL back for minutes on these
    code = (
        "import sys; from crawler.sites.config import load_site_config as load; "
        "c = load(sys.argv[1]); "
        "print([(c.is_article(u), c.is_followable_hub(u)) for u in sys.argv[2:]])"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", code, str(path), *urls],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[(False, False), (False, False), (True, False)]"
    assert time.monotonic() - started < 30


@pytest.mark.parametrize(
    "pattern, construct",
    [(r"^/(?!tag/)", "(?!"), (r"(?<=/news)/\d+", "(?<="), (r"/(\w+)/\1/", "\\1")],
)
def test_constructs_re2_lacks_are_refused_with_a_reason(tmp_path, pattern, construct):
    path = _site(tmp_path, f"article_allow = ['/news/']\narticle_deny = ['{pattern}']")
    with pytest.raises(SiteConfigError) as caught:
        load_site_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: [discovery] article_deny: expected valid regular")
    assert construct in message and "RE2" in message and "Python's re accepts it" in message


def test_invalid_everywhere_is_refused_without_the_re2_note(tmp_path):
    with pytest.raises(SiteConfigError) as caught:
        load_site_config(_site(tmp_path, "follow_allow = ['/a[b']"))
    assert "missing ]" in str(caught.value) and "Python's re" not in str(caught.value)


def test_re2_patterns_keep_python_meaning_for_urls(tmp_path):
    config = load_site_config(
        _site(tmp_path, r"article_allow = ['/\d{4}/\d{2}/[^/]+\.html$', '(?i)/STORY/']")
    )
    assert config.is_article("https://news.example/2024/05/x.html")
    assert config.is_article("https://news.example/story/1")
    assert not config.is_article("https://news.example/2024/05/x.html?p=1")
