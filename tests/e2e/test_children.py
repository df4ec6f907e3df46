"""Rattacher des élèves (issue 14, part 2), in Chromium on a phone-sized window.

A parent whose account is active is given a younger child by a new import: at the next
sign-in Préau asks the child's birth date before anything else; once confirmed, the child is
in "Mes enfants" and in the attributes a CAS service reads (python-cas). Another parent says
"je ne suis pas responsable légal de cet élève": nothing is shown of the child any more, and
the school's console has the request in its help queue. axe-core checks every new page.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cas import CASClient

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.transitions import account_activate
from tests.console.conftest import make_person
from tests.provisioning.import_helpers import GUARDIANS_HEADER, STUDENTS_HEADER, run
from tests.sso.conftest import _fresh_registry, register  # noqa: F401 - a fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"
SCREENSHOTS = Path(os.environ.get("PREAU_SCREENSHOTS", tempfile.gettempdir()))
SERVICE = "https://vie-scolaire.test/"
MOTHER = ["MOREAU", "Nathalie", "Mère", "1", "nathalie.moreau@example.org", "06 11 22 33 44", ""]


@pytest.fixture
def school() -> Establishment:
    school = Establishment.objects.create(
        uai="0750654D", name="Collège Jean-Moulin", kind="college", city="Paris"
    )
    run(
        school,
        "students",
        STUDENTS_HEADER,
        [
            ["1", "", "MOREAU", "Chloé", "01/02/2012", "4B"],
            ["2", "", "MOREAU", "Hugo", "09/03/2014", "6A"],
        ],
    )
    return school


@pytest.fixture
def nathalie(school: Establishment) -> Account:
    """Imported with Chloé, activated (her letter), then the files give her Hugo."""
    run(school, "guardians", GUARDIANS_HEADER, [["1", *MOTHER]])
    account = Account.objects.get(login="nathalie.moreau")
    account.set_password(PASSWORD)
    account.save(update_fields=["password"])
    account_activate(actor=None, account=account)
    run(school, "guardians", GUARDIANS_HEADER, [["1", *MOTHER], ["2", *MOTHER]])
    hugo = Guardianship.objects.get(guardian=account, student__first_name="Hugo")
    assert hugo.confirmation == Guardianship.Confirmation.PENDING
    return account


def service_ticket(page: Any, server: str) -> str:
    """Open the CAS service with the signed-in browser's cookies; the ticket its redirect
    carries (the service's address does not resolve, so the redirect is read, not followed)."""
    response = page.request.get(f"{server}/cas/login?service={SERVICE}", max_redirects=0)
    location = response.headers["location"]
    assert location.startswith(SERVICE), location
    return parse_qs(urlsplit(location).query)["ticket"][0]


def test_a_parent_confirms_a_newly_imported_child(
    phone_page: Any,
    server: str,
    nathalie: Account,
    signin: Callable[..., None],
    axe: Callable[..., None],
) -> None:
    page = phone_page
    register("Vie scolaire", ("prefix", SERVICE), launch_url=SERVICE)
    signin(page, "nathalie.moreau", PASSWORD)
    assert page.url.startswith(f"{server}/premiere-connexion/enfants")
    assert page.get_by_role("heading", name="Vos enfants").is_visible()
    card = page.locator(".preau-child")
    assert card.count() == 1
    assert "Hugo" in card.inner_text() and "Collège Jean-Moulin" in card.inner_text()
    assert "MOREAU" not in card.inner_text().upper()
    axe(page, "vos enfants (à confirmer)")

    page.get_by_label("Date de naissance de votre enfant").fill("10/03/2014")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer pour Hugo").click()
    assert "Il vous reste 2 essais" in page.locator(".fr-message--error").inner_text()
    axe(page, "vos enfants (date erronée)")
    page.screenshot(path=str(SCREENSHOTS / "vos-enfants-telephone.png"), full_page=True)

    page.get_by_label("Date de naissance de votre enfant").fill("09/03/2014")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer pour Hugo").click()
    assert page.url == f"{server}/"
    assert "Hugo est maintenant rattaché(e) à votre compte." in page.content()

    page.goto(f"{server}/mon-compte/enfants")
    assert page.get_by_role("heading", name="Hugo Moreau").is_visible()
    assert page.locator("a.fr-sidemenu__link[href='/mon-compte/enfants']").count() == 1
    assert "classe 6A" in page.content()
    axe(page, "mes enfants")
    page.screenshot(path=str(SCREENSHOTS / "mes-enfants-telephone.png"), full_page=True)

    client = CASClient(version=3, service_url=SERVICE, server_url=f"{server}/cas/")
    user, attributes, _pgtiou = client.verify_ticket(service_ticket(page, server))
    assert user == "nathalie.moreau"
    assert sorted(attributes["enfants"]) == [
        "chloe.moreau$MOREAU$Chloé$0750654D",
        "hugo.moreau$MOREAU$Hugo$0750654D",
    ]


def test_a_parent_refuses_a_child(  # noqa: PLR0917
    phone_page: Any,
    page: Any,
    server: str,
    school: Establishment,
    nathalie: Account,
    signin: Callable[..., None],
    axe: Callable[..., None],
) -> None:
    register("Vie scolaire", ("prefix", SERVICE), launch_url=SERVICE)
    parent = phone_page
    signin(parent, "nathalie.moreau", PASSWORD)
    assert parent.url.startswith(f"{server}/premiere-connexion/enfants")
    with parent.expect_navigation():
        parent.get_by_role("button", name="Je ne suis pas responsable légal de cet élève").click()
    assert "Vous confirmez ne pas être responsable légal de Hugo" in parent.content()
    axe(parent, "refus (confirmation)")
    parent.screenshot(path=str(SCREENSHOTS / "refus-enfant-telephone.png"), full_page=True)
    with parent.expect_navigation():
        parent.get_by_role(
            "button", name="Oui, je ne suis pas responsable légal de cet élève"
        ).click()
    assert parent.url == f"{server}/"
    assert "Hugo ne sera pas rattaché(e) à votre compte" in parent.content()

    parent.goto(f"{server}/mon-compte/enfants")
    assert "Hugo" not in parent.locator("main").inner_text()
    assert parent.get_by_role("heading", name="Chloé MOREAU").is_visible()
    axe(parent, "mes enfants (après un refus)")
    client = CASClient(version=3, service_url=SERVICE, server_url=f"{server}/cas/")
    _user, attributes, _pgtiou = client.verify_ticket(service_ticket(parent, server))
    assert attributes["enfants"] == "chloe.moreau$MOREAU$Chloé$0750654D"

    # The school sees the request in its help queue.
    make_person(
        school,
        "claire.secretariat",
        first_name="Claire",
        last_name="Secrétariat",
        profile=Membership.Profile.STAFF,
        state=Account.State.ACTIVE,
        is_local_admin=True,
        password=PASSWORD,
    )
    signin(page, "claire.secretariat", PASSWORD, next=f"/console/{school.uai}/demandes/")
    assert page.url == f"{server}/console/{school.uai}/demandes/"
    row = page.locator("tbody tr").filter(has_text="Nathalie")
    assert "ENFANT REFUSÉ PAR UN RESPONSABLE" in row.inner_text().upper()  # a badge
    assert "MOREAU Hugo (6A)" in row.inner_text()
    axe(page, "demandes d'aide (enfant refusé)")
    with page.expect_navigation():
        row.get_by_role("link").click()
    assert re.search(r"n’est pas responsable légal de cet élève", page.content())
    assert page.get_by_role("button", name="Émettre le nouveau code").count() == 0
    axe(page, "demande d'aide (enfant refusé)")
