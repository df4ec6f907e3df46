"""python-cas reads a guardian's confirmed children in the ``enfants`` attribute (CAS 3.0):
``identifiant$nom$prénom$UAI``, one value per child; a child waiting for the guardian's
confirmation is not there (issue 14, part 2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cas import CASClient

from preau.directory.models import Account, Establishment, Guardianship, Membership
from tests.interop.test_python_cas import sign_in_for
from tests.sso.conftest import VIE_SCOLAIRE, make_person

pytestmark = pytest.mark.django_db(transaction=True)


def test_python_cas_reads_the_confirmed_children_only(
    cas_url: str, student: Account, establishment: Establishment, vie_scolaire: Any
) -> None:
    parent = make_person(
        "marc.petit", establishment, Membership.Profile.GUARDIAN, first_name="Marc", class_code=None
    )
    Guardianship.objects.create(guardian=parent, student=student, establishment=establishment)
    hugo = make_person(
        "hugo.petit", establishment, first_name="Hugo", birth_date=dt.date(2014, 3, 9)
    )
    pending = Guardianship.objects.create(
        guardian=parent,
        student=hugo,
        establishment=establishment,
        confirmation=Guardianship.Confirmation.REFUSED,
    )
    client = CASClient(version=3, service_url=VIE_SCOLAIRE, server_url=cas_url)
    user, attributes, _pgtiou = client.verify_ticket(sign_in_for(client, "marc.petit"))
    assert user == "marc.petit"
    assert attributes["enfants"] == "emma.petit$Petit$Emma$0750654D"
    assert attributes["profile"] == "responsable"

    Guardianship.objects.filter(pk=pending.pk).update(confirmation="confirmed")
    client = CASClient(version=3, service_url=VIE_SCOLAIRE, server_url=cas_url)
    _user, attributes, _pgtiou = client.verify_ticket(sign_in_for(client, "marc.petit"))
    assert sorted(attributes["enfants"]) == [
        "emma.petit$Petit$Emma$0750654D",
        "hugo.petit$Petit$Hugo$0750654D",
    ]
