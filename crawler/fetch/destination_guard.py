"""The destination guard in Scrapy: every address a connection would use is checked first.

Scrapy's HTTP/1.1 and HTTP/2 handlers connect through Twisted's HostnameEndpoint, which
asks the reactor's name resolver for the addresses of the URL's host (IP literals and
numeric forms included) and connects to exactly those. `GuardedNameResolver` wraps the
resolver Scrapy installed (DNS cache and DNS_TIMEOUT kept) and passes on only the
addresses `DestinationPolicy` allows: the check is made on the resolved address, at
connect time, for every connection (robots.txt, pages, every redirect hop), and nothing
is sent to a refused address, not even a TCP SYN. A connection re-used from the pool
was checked when it was opened.

Twisted's resolver interface has no way to say why no address is left (the endpoint
fails with "no results for hostname lookup"), so the resolver remembers its refusal per
host and `DestinationGuardMiddleware` turns that DNS error into `DestinationBlocked`,
whose message names the address class (`blocked: 127.0.0.1 is a loopback address`).
The middleware also installs the resolver, on the first request (the reactor's resolver
is set up when the process starts, after the middlewares exist), and is off
(NotConfigured) when private networks are allowed.

With a proxy (`proxy` meta, http_proxy), the address checked is the proxy's: the proxy
resolves the destination. Name a trusted proxy on a private address in
ALLOWED_PRIVATE_ADDRESSES.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import exceptions as scrapy_exc
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as net_error
from twisted.internet.interfaces import IHostnameResolver, IResolutionReceiver
from zope.interface import implementer

from crawler.fetch.destinations import DestinationPolicy, is_ip_literal, policy_from_settings
from crawler.urls import normal_host

logger = logging.getLogger(__name__)

# Scrapy >= 2.14 wraps Twisted's DNS error in its own type.
_DNS_ERRORS = (net_error.DNSLookupError, getattr(scrapy_exc, "CannotResolveHostError", ()))


class DestinationBlocked(IgnoreRequest):
    """A request refused by the destination guard; the message is the reason."""


@implementer(IResolutionReceiver)
class _CheckingReceiver:
    """Passes the allowed addresses of one resolution on; remembers why others were not."""

    def __init__(self, receiver, host: str, resolver: GuardedNameResolver) -> None:
        self.receiver, self.host, self.resolver = receiver, host, resolver
        self.passed = 0
        self.refused: str | None = None

    def resolutionBegan(self, resolution) -> None:
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address) -> None:
        reason = self.resolver.policy.refusal(address.host, self.host)
        if reason is None:
            self.passed += 1
            self.receiver.addressResolved(address)
        elif self.refused is None:
            self.refused = reason

    def resolutionComplete(self) -> None:
        # The latest resolution of a host decides: a later genuine DNS failure is not
        # reported as a refusal, nor a refusal after an earlier success as a DNS error.
        key = normal_host(self.host)
        if self.refused and not self.passed:
            self.resolver.refusals[key] = self.refused
            logger.info("%s", self.refused)
        else:
            self.resolver.refusals.pop(key, None)
        self.receiver.resolutionComplete()


@implementer(IHostnameResolver)
class GuardedNameResolver:
    """An IHostnameResolver that hides the addresses `policy` refuses."""

    def __init__(self, inner, policy: DestinationPolicy) -> None:
        self.inner = inner
        self.policy = policy
        self.refusals: dict[str, str] = {}  # normal host -> reason of its last refusal

    def resolveHostName(
        self,
        resolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes=None,
        transportSemantics: str = "TCP",
    ):
        return self.inner.resolveHostName(
            _CheckingReceiver(resolutionReceiver, hostName, self),
            hostName,
            portNumber,
            addressTypes,
            transportSemantics,
        )


class DestinationGuardMiddleware:
    """Installs the guarded resolver and reports its refusals as `DestinationBlocked`.

    Nearest the downloader (DOWNLOADER_MIDDLEWARES 990): its process_exception sees the
    DNS error first, so RetryMiddleware never retries a refusal."""

    def __init__(self, crawler, policy: DestinationPolicy) -> None:
        self.policy = policy
        self.stats = crawler.stats
        self.resolver: GuardedNameResolver | None = None
        crawler.signals.connect(self._uninstall, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        policy = policy_from_settings(crawler.settings)
        if policy is None:
            raise NotConfigured("ALLOW_PRIVATE_NETWORKS: the destination guard is off")
        return cls(crawler, policy)

    def _install(self) -> None:
        from twisted.internet import reactor

        current = reactor.nameResolver
        if current is self.resolver:
            return
        # First request, or a resolver installed since (Scrapy's, at process start).
        self.resolver = GuardedNameResolver(current, self.policy)
        reactor.installNameResolver(self.resolver)

    def _uninstall(self) -> None:
        from twisted.internet import reactor

        if self.resolver is not None and reactor.nameResolver is self.resolver:
            reactor.installNameResolver(self.resolver.inner)

    def process_request(self, request) -> None:
        self._install()
        # An IP literal needs no resolving to be judged, and IPv6 literals would otherwise
        # fail as "host not found" with Scrapy's default (IPv4-only) resolver.
        host = urlparse_cached(request).hostname
        if host and is_ip_literal(host):
            reason = self.policy.refusal(host)
            if reason:
                self._refuse(reason)

    def _refuse(self, reason: str):
        self.stats.inc_value("destination/blocked")
        raise DestinationBlocked(reason)

    def process_exception(self, request, exception) -> None:
        if not isinstance(exception, _DNS_ERRORS) or self.resolver is None:
            return None
        proxy = request.meta.get("proxy")
        host = urlsplit(proxy if "://" in proxy else f"http://{proxy}").hostname if proxy else None
        key = normal_host(host or urlparse_cached(request).hostname)
        reason = self.resolver.refusals.get(key)
        if reason:
            self._refuse(reason)
        return None
