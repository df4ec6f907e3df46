"""Driving the EduConnect flow with Django's test client and the test IdP (SimpleSAMLphp)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from tests.federation.saml_idp import TestEduConnect


def start(client: Any, next_url: str = "") -> str:
    response = client.get("/educonnect/connexion" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.content[:300]
    return str(response["Location"])


def idp_answer(ec: TestEduConnect, client: Any, user: str) -> dict[str, str]:
    """The form the IdP posts to Préau's ACS for ``user`` (SAMLResponse, RelayState)."""
    form = ec.authenticate(start(client), user, requests.Session())
    assert urlsplit(form.pop("action")).path == "/saml/acs/"
    return form


def post_answer(client: Any, form: dict[str, str]) -> Any:
    return client.post("/saml/acs/", {**form, "preau_continued": "1"})


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
