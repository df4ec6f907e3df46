"""Driving the FranceConnect flow with Django's test client and the test provider."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.federation.op import PARENT, TestFranceConnect


def start(client: Any, next_url: str = "") -> str:
    """Préau's redirection to the provider (the authorization request's address)."""
    response = client.get("/franceconnect/connexion" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content[:300]
    return str(response["Location"])


def answer(fc: TestFranceConnect, client: Any, user: str = PARENT) -> str:
    """The provider's answer to Préau's redirect URI (path and query), as the browser gets it."""
    back = fc.authenticate(start(client), user, requests.Session())
    parts = urlsplit(back)
    assert parts.path == "/franceconnect/retour", back
    return f"{parts.path}?{parts.query}"


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
