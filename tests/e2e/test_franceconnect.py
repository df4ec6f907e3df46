"""A parent signs in with FranceConnect in Chromium on a phone (issue 15): the WAYF's
"Parent (FranceConnect)", the test provider (Node's oidc-provider on loopback), the account
proved once with its identifier and password, "Mes services", "Identités connectées", and the
sign-out that also ends the provider's session. axe-core on every Préau page, the error page
included; the same journey without JavaScript reaches the services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from preau.federation.models import FederatedIdentity
from tests.federation.op import PARENT, TestFranceConnect

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def provider(live_server: Any, settings: Any) -> Iterator[TestFranceConnect]:
    fc = TestFranceConnect([str(live_server.url)])
    settings.PREAU = {**settings.PREAU, **fc.settings()}
    try:
        yield fc
    finally:
        fc.stop()


@pytest.fixture
def parent(transactional_db: Any) -> Account:
    establishment = Establishment.objects.create(
        uai="0750654D", name="Lycée Louis-le-Grand", kind="lycee", postal_code="75005"
    )
    account = Account.objects.create_user(
        "marie.martin",
        password=PASSWORD,
        first_name="Marie",
        last_name="Martin",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=Membership.Profile.GUARDIAN,
        school_year=2026,
    )
    return account


def at_provider(page: Any, fc: TestFranceConnect) -> None:
    """The person at FranceConnect (the test provider's own page, not Préau's)."""
    page.wait_for_url(f"{fc.issuer}/interaction/**")
    page.fill("#op-login", PARENT)
    page.click("#op-submit")


def test_a_parent_signs_in_with_franceconnect_on_a_phone(
    phone_page: Any, url: Any, axe: Any, provider: TestFranceConnect, parent: Account
) -> None:
    page = phone_page
    page.goto(url("/connexion"))
    page.get_by_role("link", name="Parent (FranceConnect)", exact=True).click()
    page.wait_for_url("**/connexion?selection=franceconnect")
    assert page.locator("#franceconnect-button").is_visible()
    assert page.get_by_role("link", name="Qu’est-ce que FranceConnect ?").is_visible()
    axe(page, "connexion : FranceConnect")

    page.click("#franceconnect-button")
    at_provider(page, provider)
    page.wait_for_url("**/franceconnect/lier")
    assert "Lier votre identité FranceConnect" in page.inner_text("h1")
    axe(page, "lier l'identité FranceConnect")
    page.fill("#username", "marie.martin")
    page.fill("#password", "Pas-le-bon-2024")
    page.click("#federation-link button[type=submit]")
    assert "Identifiant ou mot de passe incorrect" in page.inner_text("#link-error")
    axe(page, "lier : erreur")
    assert not FederatedIdentity.objects.exists()
    page.fill("#username", "marie.martin")
    page.fill("#password", PASSWORD)
    page.click("#federation-link button[type=submit]")
    page.wait_for_url(url("/"))
    assert "est maintenant liée à votre compte marie.martin" in page.content()
    assert page.get_by_role("heading", name="Mes services").is_visible()
    axe(page, "Mes services après FranceConnect")
    assert FederatedIdentity.objects.get().account == parent

    page.goto(url("/mon-compte/identites"))
    assert "FranceConnect" in page.inner_text("#identities")
    axe(page, "Identités connectées")

    page.goto(url("/deconnexion"))
    page.click("#signout button[type=submit]")
    # Préau, then FranceConnect's end-session endpoint, then back to Préau's sign-in page.
    page.wait_for_url("**/connexion")
    assert "Vous êtes déconnecté" in page.content()

    # Signed out at the provider too: FranceConnect asks who you are again.
    page.goto(url("/connexion?selection=franceconnect"))
    page.click("#franceconnect-button")
    at_provider(page, provider)
    page.wait_for_url(url("/"))  # linked now: straight in
    assert page.get_by_role("heading", name="Mes services").is_visible()


def test_without_javascript_and_the_error_page(
    browser: Any, url: Any, axe: Any, provider: TestFranceConnect, parent: Account
) -> None:
    FederatedIdentity.objects.create(
        provider="franceconnect", subject=PARENT, account=parent, linked_at=timezone.now()
    )
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=False, viewport={"width": 375, "height": 740}
    )
    try:
        page = context.new_page()
        page.goto(url("/connexion?selection=franceconnect"))
        page.click("#franceconnect-button")
        at_provider(page, provider)
        page.wait_for_url(url("/"))
        assert page.get_by_role("heading", name="Mes services").is_visible()
    finally:
        context.close()

    error_context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740})
    try:
        page = error_context.new_page()
        page.goto(url("/franceconnect/retour?code=x&state=not-ours"))
        assert "Cette connexion avec FranceConnect a expiré" in page.inner_text("h1")
        axe(page, "FranceConnect : erreur")
    finally:
        error_context.close()
