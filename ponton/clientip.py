"""The client's network address, as the deployment's own proxies report it.

`X-Forwarded-For` is whatever the client wrote, followed by what each proxy
appended. Only the entries added by proxies the deployment declares
(PONTON_TRUSTED_PROXIES: addresses or networks) can be believed: walking the
header from the right, the first address that is not one of them is the client.
A request that does not come from a trusted proxy is its own client, whatever
it claims. The sign-in lockout, the throttles and uvicorn all use this rule.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(declared: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in declared if item)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.PONTON_TRUSTED_PROXIES)))


def client_ip(request: Any) -> str:
    """The address of the client behind the declared proxies (the peer itself otherwise)."""
    meta = getattr(request, "META", {})
    peer = str(meta.get("REMOTE_ADDR") or "")
    if not _trusted(peer):
        return peer
    forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    for address in reversed([part for part in forwarded if part]):
        if not _trusted(address):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return peer  # a proxy we trust wrote garbage: count the proxy itself
    return peer


class ClientAddressThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, keyed on the real client address."""

    def get_ident(self, request: Any) -> str:
        return client_ip(request)

    def get_rate(self) -> str | None:
        # Read at each request (DRF binds the rates at import): settings can change them.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(str(self.scope))
        return str(rate) if rate is not None else None
