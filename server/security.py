"""Headers every response carries, and the Host names the server answers to (both applied by :class:`~.edge.Edge`).

* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy`` on every response.
* A ``Content-Security-Policy`` that lets pages load scripts, styles, images and fonts only from
  this server, and connect to nothing else (so even a script that had been tricked could not send
  a query, or data, elsewhere); ``frame-ancestors 'none'`` (and ``X-Frame-Options: DENY`` for older
  browsers) so no other site can frame a page. A route that needs a different policy (the query UI,
  whose editor writes one stylesheet) sets its own header, which is kept.
* Only the configured Host names are served: every absolute URL is written from the public URL
  setting, and a request for any other name is refused with 400 rather than answered from a cache
  key that ignores it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ilrs.graph.settings import Settings

#: The policy of every page: only this server's own scripts, styles, images and fonts; no framing.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

#: The one ``<style>`` element the query UI's editor writes itself: the fixed stylesheet of the results
#: table's column resizer (in the vendored YASGUI build). A new build that changes it shows up as a CSP
#: violation in tests/test_ui_browser.py, with the new hash in the browser's message.
QUERY_UI_STYLE_HASHES = ("'sha256-zCK2EVMoPc04mRF/g5CotUvxbJPWS+8V0b+s9ptqQIk='",)

#: The query UI's policy: the site's, plus the editor's own stylesheet by its hash.
_UI_STYLES = " ".join(("style-src 'self'", *QUERY_UI_STYLE_HASHES))
CSP_QUERY_UI = CONTENT_SECURITY_POLICY.replace("style-src 'self'", _UI_STYLES)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
}

#: Names of this machine that are always served (``make serve`` is reached by any of them).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def allowed_hosts(settings: Settings) -> list[str]:
    """The Host names served: the public URL's, the loopback names and ``settings.allowed_hosts``."""
    public = urlsplit(settings.public_url()).hostname or ""
    return list(dict.fromkeys([public, *LOOPBACK_HOSTS, *(h.lower() for h in settings.allowed_hosts)]))


def host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:8000`` is ``::1``), lower-cased."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_allowed(name: str, patterns: list[str]) -> bool:
    """Whether ``name`` is one of ``patterns`` (a pattern ``*.example.org`` matches its subdomains)."""
    for pattern in patterns:
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


class AddressSet:
    """Client addresses given as addresses or CIDR networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``;
    the settings have checked each). A client address that does not parse (a Unix socket) is in none.
    """

    #: Addresses whose answer is remembered (every request asks about its client's): then forgotten at once.
    REMEMBERED = 4096

    def __init__(self, entries: list[str]) -> None:
        self.networks = [ipaddress.ip_network(entry, strict=False) for entry in entries]
        self._known: dict[object, bool] = {}

    def __contains__(self, address: object) -> bool:
        known = self._known.get(address)
        if known is None:
            if len(self._known) >= self.REMEMBERED:
                self._known.clear()
            known = self._known[address] = self._contains(address)
        return known

    def _contains(self, address: object) -> bool:
        try:
            ip = ipaddress.ip_address(str(address))
        except ValueError:
            return False
        return any(ip in network for network in self.networks)
