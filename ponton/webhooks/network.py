"""Where a webhook may go: public addresses only, checked when an endpoint is saved and again
at each delivery, and the connection made to the address that was checked.

A name that resolved to a public address when it was saved may resolve to 127.0.0.1 or to the
cloud's metadata service later (DNS rebinding), and a second resolution by the HTTP client
could differ from the one checked: so each delivery resolves once, checks every address, and
connects to the first one itself, sending the name in the Host header and in TLS (SNI and
certificate check). Redirects are never followed: a public receiver could redirect inward.
`PONTON_WEBHOOK_ALLOW_PRIVATE` lifts the check for development and tests."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedAddress(ValueError):
    """The URL is malformed, or names (or resolves to) an address webhooks may not reach."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    host: str
    port: int
    address: str  # the resolved address the connection is pinned to


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local (the metadata service at
    169.254.169.254), shared, reserved, multicast or unspecified, including the IPv4 address
    inside an IPv4-mapped, 6to4 or NAT64 IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
    return address.is_global and not address.is_multicast


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook URL, or RefusedAddress."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise RefusedAddress(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedAddress(_("Webhook URLs start with https:// (or http://) and name a host."))
    if parts.username or parts.password:
        raise RefusedAddress(_("Webhook URLs may not carry a user name or password."))
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """Check `url` and resolve its host now; every address it resolves to must be public."""
    if allow_private is None:
        allow_private = settings.PONTON_WEBHOOK_ALLOW_PRIVATE
    scheme, host, port = parse(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RefusedAddress(_("The host %(host)s cannot be resolved.") % {"host": host}) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    if not addresses:
        raise RefusedAddress(_("The host %(host)s cannot be resolved.") % {"host": host})
    if not allow_private:
        for address in addresses:
            if is_public(address):
                continue
            if host == str(address):
                raise RefusedAddress(
                    _("%(address)s is not a public address: webhooks only go to public addresses.")
                    % {"address": address}
                )
            raise RefusedAddress(
                _(
                    "%(host)s resolves to %(address)s, which is not a public address: "
                    "webhooks only go to public addresses."
                )
                % {"host": host, "address": address}
            )
    return Target(url=url.strip(), scheme=scheme, host=host, port=port, address=str(addresses[0]))


def post(target: Target, *, body: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
    """POST to the pinned address; the response is closed unread (its body is never shown)."""
    parts = urlsplit(target.url)
    literal = f"[{target.address}]" if ":" in target.address else target.address
    default = 443 if target.scheme == "https" else 80
    pinned = urlunsplit(
        (parts.scheme, f"{literal}:{target.port}", parts.path or "/", parts.query, "")
    )
    host_header = target.host if target.port == default else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    # No proxy from the environment: a proxy would resolve the name again, itself.
    with httpx.Client(follow_redirects=False, timeout=timeout, trust_env=False) as client:
        request = client.build_request(
            "POST",
            pinned,
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )
        response = client.send(request, stream=True)
        response.close()
        return response
