"""The ``children`` scope: a guardian's confirmed children as ``ent_children``, each known by
the child's own pairwise ``sub`` for the client; a pending or refused child, and its school,
are not released (issue 14, part 2)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.sso.oidc.models import Subject
from tests.oidc.conftest import RegisteredClient, active_account
from tests.oidc.test_claims import tokens, userinfo

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(establishment: Establishment, student: Account) -> dict[str, object]:
    college = Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")
    parent = active_account("marc.bernard", first_name="Marc")
    for school in (establishment, college):
        Membership.objects.create(
            account=parent, establishment=school, profile="responsable", school_year=2026
        )
    Guardianship.objects.create(guardian=parent, student=student, establishment=establishment)
    hugo = active_account("hugo.bernard", birth_date=dt.date(2014, 3, 9))
    Membership.objects.create(
        account=hugo, establishment=college, profile="eleve", school_year=2026
    )
    pending = Guardianship.objects.create(
        guardian=parent,
        student=hugo,
        establishment=college,
        confirmation=Guardianship.Confirmation.PENDING,
    )
    return {"parent": parent, "pending": pending}


def test_children_scope_releases_confirmed_children_by_their_own_sub(
    client: Client, rp: RegisteredClient, student: Account, family: dict[str, object]
) -> None:
    parent, pending = family["parent"], family["pending"]
    assert isinstance(parent, Account) and isinstance(pending, Guardianship)
    # The pending child is asked first (a required action): confirm it as the page would.
    pending.confirmation = Guardianship.Confirmation.REFUSED
    pending.save(update_fields=["confirmation"])
    client.force_login(parent)
    info = userinfo(tokens(client, rp, "openid ent children")["access_token"])
    lea_sub = Subject.objects.get(account=student, application=rp.application).sub
    assert info["ent_children"] == [
        {"sub": lea_sub, "given_name": "Léa", "family_name": "Bernard", "ent_uai": "0750654D"}
    ]
    # The refused child's school is not one of the guardian's for the services.
    assert info["ent_uais"] == ["0750654D"]

    # The child signing in to the same client gets the same sub.
    child = Client()
    child.force_login(student)
    assert userinfo(tokens(child, rp, "openid")["access_token"])["sub"] == lea_sub


def test_a_parent_with_a_pending_child_is_sent_to_confirm_it_before_a_code(
    client: Client, rp: RegisteredClient, family: dict[str, object]
) -> None:
    from tests.oidc.conftest import authorize_url, pkce

    parent = family["parent"]
    assert isinstance(parent, Account)
    client.force_login(parent)
    response = client.get(authorize_url(rp, scope="openid children", challenge=pkce()))
    assert response.status_code == 302
    assert response["Location"].startswith("/premiere-connexion/?next=")


def test_without_the_scope_no_child_is_released(
    client: Client, rp: RegisteredClient, student: Account, family: dict[str, object]
) -> None:
    parent, pending = family["parent"], family["pending"]
    assert isinstance(parent, Account) and isinstance(pending, Guardianship)
    Guardianship.objects.filter(pk=pending.pk).update(confirmation="confirmed")
    client.force_login(parent)
    info = userinfo(tokens(client, rp, "openid ent")["access_token"])
    assert "ent_children" not in info
    assert sorted(info["ent_uais"]) == ["0750001A", "0750654D"]
