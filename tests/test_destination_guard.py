"""The destination guard (issue 12, SSRF) and the redirect policy, end to end on loopback.

The suite opts out of the guard for every process (tests/conftest.py sets
CRAWLER_ALLOW_PRIVATE_NETWORKS=1); the runs here set it to "0" to have the guard on, as
a user has it. No packet leaves loopback: every URL names 127.0.0.1, localhost, or a
numeric form that means a loopback address (2130706433, 0x7f.0.0.1, 127.1, 127.0.0.2).
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.settings import Settings
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver
from zope.interface import implementer

from crawler.demo.loopback import LoopbackSite
from crawler.fetch.destination_guard import GuardedNameResolver
from crawler.fetch.destinations import (
    ALLOW_ENV,
    DestinationPolicy,
    address_class,
    is_ip_literal,
    parse_networks,
    policy_from_settings,
)
from crawler.fetch.redirects import redirect_refusal
from tests.conftest import run_cli
from tests.warc_tools import responses_for

GUARD_ON = {ALLOW_ENV: "0"}
ARTICLE = (
    "<html><head><title>Harbour reopens</title></head><body><article><h1>Harbour reopens"
    "</h1>"
    + "".join(
        f"<p>Paragraph {i}: the harbour reopened after the storm, and fishermen said the "
        "repairs to the pier had taken longer than the council had promised them.</p>"
        for i in range(6)
    )
    + "</article></body></html>"
).encode()


# -- the rule: address classes ------------------------------------------------------------

CLASSES = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "private"),  # carrier-grade NAT
    ("fd12:3456::1", "private"),
    ("fc00::1", "private"),
    ("::ffff:10.0.0.1", "private"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("fe80::1", "link-local"),
    ("::ffff:169.254.169.254", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.1", "reserved"),  # TEST-NET-1
    ("198.18.0.1", "reserved"),  # benchmarking
    ("2001:db8::1", "reserved"),  # documentation
    # public: no class (judged only, never contacted)
    ("93.184.215.14", None),
    ("8.8.8.8", None),
    ("172.32.0.1", None),  # just outside 172.16/12
    ("100.128.0.1", None),  # just outside 100.64/10
    ("2606:4700:4700::1111", None),
    ("::ffff:8.8.8.8", None),
]


@pytest.mark.parametrize(("address", "expected"), CLASSES)
def test_address_classes(address, expected):
    assert address_class(ipaddress.ip_address(address)) == expected


def test_refusal_reason_names_the_class_and_the_host():
    policy = DestinationPolicy()
    assert policy.refusal("127.0.0.1") == "blocked: 127.0.0.1 is a loopback address"
    assert policy.refusal("127.0.0.1", "127.0.0.1") == "blocked: 127.0.0.1 is a loopback address"
    assert (
        policy.refusal("127.0.0.1", "localhost")
        == "blocked: 127.0.0.1 is a loopback address (localhost resolves to it)"
    )
    assert policy.refusal("0.0.0.0") == "blocked: 0.0.0.0 is an unspecified address"
    assert policy.refusal("169.254.169.254").endswith("is a link-local address")
    assert "(IPv4 10.0.0.1)" in policy.refusal("::ffff:10.0.0.1")
    assert policy.refusal("fe80::1%eth0") == "blocked: fe80::1 is a link-local address"
    assert policy.refusal("8.8.8.8", "dns.example") is None


def test_ip_literals_are_standard_notation_only():
    assert is_ip_literal("127.0.0.1") and is_ip_literal("::1") and is_ip_literal("fe80::1%lo")
    # numeric forms are names the resolver turns into addresses; judged once resolved
    assert not any(is_ip_literal(h) for h in ("2130706433", "0x7f.1", "127.1", "localhost"))


def test_allowed_networks_let_only_themselves_through():
    policy = DestinationPolicy(parse_networks(["127.0.0.1", "10.1.0.0/16"]))
    assert policy.refusal("127.0.0.1") is None
    assert policy.refusal("10.1.200.3") is None
    assert policy.refusal("127.0.0.2") == "blocked: 127.0.0.2 is a loopback address"
    assert policy.refusal("10.2.0.1") == "blocked: 10.2.0.1 is a private address"
    with pytest.raises(ValueError, match="ALLOWED_PRIVATE_ADDRESSES"):
        parse_networks(["not-a-network"])


def test_guard_is_on_by_default_and_off_by_setting_or_environment(monkeypatch):
    monkeypatch.delenv(ALLOW_ENV, raising=False)
    from settings import ALLOW_PRIVATE_NETWORKS

    assert ALLOW_PRIVATE_NETWORKS is False
    assert policy_from_settings(Settings({"ALLOW_PRIVATE_NETWORKS": False})) is not None
    assert policy_from_settings(Settings({"ALLOW_PRIVATE_NETWORKS": True})) is None
    monkeypatch.setenv(ALLOW_ENV, "0")
    assert policy_from_settings(Settings({"ALLOW_PRIVATE_NETWORKS": False})) is not None
    monkeypatch.setenv(ALLOW_ENV, "1")
    assert policy_from_settings(Settings({"ALLOW_PRIVATE_NETWORKS": False})) is None


# -- the hook: the resolver hides refused addresses -----------------------------------------


@implementer(IHostnameResolver)
class HostsFile:
    """A name resolver with a fixed hosts table (the names exist only in this test)."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    def resolveHostName(self, receiver, hostName, portNumber=0, addressTypes=None, semantics=""):
        receiver.resolutionBegan(None)
        for address in self.table.get(hostName, []):
            kind = IPv6Address if ":" in address else IPv4Address
            receiver.addressResolved(kind("TCP", address, portNumber))
        receiver.resolutionComplete()


