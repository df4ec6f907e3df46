"""The first connection of a person who came through a federation (issue 15, part 3): the
charter, the birth date and the contact still run before any service, the password step does
not (the person signs in at the provider); the same account signing in with its letter's code
is asked for a password as before. Afterwards "Mon compte" lets the person add a password."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from preau.activation.models import CharterVersion
from preau.activation.services import charter_version_create, charter_version_publish
from preau.audit.models import AuditEvent
from preau.directory.activation_codes import activation_code_digest
from preau.directory.models import Account, Establishment
from preau.federation.models import FederatedIdentity
from tests.activation.conftest import follow, post
from tests.factories import account_factory
from tests.federation.educonnect_helpers import idp_answer, post_answer
from tests.federation.helpers import answer
from tests.federation.op import OTHER, TestFranceConnect
from tests.federation.saml_idp import TestEduConnect

pytestmark = pytest.mark.django_db

INE_LEA = "123456789AB"
CODE = "ABCD2345"
NEW_PASSWORD = "Tres-Bon-Mot-De-Passe-42"


@pytest.fixture
def charter(db: Any) -> CharterVersion:
    version = charter_version_create(actor=None, title="Charte de l'ENT", body="Article 1.")
    charter_version_publish(actor=None, version=version)
    return version


@pytest.fixture
def school(db: Any) -> Establishment:
    return Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")


@pytest.fixture
def lea(school: Establishment) -> Account:
    """A pupil the school imported: PROVISIONED, a letter's code, a birth date on file."""
    return account_factory(
        login="lea.martin",
        establishment=school,
        ine=INE_LEA,
        first_name="Léa",
        last_name="MARTIN",
        birth_date=dt.date(2011, 7, 14),
        activation_code_digest=activation_code_digest(CODE),
        activation_expires_at=timezone.now() + dt.timedelta(days=92),
    )


def test_a_pupil_from_educonnect_ends_her_first_connection_without_a_password(
    client: Any, educonnect: TestEduConnect, lea: Account, charter: CharterVersion
) -> None:
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response.status_code == 302
    assert FederatedIdentity.objects.get().account == lea  # linked by INE

    page = follow(client, "/")
    assert page.url == "/premiere-connexion/charte"
    assert "Étape 1 sur 4" in page.html  # charter, birth date, contact, e-mail: no password
    page = post(client, page.url, {"accept": "on"})
    assert page.url == "/premiere-connexion/date-de-naissance"
    assert follow(client, "/premiere-connexion/mot-de-passe").url == page.url  # not its turn
    page = post(client, page.url, {"birth_date": "14/07/2011"})
    assert page.url == "/premiere-connexion/coordonnees"
    page = post(client, page.url, {"email": "", "mobile": "", "from_establishment": "on"})
    assert page.url == "/premiere-connexion/termine", page.html[:3000]
    assert "votre compte n'a pas de mot de passe" in page.html

    lea.refresh_from_db()
    assert lea.state == Account.State.ACTIVE
    assert not lea.has_usable_password()
    assert lea.activation_code_digest == ""  # the letter's code died with the activation
    assert AuditEvent.objects.filter(action="account.activate", target_id=lea.pk).exists()
    assert follow(client, "/").url == "/"  # the services, nothing left to do

    # The letter no longer opens the account.
    client.logout()
    response = client.post("/connexion", {"username": "lea.martin", "password": CODE})
    assert response.status_code == 401


def test_the_letters_code_still_asks_for_a_password(
    client: Any, lea: Account, charter: CharterVersion
) -> None:
    """Not a federated session: the journey is the letter's, password included."""
    response = client.post("/connexion", {"username": "lea.martin", "password": CODE})
    assert response.status_code == 302
    page = post(client, follow(client, "/").url, {"accept": "on"})
    assert page.url == "/premiere-connexion/mot-de-passe"


def test_a_password_signin_after_a_federated_one_is_no_longer_federated(
    client: Any, educonnect: TestEduConnect, lea: Account, charter: CharterVersion
) -> None:
    post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert client.session.get("preau_auth_federated") is True
    response = client.post("/connexion", {"username": "lea.martin", "password": CODE})
    assert response.status_code == 302
    assert "preau_auth_federated" not in client.session
    page = post(client, follow(client, "/").url, {"accept": "on"})
    assert page.url == "/premiere-connexion/mot-de-passe"


def test_an_account_proved_with_its_letters_code_on_the_proof_page_skips_the_password(
    client: Any, franceconnect: TestFranceConnect, lea: Account, charter: CharterVersion
) -> None:
    """The person came through FranceConnect and proved the account once with the letter: from
    then on FranceConnect is their way in, so no password is asked."""
    client.get(answer(franceconnect, client, OTHER))
    response = client.post("/franceconnect/lier", {"username": "lea.martin", "password": CODE})
    assert response.status_code == 302
    page = post(client, follow(client, "/").url, {"accept": "on"})
    assert page.url == "/premiere-connexion/date-de-naissance"
