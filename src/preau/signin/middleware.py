"""The client's address behind a reverse proxy, for the throttles and the audit trail.

Behind nginx or a load balancer every request reaches the WSGI server from the proxy's address;
neither gunicorn nor granian rewrites ``REMOTE_ADDR`` from ``X-Forwarded-For``. Without this
middleware the per-address throttle would count every sign-in of the whole ENT as coming from
one address, and the audit trail would record the proxy. ``PREAU["TRUSTED_PROXIES"]`` lists the
proxies' addresses or networks (``PREAU_TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8``; ``unix`` for
a proxy on a Unix socket). Only when the request comes from one of them is ``X-Forwarded-For``
read, from the right, skipping trusted hops: the first address that is not a proxy is the
client's. Whatever the client wrote further left is ignored. With no trusted proxy configured
(the default), ``REMOTE_ADDR`` is left as it is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.http import HttpRequest, HttpResponse

from preau.conf import preau_setting

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[tuple[Network, ...], bool]:
    networks = tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != "unix")
    return networks, "unix" in entries


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(address.strip())
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: str, trusted: Iterable[str]) -> str:
    """The client's address given the TCP peer, the ``X-Forwarded-For`` header and the proxies."""
    networks, unix = _networks(tuple(trusted))

    def is_proxy(address: str) -> bool:
        if address == "":
            return unix
        parsed = _parse(address)
        return parsed is not None and any(parsed in n for n in networks)

    if not is_proxy(peer):
        return peer
    client = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
        parsed = _parse(hop)
        if parsed is None:
            break  # garbage written by someone we do not trust: stop at the last proxy
        client = str(parsed)
        if not is_proxy(client):
            break
    return client


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        trusted = preau_setting("TRUSTED_PROXIES")
        if trusted:
            request.META["REMOTE_ADDR"] = client_address(
                request.META.get("REMOTE_ADDR", ""),
                request.META.get("HTTP_X_FORWARDED_FOR", ""),
                tuple(trusted),
            )
        return self.get_response(request)
