"""With DEBUG off, each error status gets its French page in the site's look, saying what to do:
400 (a bad Host, a suspicious request), 403 (/console/ as a pupil), 404 (an unknown address)
and 500 (a view that fails), the last drawn without a request context or the database."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from django.utils import timezone

from preau import errors
from preau.directory.models import Account, Establishment, Membership
from preau.urls import handler400, handler500
from preau.urls import urlpatterns as preau_urlpatterns


def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


def _suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a forged request")


# Préau's URLs (and its error handlers) plus two views that fail: this module is the URLconf.
urlpatterns = [
    *preau_urlpatterns,
    path("test-erreur", _fails),
    path("test-suspect", _suspicious),
]
__all__ = ["handler400", "handler500", "urlpatterns"]


@pytest.fixture(autouse=True)
def _production(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


def text_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def assert_site_page(body: str, title: str, code: int) -> None:
    assert '<html lang="fr"' in body
    assert 'class="fr-header"' in body and 'class="fr-footer"' in body
    assert f"<h1>{title}</h1>" in body
    assert f"Erreur {code}" in body
    assert 'href="/"' in body  # the way back home
    for english in ("Forbidden", "Not Found", "Bad Request", "Server Error"):
        assert english not in body


@pytest.mark.django_db
def test_an_unknown_address_gets_the_french_404_page(client: Client) -> None:
    response = client.get("/nulle-part")
    assert response.status_code == 404
    body = text_of(response)
    assert_site_page(body, "Page introuvable", 404)
    assert "vérifiez qu’elle est exacte" in body


@pytest.mark.django_db
def test_the_console_refuses_a_pupil_with_the_french_403_page(client: Client) -> None:
    school = Establishment.objects.create(uai="0750654D", name="Lycée", kind="lycee")
    pupil = Account.objects.create_user(
        "lea.bernard",
        first_name="Léa",
        last_name="Bernard",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    Membership.objects.create(
        account=pupil, establishment=school, profile="eleve", school_year=timezone.now().year
    )
    client.force_login(pupil)
    response = client.get("/console/")
    assert response.status_code == 403
    body = text_of(response)
    assert_site_page(body, "Accès refusé", 403)
    assert "Vous êtes connecté avec l’identifiant lea.bernard." in body
    assert "la personne qui gère les comptes dans votre établissement" in body
    assert 'href="/">Revenir à Mes services</a>' in body
    assert "Léa Bernard" in body.split("</header>", 1)[0]  # the person's own header


@pytest.mark.django_db
def test_a_bad_host_gets_the_french_400_page(client: Client) -> None:
    response = client.get("/connexion", HTTP_HOST="ent.pirate.example")
    assert response.status_code == 400
    body = text_of(response)
    assert_site_page(body, "Demande incorrecte", 400)
    assert "revenez à la page d’accueil et recommencez" in body


@pytest.mark.django_db
def test_a_suspicious_request_gets_the_french_400_page(client: Client) -> None:
    response = client.get("/test-suspect")
    assert response.status_code == 400
    assert_site_page(text_of(response), "Demande incorrecte", 400)


@pytest.mark.django_db
def test_a_failing_view_gets_the_french_500_page(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "ENT_NAME": "ENT Exemple"}
    client = Client(raise_request_exception=False)
    response = client.get("/test-erreur")
    assert response.status_code == 500
    body = text_of(response)
    assert_site_page(body, "Erreur inattendue", 500)
    assert "<title>Erreur inattendue — ENT Exemple</title>" in body
    assert "réessayez dans quelques minutes" in body
    assert "adressez-vous au secrétariat de votre établissement" in body  # PREAU_HELP_TEXT


def test_the_500_page_needs_neither_a_request_context_nor_the_database() -> None:
    """No ``db`` fixture: any query would fail the test."""
    response = errors.server_error(RequestFactory().get("/test-erreur"))
    assert response.status_code == 500
    assert_site_page(text_of(response), "Erreur inattendue", 500)


def test_an_error_page_that_cannot_be_drawn_still_answers_in_french(settings: Any) -> None:
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [], "APP_DIRS": False, "OPTIONS": {"loaders": []}}
    ]
    response = errors.server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "<h1>Erreur inattendue</h1>" in response.content.decode()
