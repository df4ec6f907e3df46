"""Behind a trusted reverse proxy the client's address comes from X-Forwarded-For."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from preau.audit.models import AuditEvent
from preau.signin.middleware import client_address
from preau.signin.throttle import throttle_check

PROXIES = ("127.0.0.1", "10.0.0.0/8")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("127.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "203.0.113.9, 10.1.1.1", "203.0.113.9"),  # two proxies
        ("127.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # client-written part ignored
        ("127.0.0.1", "garbage, 203.0.113.9", "203.0.113.9"),
        ("127.0.0.1", "203.0.113.9, garbage", "127.0.0.1"),  # our proxy never writes that
        ("127.0.0.1", "", "127.0.0.1"),
        ("127.0.0.1", "2001:db8::1", "2001:db8::1"),
        ("127.0.0.1", "10.2.2.2, 10.1.1.1", "10.2.2.2"),  # only proxies: the farthest one
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),  # not a proxy: header ignored
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    peer: str, forwarded: str, expected: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_a_unix_socket_proxy_is_trusted_only_when_named() -> None:
    assert client_address("", "203.0.113.9", ("unix",)) == "203.0.113.9"
    assert client_address("", "203.0.113.9", ("127.0.0.1",)) == ""


@pytest.mark.django_db
def test_without_trusted_proxies_the_header_is_ignored(client: Client) -> None:
    client.post(
        "/connexion",
        {"username": "x.y", "password": "z"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert AuditEvent.objects.get(action="signin.failure").ip == "127.0.0.1"


@pytest.mark.django_db
def test_behind_a_trusted_proxy_throttles_and_audit_see_the_client(
    client: Client, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "TRUSTED_PROXIES": ["127.0.0.1"]}
    for n in range(100):
        client.post(
            "/connexion",
            {"username": f"u{n}", "password": "z"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
    assert AuditEvent.objects.filter(action="signin.failure", ip="203.0.113.9").count() == 100
    assert throttle_check("signin.address", "203.0.113.9") > 0
    assert throttle_check("signin.address", "127.0.0.1") == 0, "the proxy itself is not blamed"
    other = client.post(
        "/connexion",
        {"username": "u1", "password": "z"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.10",
    )
    assert other.status_code == 401, "another pupil behind the same proxy is not throttled"
