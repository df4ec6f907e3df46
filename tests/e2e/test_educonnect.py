"""A pupil signs in with EduConnect in Chromium on a phone (issue 15): the WAYF's "Élève ou
parent (EduConnect)", the test IdP (Debian's SimpleSAMLphp on another loopback site), the
account recognised by its INE and names and linked at once, "Mes services". The IdP's answer
comes cross-site (the session cookie is SameSite=Lax): Préau's own page posts it again with one
button. A tampered assertion gets the French error page. axe-core on every Préau page."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from django.utils import timezone

from preau.directory.models import Account, Establishment, Membership
from preau.federation.models import FederatedIdentity
from tests.federation.saml_idp import TestEduConnect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def idp(live_server: Any, settings: Any) -> Iterator[TestEduConnect]:
    ec = TestEduConnect(str(live_server.url))
    settings.PREAU = {**settings.PREAU, **ec.settings()}
    try:
        yield ec
    finally:
        ec.stop()


@pytest.fixture
def lea(transactional_db: Any) -> Account:
    establishment = Establishment.objects.create(
        uai="0750001A", name="Collège Victor-Hugo", kind="college", postal_code="75005"
    )
    account = Account.objects.create_user(
        "lea.martin",
        password="Correct-Horse-Battery-9",
        first_name="Léa",
        last_name="MARTIN",
        ine="123456789AB",
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
    )
    Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=Membership.Profile.STUDENT,
        school_year=2026,
    )
    return account


def at_idp(page: Any, idp: TestEduConnect) -> None:
    """The pupil at EduConnect (SimpleSAMLphp's own page, not Préau's)."""
    page.wait_for_url(f"{idp.base}/**")
    if not page.locator("input[name=username]").count():
        raise AssertionError(page.url + page.inner_text("body")[:1500] + idp.log())
    page.fill("input[name=username]", "eleve")
    page.fill("input[name=password]", "eleve")
    page.press("input[name=password]", "Enter")


def test_a_pupil_signs_in_with_educonnect_and_is_linked_by_ine(
    phone_page: Any, url: Any, axe: Any, idp: TestEduConnect, lea: Account
) -> None:
    page = phone_page
    page.goto(url("/connexion"))
    page.get_by_role("link", name="Élève ou parent (EduConnect)", exact=True).click()
    page.wait_for_url("**/connexion?selection=educonnect")
    assert page.locator("#educonnect-button").is_visible()
    axe(page, "connexion : EduConnect")

    page.click("#educonnect-button")
    at_idp(page, idp)
    # Back cross-site: Préau's page posts the answer again from its own site.
    page.wait_for_selector("#educonnect-continue")
    axe(page, "EduConnect : continuer")
    page.click("#educonnect-continue button[type=submit]")
    page.wait_for_url(url("/"))
    assert "Votre identité EduConnect a été reconnue grâce à votre INE" in page.content()
    axe(page, "après EduConnect")
    identity = FederatedIdentity.objects.get()
    assert (identity.provider, identity.account_id) == ("educonnect", lea.pk)


def _tamper(route: Any) -> None:
    form = {k: v[0] for k, v in parse_qs(route.request.post_data or "").items()}
    xml = base64.b64decode(form["SAMLResponse"]).decode()
    at = xml.index("<xenc:CipherValue>") + len("<xenc:CipherValue>") + 40
    xml = xml[:at] + ("A" if xml[at] != "A" else "B") + xml[at + 1 :]
    form["SAMLResponse"] = base64.b64encode(xml.encode()).decode()
    route.continue_(post_data=urlencode(form))


def test_a_tampered_assertion_is_refused(
    phone_page: Any, url: Any, axe: Any, idp: TestEduConnect, lea: Account
) -> None:
    page = phone_page
    page.route("**/saml/acs/", _tamper)
    page.goto(url("/connexion?selection=educonnect"))
    page.click("#educonnect-button")
    at_idp(page, idp)
    page.wait_for_selector("#educonnect-continue")
    page.click("#educonnect-continue button[type=submit]")
    page.wait_for_selector("#federation-error")
    assert "La réponse de EduConnect n’a pas pu être vérifiée" in page.inner_text("h1")
    axe(page, "EduConnect : réponse refusée")
    assert not FederatedIdentity.objects.exists()
    page.goto(url("/mon-compte/"))
    page.wait_for_url("**/connexion**")
