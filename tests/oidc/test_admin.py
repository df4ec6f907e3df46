"""The operator registers OpenID Connect clients at /operateur/; their secrets are stored as
keyed digests that the token endpoint checks without Argon2."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client
from oauth2_provider.models import Application

from preau.directory.models import Account
from preau.portal.models import Category, Service
from preau.sso.oidc.hashers import ALGORITHM
from preau.sso.oidc.models import ClientService

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(db: object) -> Account:
    return Account.objects.create_superuser(
        "ops.ent", "Operateur#2026", first_name="Ops", last_name="ENT"
    )


def inline(service: str = "") -> dict[str, str]:
    """The admin's inline form linking the client to its portal service."""
    return {
        "preau_service-TOTAL_FORMS": "1",
        "preau_service-INITIAL_FORMS": "0",
        "preau_service-MIN_NUM_FORMS": "0",
        "preau_service-MAX_NUM_FORMS": "1",
        "preau_service-0-service": service,
    }


def test_the_operator_registers_a_first_party_client(client: Client, operator: Account) -> None:
    service = Service.objects.create(
        name="Vie scolaire",
        slug="vie-scolaire",
        category=Category.objects.create(name="Scolarité test"),
        protocol=Service.Protocol.OIDC,
    )
    client.force_login(operator)
    page = client.get("/operateur/oauth2_provider/application/add/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Adresses de retour autorisées" in html
    assert "la page de consentement" in html
    client_id = re.search(r'name="client_id"[^>]*value="([^"]+)"', html)
    secret = re.search(r'name="client_secret"[^>]*value="([^"]+)"', html)
    assert client_id and secret

    response = client.post(
        "/operateur/oauth2_provider/application/add/",
        {
            "name": "Vie scolaire",
            "client_type": "confidential",
            "skip_authorization": "on",
            "client_id": client_id.group(1),
            "client_secret": secret.group(1),
            "hash_client_secret": "on",
            "redirect_uris": "https://vie-scolaire.example/oidc/callback",
            "post_logout_redirect_uris": "https://vie-scolaire.example/",
            "allowed_origins": "",
            "authorization_grant_type": "authorization-code",
            "algorithm": "RS256",
            **inline(service=str(service.pk)),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    application = Application.objects.get(name="Vie scolaire")
    assert application.skip_authorization
    assert application.algorithm == "RS256"
    assert application.client_secret.startswith(ALGORITHM + "$")
    assert check_password(secret.group(1), application.client_secret)
    assert ClientService.objects.get(application=application).service == service
    assert client.get("/operateur/oauth2_provider/application/").status_code == 200


def test_only_what_preau_supports_is_offered(client: Client, operator: Account) -> None:
    client.force_login(operator)
    html = client.get("/operateur/oauth2_provider/application/add/").content.decode()
    assert '<option value="implicit"' not in html and 'value="implicit"' not in html
    assert 'value="password"' not in html
    assert '<option value="HS256"' not in html


def test_a_redirect_uri_in_http_is_refused_by_default(
    client: Client, operator: Account, settings: object
) -> None:
    settings.OAUTH2_PROVIDER = {  # type: ignore[attr-defined]
        **settings.OAUTH2_PROVIDER,  # type: ignore[attr-defined]
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    }
    client.force_login(operator)
    response = client.post(
        "/operateur/oauth2_provider/application/add/",
        {
            "name": "Service en clair",
            "client_type": "confidential",
            "client_id": "clair",
            "client_secret": "s" * 40,
            "redirect_uris": "http://clair.example/cb",
            "authorization_grant_type": "authorization-code",
            "algorithm": "RS256",
            **inline(),
        },
    )
    assert response.status_code == 200
    assert not Application.objects.filter(client_id="clair").exists()


def test_client_secret_digests_are_keyed_salted_and_checked_in_constant_time() -> None:
    one = make_password("secret-de-service", hasher=ALGORITHM)
    two = make_password("secret-de-service", hasher=ALGORITHM)
    assert one != two  # salted
    assert check_password("secret-de-service", one)
    assert not check_password("secret-de-servicf", one)
    assert "secret-de-service" not in one