class Collected:
    def __init__(self) -> None:
        self.addresses: list[str] = []
        self.complete = False

    def resolutionBegan(self, resolution) -> None:
        pass

    def addressResolved(self, address) -> None:
        self.addresses.append(address.host)

    def resolutionComplete(self) -> None:
        self.complete = True


def test_guarded_resolver_passes_only_allowed_addresses():
    hosts = HostsFile(
        {
            "intranet.test": ["10.0.0.5", "127.0.0.1"],
            "mixed.test": ["169.254.169.254", "93.184.215.14"],
        }
    )
    resolver = GuardedNameResolver(hosts, DestinationPolicy())
    blocked = Collected()
    resolver.resolveHostName(blocked, "intranet.test", 80)
    assert blocked.complete and blocked.addresses == []
    assert resolver.refusals["intranet.test"] == (
        "blocked: 10.0.0.5 is a private address (intranet.test resolves to it)"
    )
    mixed = Collected()
    resolver.resolveHostName(mixed, "mixed.test", 80)
    assert mixed.complete and mixed.addresses == ["93.184.215.14"]  # resolved, not contacted
    assert "mixed.test" not in resolver.refusals
    # a later resolution with nothing at all is a DNS failure, not a refusal
    hosts.table["intranet.test"] = []
    resolver.resolveHostName(Collected(), "intranet.test", 80)
    assert "intranet.test" not in resolver.refusals


# -- the redirect rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "domains", "expected"),
    [
        ("file:///etc/passwd", None, "redirect to file: refused"),
        ("data:text/html,hi", None, "redirect to data: refused"),
        ("ftp://127.0.0.1/x", None, "redirect to ftp: refused"),
        ("s3://bucket/key", ["127.0.0.1"], "redirect to s3: refused"),
        ("http://localhost:8080/a", ["127.0.0.1"], "redirect off site to localhost refused"),
        ("http://127.0.0.1:8080/a", ["127.0.0.1"], None),
        ("https://localhost/a", None, None),
        ("http://www.localhost/a", ["localhost"], None),
        ("http://notlocalhost/a", ["localhost"], "redirect off site to notlocalhost refused"),
    ],
)
def test_redirect_rule(target, domains, expected):
    assert redirect_refusal(target, domains) == expected


# -- end to end: a loopback site that redirects and logs what reached it ----------------------


class _Handler(BaseHTTPRequestHandler):
    fixture: RedirectSite

    def log_message(self, format, *args):
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.fixture.lock:
            self.fixture.requests.append((self.headers.get("Host", ""), self.path))
            if self.headers.get("Authorization"):
                self.fixture.authorizations.append(self.path)
        if path == "/to":  # /to?url=X: 302 to X
            self._send(302, b"", {"Location": parse_qs(urlsplit(self.path).query)["url"][0]})
        elif path in self.fixture.redirects:
            self._send(302, b"", {"Location": self.fixture.redirects[path]})
        elif path in self.fixture.refreshes:
            target = self.fixture.refreshes[path]
            html = f'<html><head><meta http-equiv="refresh" content="0;url={target}"></head>'
            self._send(200, html.encode() + ARTICLE)
        elif path == "/":
            links = "".join(f'<a href="{p}">{p}</a> ' for p in self.fixture.home_links)
            self._send(200, f"<html><body>{links}</body></html>".encode())
        elif path.endswith(".html"):
            self._send(200, ARTICLE)
        else:
            self._send(404, b"not found")

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


