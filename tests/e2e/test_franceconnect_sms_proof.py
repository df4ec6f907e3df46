"""A parent signs in with FranceConnect, proves the account by SMS code and children's birth
dates, reaches the services, signs out (and is signed out at the provider): issue 15's
browser test, in Chromium on a phone-sized window, the test provider (Node's oidc-provider on
loopback), each SMS read from the local gateway, axe-core on every Préau page (errors
included); and a proof stopped by wrong birth dates, which names the schools."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from preau.directory.models import Account, Guardianship
from preau.federation.models import FederatedIdentity
from tests.e2e.test_franceconnect import at_provider
from tests.federation.op import PARENT, TestFranceConnect
from tests.federation.sms_proof_helpers import MOBILE, family
from tests.notify.sms_gateway import SmsGateway

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("public_site")]


@pytest.fixture
def provider(live_server: Any, settings: Any) -> Iterator[TestFranceConnect]:
    fc = TestFranceConnect([str(live_server.url)])
    settings.PREAU = {**settings.PREAU, **fc.settings()}
    try:
        yield fc
    finally:
        fc.stop()


def submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_a_parent_proves_the_account_by_sms_and_birth_dates_on_a_phone(
    phone_page: Any,
    url: Any,
    axe: Any,
    provider: TestFranceConnect,
    sms_gateway: SmsGateway,
) -> None:
    marie = family(first="Marie", last="Martin")
    page = phone_page
    page.goto(url("/connexion?selection=franceconnect"))
    page.click("#franceconnect-button")
    at_provider(page, provider)
    page.wait_for_url("**/franceconnect/lier")
    axe(page, "lier l'identité FranceConnect")

    page.get_by_role("link", name="Je suis parent : recevoir un code par SMS").click()
    page.wait_for_url("**/franceconnect/lier/sms")
    # The provider's names to start from, editable.
    assert page.input_value("#id_last_name") == "Martin"
    assert page.input_value("#id_first_name") == "Marie"
    axe(page, "preuve par SMS")
    page.fill("#id_mobile", "06 12 34")
    submit(page, "#sms-proof-form")
    error = page.locator("#sms-proof-form .fr-message--error").inner_text()
    assert "vérifiez ses chiffres" in error
    axe(page, "preuve par SMS : numéro invalide")
    page.fill("#id_last_name", "MARTIN")  # as the school wrote it
    page.fill("#id_mobile", "06 12 34 56 78")
    submit(page, "#sms-proof-form")

    assert page.url == url("/franceconnect/lier/sms/code")
    assert "Si ces informations correspondent à un responsable connu" in page.inner_text("main")
    axe(page, "preuve par SMS : code")
    code = sms_gateway.code_sent_to(MOBILE)
    assert "FranceConnect" in sms_gateway.texts_to(MOBILE)[-1]
    page.fill("#id_code", f"{(int(code) + 1) % 1_000_000:06d}")
    submit(page, "#sms-proof-code-form")
    assert "il vous reste 4 essais" in page.inner_text("#signup-error")
    axe(page, "preuve par SMS : code erroné")
    page.fill("#id_code", code)
    submit(page, "#sms-proof-code-form")

    assert page.url == url("/franceconnect/lier/sms/enfants")
    axe(page, "preuve par SMS : enfants")
    labels = page.locator("#sms-proof-children-form label").all_inner_texts()
    assert any("Léa (Collège Victor-Hugo)" in label for label in labels)
    assert any("Tom (École Jules-Ferry)" in label for label in labels)
    fields = page.locator("#sms-proof-children-form input[type=text]")
    fields.nth(0).fill("14/07/2011")
    fields.nth(1).fill("04/02/2014")
    submit(page, "#sms-proof-children-form")
    assert "il vous reste 2 essais" in page.inner_text("#signup-error")
    axe(page, "preuve par SMS : dates erronées")
    assert not FederatedIdentity.objects.exists()
    fields.nth(0).fill("14/07/2011")
    fields.nth(1).fill("03/02/2014")
    submit(page, "#sms-proof-children-form")

    assert page.url == url("/")
    assert "est maintenant liée à votre compte " + marie.login in page.content()
    assert page.get_by_role("heading", name="Mes services").is_visible()
    axe(page, "Mes services après la preuve par SMS")
    assert FederatedIdentity.objects.get().account == marie
    assert not Guardianship.objects.filter(guardian=marie).exclude(
        confirmation=Guardianship.Confirmation.CONFIRMED
    )
    marie.refresh_from_db()
    assert marie.state == Account.State.ACTIVE and marie.mobile_verified_at is not None

    page.goto(url("/deconnexion"))
    axe(page, "déconnexion")
    page.click("#signout button[type=submit]")
    # Préau, then FranceConnect's end-session endpoint, then back to Préau's sign-in page.
    page.wait_for_url("**/connexion")
    assert "Vous êtes déconnecté" in page.content()

    # Signed out at the provider too: FranceConnect asks who you are again; linked now.
    page.goto(url("/connexion?selection=franceconnect"))
    page.click("#franceconnect-button")
    page.wait_for_url(f"{provider.issuer}/interaction/**")
    page.fill("#op-login", PARENT)
    page.click("#op-submit")
    page.wait_for_url(url("/"))
    assert page.get_by_role("heading", name="Mes services").is_visible()


def test_wrong_birth_dates_three_times_name_the_schools_and_link_nothing(
    phone_page: Any, url: Any, axe: Any, provider: TestFranceConnect, sms_gateway: SmsGateway
) -> None:
    family(first="Marie", last="Martin")
    page = phone_page
    page.goto(url("/connexion?selection=franceconnect"))
    page.click("#franceconnect-button")
    at_provider(page, provider)
    page.wait_for_url("**/franceconnect/lier")
    page.click("#sms-proof-link")
    page.fill("#id_mobile", "06 12 34 56 78")
    submit(page, "#sms-proof-form")
    page.fill("#id_code", sms_gateway.code_sent_to(MOBILE))
    submit(page, "#sms-proof-code-form")
    fields = page.locator("#sms-proof-children-form input[type=text]")
    for _ in range(3):
        fields.nth(0).fill("15/07/2011")
        fields.nth(1).fill("03/02/2014")
        submit(page, "#sms-proof-children-form")
    assert "Contactez votre établissement" in page.inner_text("h1")
    problem = page.inner_text("main")
    assert "Collège Victor-Hugo" in problem and "École Jules-Ferry" in problem
    assert "Votre identité FranceConnect n'a pas été liée" in problem
    axe(page, "preuve par SMS : dates bloquées")
    assert not FederatedIdentity.objects.exists()
