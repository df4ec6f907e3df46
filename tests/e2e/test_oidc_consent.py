"""A pupil opens a partner's service that signs in with OpenID Connect: the real sign-in page,
the French consent page (checked with axe-core, on a computer and a phone), then the service
receives its code; and a first-party service gets it without the page."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from preau.directory.models import Account, Establishment
from tests.oidc.conftest import PASSWORD, authorize_url, make_student, pkce, register_client

pytestmark = pytest.mark.django_db(transaction=True)

PARTNER = "https://editions.example/callback"


@pytest.fixture(autouse=True)
def _provider(server: str, settings: Any) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "PUBLIC_URL": server,
    }
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": server}


@pytest.fixture
def student(establishment: Establishment) -> Account:
    return make_student(establishment)


def capture_service(page: Any, prefix: str) -> list[str]:
    """Answer the service's address with a small page, and note where the browser went."""
    reached: list[str] = []

    def answer(route: Any) -> None:
        reached.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body="<p>Service</p>")

    page.route(prefix + "**", answer)
    return reached


@pytest.mark.parametrize("device", ["page", "phone_page"])
def test_the_consent_page_is_accessible_and_issues_a_code(
    request: pytest.FixtureRequest, url: Any, axe: Any, student: Account, device: str
) -> None:
    page = request.getfixturevalue(device)
    partner = register_client("Éditions Exemple", first_party=False, redirect_uri=PARTNER)
    reached = capture_service(page, "https://editions.example/")

    page.goto(url(authorize_url(partner, scope="openid profile ent", challenge=pkce())))
    assert urlsplit(page.url).path == "/connexion"
    page.fill("#username", "lea.bernard")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")

    assert page.locator("h1").inner_text() == ("Autoriser Éditions Exemple à utiliser votre compte")
    assert page.locator("#oidc-scopes li").count() == 3
    axe(page, "consent page")

    page.get_by_role("button", name="Autoriser").click()
    page.wait_for_url(PARTNER + "**")
    query = parse_qs(urlsplit(reached[-1]).query)
    assert query["state"] == ["etat-123"]
    assert query["code"]


def test_refusing_sends_access_denied_to_the_service(page: Any, url: Any, student: Account) -> None:
    partner = register_client("Éditions Exemple", first_party=False, redirect_uri=PARTNER)
    reached = capture_service(page, "https://editions.example/")
    page.goto(url(authorize_url(partner, challenge=pkce())))
    page.fill("#username", "lea.bernard")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")
    page.get_by_role("button", name="Refuser").click()
    page.wait_for_url(PARTNER + "**")
    assert parse_qs(urlsplit(reached[-1]).query)["error"] == ["access_denied"]


def test_a_first_party_service_skips_the_consent_page(
    page: Any, url: Any, student: Account
) -> None:
    service = register_client(redirect_uri="https://vie-scolaire.example/oidc/callback")
    reached = capture_service(page, "https://vie-scolaire.example/")
    page.goto(url(authorize_url(service, challenge=pkce())))
    page.fill("#username", "lea.bernard")
    page.fill("#password", PASSWORD)
    page.click("#fm1 button[type=submit]")
    page.wait_for_url("https://vie-scolaire.example/**")
    assert "code" in parse_qs(urlsplit(reached[-1]).query)


def test_the_error_page_for_an_unknown_address_is_accessible(
    page: Any, url: Any, axe: Any, student: Account
) -> None:
    service = register_client()
    page.goto(url("/connexion"))
    page.fill("#username", "lea.bernard")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("#fm1 button[type=submit]")
    response = page.goto(
        url(authorize_url(service, challenge=pkce(), redirect_uri="https://evil.example/cb"))
    )
    assert response.status == 400
    assert page.locator("h1").inner_text() == "Le service n’a pas pu être ouvert"
    axe(page, "authorization error page")