class RedirectSite(LoopbackSite):
    handler_class = _Handler

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.authorizations: list[str] = []  # paths requested with an Authorization header
        self.redirects: dict[str, str] = {}
        self.refreshes: dict[str, str] = {}  # path -> target of its <meta> refresh
        self.home_links: list[str] = []


@pytest.fixture
def loopback():
    with RedirectSite() as served:
        yield served


def _manifest(store: Path) -> dict:
    (path,) = (store / "runs").glob("*.json")
    return json.loads(path.read_text())


def _failures(store: Path) -> dict[str, str]:
    with sqlite3.connect(store / "catalog.sqlite") as db:
        return dict(db.execute("SELECT url, reason FROM failures"))


def test_guard_refuses_loopback_names_and_numeric_forms(loopback, tmp_path):
    port = loopback.port
    urls = [
        loopback.url("/a.html"),
        f"http://localhost:{port}/b.html",
        # numeric hosts that mean 127.0.0.1 (inet_aton forms), with the site's port: if
        # the guard let them through, the site's request log would show it
        f"http://2130706433:{port}/c.html",
        f"http://0x7f.0.0.1:{port}/d.html",
        f"http://127.1:{port}/e.html",
        f"http://[::1]:{port}/f.html",
    ]
    store = tmp_path / "store"
    result = run_cli("archive", *urls, "--store", str(store), env=GUARD_ON)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert loopback.requests == []  # nothing reached the site, not even robots.txt
    reasons = {o["url"]: o["reason"] for o in _manifest(store)["outcomes"]}
    assert reasons[urls[0]] == "blocked: 127.0.0.1 is a loopback address"
    assert reasons[urls[1]] == (
        "blocked: 127.0.0.1 is a loopback address (localhost resolves to it)"
    )
    assert reasons[urls[5]] == "blocked: ::1 is a loopback address"
    for url in urls[2:5]:
        host = urlsplit(url).hostname
        assert reasons[url] == f"blocked: 127.0.0.1 is a loopback address ({host} resolves to it)"
    assert _failures(store) == reasons  # the catalog's failures table says the same
    # each host's robots.txt request was refused; its page then by the robots middleware
    assert _manifest(store)["stats"]["destination/blocked"] == len(urls)
    for url in urls[:5]:
        assert f"FAILED      -  {url}  blocked: 127.0.0.1 is a loopback address" in result.stdout


