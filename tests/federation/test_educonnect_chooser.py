"""A parent known by two schools, each with its own guardian record (issue 15, part 3):
EduConnect gives both children, each record bears the parent's names and holds only children
EduConnect gives, so both are proved; the parent chooses the account to link. Another
parent's record, or a record with a child EduConnect does not give, is never offered."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY

from preau.directory.models import Account, Establishment
from preau.federation.models import FederatedIdentity
from tests.federation.educonnect_helpers import idp_answer, post_answer
from tests.federation.saml_idp import TestEduConnect
from tests.federation.test_educonnect_signin import INE_LEA, INE_TOM, guardian_of, pupil

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools(db: Any) -> tuple[Establishment, Establishment]:
    return (
        Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo"),
        Establishment.objects.create(uai="0750002B", name="École Jules-Ferry"),
    )


@pytest.fixture
def records(schools: tuple[Establishment, Establishment]) -> tuple[Account, Account]:
    """Paul Martin: one record at the collège (Léa), one at the école (Tom)."""
    college, ecole = schools
    lea = pupil(college, INE_LEA)
    tom = pupil(ecole, INE_TOM, first="Tom")
    return guardian_of(college, lea), guardian_of(ecole, tom)


def test_the_parent_chooses_which_of_his_records_to_link(
    client: Any, educonnect: TestEduConnect, records: tuple[Account, Account]
) -> None:
    at_college, at_ecole = records
    response = post_answer(client, idp_answer(educonnect, client, "parent"))
    assert response["Location"] == "/educonnect/choix"
    page = client.get("/educonnect/choix").content.decode()
    assert f"Compte {at_college.login}" in page
    assert f"Compte {at_ecole.login}" in page
    assert "Léa (Collège Victor-Hugo)" in page
    assert "Tom (École Jules-Ferry)" in page
    assert not FederatedIdentity.objects.exists()

    done = client.post("/educonnect/choix", {"account": at_ecole.pk}, follow=True)
    assert client.session[SESSION_KEY] == str(at_ecole.pk)
    assert FederatedIdentity.objects.get().account == at_ecole
    text = done.content.decode()
    assert "liée à votre compte" in text
    assert at_college.login in text  # the other record, and how to merge it
    assert "Fusion de comptes" in text


def test_an_account_not_offered_is_refused(
    client: Any, educonnect: TestEduConnect, records: tuple[Account, Account]
) -> None:
    stranger = pupil(Establishment.objects.get(uai="0750001A"), "999999999ZZ", first="Zoé")
    post_answer(client, idp_answer(educonnect, client, "parent"))
    response = client.post("/educonnect/choix", {"account": stranger.pk})
    assert response.status_code == 400
    assert not FederatedIdentity.objects.exists()
    assert SESSION_KEY not in client.session


def test_another_parents_record_is_never_a_choice(
    client: Any, educonnect: TestEduConnect, schools: tuple[Establishment, Establishment]
) -> None:
    """Tom's record is his mother's: Paul proves only his own, which does not cover Tom."""
    college, ecole = schools
    lea = pupil(college, INE_LEA)
    tom = pupil(ecole, INE_TOM, first="Tom")
    guardian_of(college, lea)
    mother = guardian_of(ecole, tom)
    Account.objects.filter(pk=mother.pk).update(first_name="Marie")
    response = post_answer(client, idp_answer(educonnect, client, "parent"))
    assert response["Location"] == "/educonnect/lier"
    assert client.get("/educonnect/choix").status_code != 200


def test_a_record_holding_a_child_educonnect_does_not_give_is_not_offered(
    client: Any, educonnect: TestEduConnect, schools: tuple[Establishment, Establishment]
) -> None:
    college, ecole = schools
    lea = pupil(college, INE_LEA)
    tom = pupil(ecole, INE_TOM, first="Tom")
    other = pupil(ecole, "323456789AB", first="Inès")
    guardian_of(college, lea)
    guardian_of(ecole, tom, other)
    response = post_answer(client, idp_answer(educonnect, client, "parent"))
    assert response["Location"] == "/educonnect/lier"


def test_the_choice_belongs_to_the_identity_that_was_offered_it(
    client: Any, educonnect: TestEduConnect, records: tuple[Account, Account]
) -> None:
    """Another identity's answer in this browser (here: its pending identity replaced) cannot
    use the choice offered to the first."""
    post_answer(client, idp_answer(educonnect, client, "parent"))
    session = client.session
    session["preau_federation_pending"] = {**session["preau_federation_pending"], "subject": "x"}
    session.save()
    response = client.post("/educonnect/choix", {"account": records[0].pk})
    assert response.status_code != 302
    assert not FederatedIdentity.objects.exists()
