""" "Fusion de comptes" in "Mon compte" (issue 14, part 3): the proof of the other account,
the preview, the confirmation, the refusals, the throttles; the alias at the sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.directory.transitions import account_reprovision
from tests.account.conftest import PASSWORD, signed_in
from tests.factories import account_factory

pytestmark = pytest.mark.django_db

PAGE = "/mon-compte/fusion"
CONFIRM = "/mon-compte/fusion/confirmer"
OTHER_PASSWORD = "Autre-Mot-2024!"


@pytest.fixture
def college(db: Any) -> Establishment:
    return Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")


@pytest.fixture
def other(college: Establishment) -> Account:
    account = account_factory(
        state=Account.State.ACTIVE,
        login="claire.martin2",
        password=OTHER_PASSWORD,
        establishment=college,
        profile=Membership.Profile.GUARDIAN,
        first_name="Claire",
        last_name="Martin",
    )
    child = account_factory(establishment=college, first_name="Léo")
    Guardianship.objects.create(guardian=account, student=child, establishment=college)
    return account


def _prove(client: Client, login: str, password: str) -> Any:
    return client.post(PAGE, {"identifier": login, "password": password})


def test_the_page_explains_and_asks_for_the_other_account(client_in: Client) -> None:
    page = client_in.get(PAGE).content.decode()
    assert "Fusion de comptes" in page and 'name="identifier"' in page
    assert 'aria-current="page"' in page


def test_a_parent_merges_their_other_account(
    client_in: Client, person: Account, other: Account, college: Establishment
) -> None:
    response = _prove(client_in, "Claire.Martin2 ", OTHER_PASSWORD)
    assert response.status_code == 302 and response["Location"] == CONFIRM
    preview = client_in.get(CONFIRM).content.decode()
    assert "Collège Victor-Hugo" in preview and "Léo" in preview
    done = client_in.post(CONFIRM, follow=True)
    assert "Vos comptes sont fusionnés" in done.content.decode()
    other.refresh_from_db()
    assert other.state == Account.State.MERGED and other.merged_into_id == person.pk
    assert Membership.objects.filter(account=person, establishment=college).exists()
    # The proof is spent: the confirmation page sends back to the form.
    assert client_in.get(CONFIRM)["Location"] == PAGE


def test_a_wrong_identifier_and_a_wrong_password_answer_the_same(
    client_in: Client, other: Account
) -> None:
    unknown = _prove(client_in, "personne.inconnue", OTHER_PASSWORD)
    wrong = _prove(client_in, other.login, "pas-le-bon")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.context["form"].non_field_errors() == wrong.context["form"].non_field_errors()
    assert AuditEvent.objects.filter(action="account.merge.proof_failure").count() == 2


def test_the_proof_is_throttled(client_in: Client, other: Account) -> None:
    statuses = [_prove(client_in, f"inconnu.{i}", "x").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right secret waits now.
    assert _prove(client_in, other.login, OTHER_PASSWORD).status_code == 429


def test_the_other_accounts_letter_code_proves_it(
    client_in: Client, person: Account, college: Establishment
) -> None:
    pending = account_factory(establishment=college, profile=Membership.Profile.GUARDIAN)
    code = account_reprovision(actor=None, account=pending)
    assert _prove(client_in, pending.login, code)["Location"] == CONFIRM


def test_refusals_are_said_to_whoever_proved_the_account(
    client_in: Client, person: Account, other: Account
) -> None:
    itself = _prove(client_in, person.login, PASSWORD)
    assert "auquel vous êtes connecté" in itself.content.decode()
    Account.objects.filter(pk=other.pk).update(state=Account.State.DEACTIVATED)
    deactivated = _prove(client_in, other.login, OTHER_PASSWORD)
    assert "est désactivé" in deactivated.content.decode()


def test_the_alias_signs_in_the_kept_account_and_says_so(
    client_in: Client, person: Account, other: Account
) -> None:
    _prove(client_in, other.login, OTHER_PASSWORD)
    client_in.post(CONFIRM)
    # B's sessions ended; B's own password no longer opens anything.
    assert (
        Client()
        .post("/connexion", {"username": other.login, "password": OTHER_PASSWORD})
        .status_code
        == 401
    )
    client = signed_in(other.login, PASSWORD)
    page = client.get("/mon-compte/", follow=True).content.decode()
    assert "a été fusionné dans votre compte claire.martin" in page
    again = client.get("/mon-compte/").content.decode()
    assert "a été fusionné dans votre compte" not in again
    assert client.session["_auth_user_id"] == str(person.pk)