def test_opt_out_flag_fetches_the_same_site(loopback, tmp_path):
    store = tmp_path / "store"
    url = loopback.url("/a.html")
    result = run_cli(
        "archive", url, "--store", str(store), "--allow-private-networks", env=GUARD_ON
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (f"127.0.0.1:{loopback.port}", "/a.html") in loopback.requests
    assert _manifest(store)["outcomes"][0]["archived"] is True


def test_every_redirect_hop_is_checked(loopback, tmp_path):
    """127.0.0.1 let through by ALLOWED_PRIVATE_ADDRESSES, the guard on for the rest: the
    first hop is fetched and archived, its redirect to 127.0.0.2 (loopback, not allowed)
    is refused before connecting."""
    store = tmp_path / "store"
    hop2 = f"http://127.0.0.2:{loopback.port}/b.html"
    url = loopback.url(f"/to?url={hop2}")
    result = run_cli(
        "archive",
        url,
        "--store",
        str(store),
        "-s",
        "ALLOWED_PRIVATE_ADDRESSES=127.0.0.1",
        env=GUARD_ON,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (outcome,) = _manifest(store)["outcomes"]
    assert outcome["reason"] == "blocked: 127.0.0.2 is a loopback address"
    assert [p for _, p in loopback.requests if p != "/robots.txt"] == [f"/to?url={hop2}"]
    (redirect,) = responses_for(store, url)
    assert redirect["http"].get_statuscode() == "302"


def test_redirect_to_file_scheme_is_refused_with_its_reason(loopback, tmp_path):
    store = tmp_path / "store"
    url = loopback.url("/to?url=file:///etc/passwd")
    result = run_cli("archive", url, "--store", str(store))  # guard off: the suite's default
    assert result.returncode == 1
    (outcome,) = _manifest(store)["outcomes"]
    assert outcome["reason"] == "redirect to file: refused"
    assert _failures(store) == {url: "redirect to file: refused"}
    (redirect,) = responses_for(store, url)  # the 3xx is archived
    assert redirect["http"].get_statuscode() == "302"


def _site_toml(site: RedirectSite, folder: Path) -> Path:
    path = folder / "loop.toml"
    path.write_text(
        f"""
[site]
name = "loop"
domains = ["127.0.0.1"]
start_urls = ["{site.base_url}/"]

[discovery]
feeds = []
sitemaps = []
article_allow = ['/news/[a-z]+\\.html$']

[politeness]
download_delay = 0
autothrottle = false
"""
    )
    return path


def test_site_crawl_does_not_follow_redirects_off_its_domains(loopback, tmp_path):
    """127.0.0.1 and localhost are one machine but two host names: a site whose domains
    are ['127.0.0.1'] must not follow an article's redirect to localhost. A link with
    userinfo is fetched and recorded without it."""
    port = loopback.port
    with_userinfo = f"http://reader:s3cr3t@127.0.0.1:{port}/news/member.html"
    loopback.home_links = [
        "/news/kept.html",
        "/news/moved.html",
        "/news/filed.html",
        "/news/refreshed.html",
        with_userinfo,
    ]
    loopback.redirects = {
        "/news/moved.html": f"http://localhost:{port}/news/elsewhere.html",
        "/news/filed.html": "file:///etc/passwd",
    }
    loopback.refreshes = {"/news/refreshed.html": f"http://localhost:{port}/news/other.html"}
    store = tmp_path / "store"
    result = run_cli(
        "crawl", str(_site_toml(loopback, tmp_path)), "--store", str(store), "--ignore-robots"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not any(host.startswith("localhost") for host, _ in loopback.requests)
    report = _manifest(store)
    skipped = {s["url"]: s["reason"] for s in report["skipped"]}
    moved, filed = loopback.url("/news/moved.html"), loopback.url("/news/filed.html")
    assert skipped[moved] == "redirect off site to localhost refused"
    assert skipped[filed] == "redirect to file: refused"
    refreshed = loopback.url("/news/refreshed.html")
    assert skipped[refreshed] == "redirect off site to localhost refused"  # <meta> refresh
    archived = {o["url"] for o in report["outcomes"] if o["archived"]}
    assert archived == {loopback.url("/news/kept.html"), loopback.url("/news/member.html")}
    assert loopback.authorizations == []
    assert "s3cr3t" not in json.dumps(report) and "reader@" not in json.dumps(report)
    for url in (moved, filed):  # the 3xx stays in the WARC
        (redirect,) = responses_for(store, url)
        assert redirect["http"].get_statuscode() == "302"


# -- the opt-out reaches every command that crawls -----------------------------------------


def test_schedule_passes_the_opt_out_to_its_crawls():
    from crawler.cli import build_parser
    from crawler.commands.schedule import _child_args

    args = build_parser().parse_args(["schedule", "--once", "--allow-private-networks"])
    assert "--allow-private-networks" in _child_args(args, Settings({"STORE_URI": "./x"}))
    plain = build_parser().parse_args(["schedule", "--once"])
    assert "--allow-private-networks" not in _child_args(plain, Settings({"STORE_URI": "./x"}))


def test_demo_fetches_its_loopback_site_with_the_guard_on(tmp_path):
    store = tmp_path / "store"
    result = run_cli("demo", "--store", str(store), "--workers", "1", env=GUARD_ON)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "blocked:" not in result.stdout + result.stderr
    assert all(o["archived"] for o in _manifest(store)["outcomes"])


def test_bad_allowed_private_addresses_is_a_usage_error(tmp_path):
    result = run_cli(
        "archive",
        "http://127.0.0.1:9/x",  # never fetched: the command stops before the crawl
        "--store",
        str(tmp_path / "store"),
        "-s",
        "ALLOWED_PRIVATE_ADDRESSES=10.0.0.0/33",
        env=GUARD_ON,
    )
    assert result.returncode == 2
    assert "ALLOWED_PRIVATE_ADDRESSES" in result.stderr and "Traceback" not in result.stderr
