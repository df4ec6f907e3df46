"""CAS downstream unchanged (issue 15, part 5) after an EduConnect sign-in: a pupil linked by
INE gets the same ticket attributes as after a sign-in with the password."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from preau.directory.models import Establishment
from preau.federation.models import FederatedIdentity
from tests.federation.educonnect_helpers import idp_answer, post_answer
from tests.federation.saml_idp import TestEduConnect
from tests.sso.conftest import (  # noqa: F401 - fixtures
    PASSWORD,
    VIE_SCOLAIRE,
    _fresh_registry,
    make_person,
    ticket_from,
    vie_scolaire,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("vie_scolaire")]

_PER_SIGNIN = re.compile(r"<cas:(authenticationDate|isFromNewLogin)>[^<]*</cas:\1>")


def attributes(client: Client) -> str:
    ticket = ticket_from(client.get("/cas/login", {"service": VIE_SCOLAIRE}))
    body = client.get("/cas/serviceValidate", {"service": VIE_SCOLAIRE, "ticket": ticket})
    text = body.content.decode()
    assert "<cas:authenticationSuccess>" in text, text
    return _PER_SIGNIN.sub("", text)


def test_a_cas_ticket_after_educonnect_has_the_same_attributes(
    client: Client, educonnect: TestEduConnect, establishment: Establishment
) -> None:
    # The school EduConnect names (FrEduCtEleveUAI) is the pupil's.
    Establishment.objects.filter(pk=establishment.pk).update(uai="0750001A")
    lea = make_person(
        "lea.martin", establishment, first_name="Léa", last_name="Martin", ine="123456789AB"
    )
    assert post_answer(client, idp_answer(educonnect, client, "eleve")).status_code == 302
    assert FederatedIdentity.objects.get().account == lea
    federated = attributes(client)

    with_password = Client()
    with_password.post("/connexion", {"username": "lea.martin", "password": PASSWORD})
    assert with_password.session["_auth_user_id"] == str(lea.pk)
    assert federated == attributes(with_password)
    assert "<cas:user>lea.martin</cas:user>" in federated
