"""EduConnect answers that must sign nobody in: tampered, unsigned, expired, replayed, for
another audience, an error status of the IdP, an identity linked to another account. Each gets
a French page; nothing is linked or created; the audit trail keeps a reason code only."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment
from preau.federation.educonnect import OUTSTANDING_SESSION_KEY
from preau.federation.models import FederatedIdentity
from tests.factories import PASSWORD, account_factory
from tests.federation.educonnect_helpers import idp_answer, post_answer, start
from tests.federation.saml_idp import OID, TestEduConnect

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea(db: Any) -> Account:
    school = Establishment.objects.create(uai="0750001A", name="Collège Victor-Hugo")
    return account_factory(
        establishment=school, ine="123456789AB", first_name="Léa", last_name="Martin"
    )


def refused(client: Any, response: Any, reason: str, status: int = 400) -> None:
    assert response.status_code == status, response.content[:500]
    page = response.content.decode()
    assert f'data-reason="{reason}"' in page
    assert "EduConnect" in page
    assert SESSION_KEY not in client.session
    assert not FederatedIdentity.objects.exists()
    event = AuditEvent.objects.filter(action="federation.failure").latest("pk")
    assert event.data["provider"] == "educonnect"
    assert event.data["reason"].startswith(reason)
    # Nothing the IdP sent: no subject, no INE, no name.
    text = str(event.data)
    assert "ect-eleve" not in text and "123456789AB" not in text and "Martin" not in text


def _decoded(form: dict[str, str]) -> str:
    return base64.b64decode(form["SAMLResponse"]).decode()


def _encoded(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def test_a_tampered_answer_is_refused(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    form = idp_answer(educonnect, client, "eleve")
    xml = _decoded(form)
    start_at = xml.index("<xenc:CipherValue>") + len("<xenc:CipherValue>") + 40
    flipped = "A" if xml[start_at] != "A" else "B"
    form["SAMLResponse"] = _encoded(xml[:start_at] + flipped + xml[start_at + 1 :])
    refused(client, post_answer(client, form), "token")


def test_a_replayed_answer_is_refused(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    form = idp_answer(educonnect, client, "eleve")
    outstanding = dict(client.session[OUTSTANDING_SESSION_KEY])
    assert post_answer(client, form).status_code == 302
    FederatedIdentity.objects.all().delete()
    client.logout()
    # Its request is answered: the same answer again matches no request of this browser…
    refused(client, post_answer(client, form), "state")
    # …and even with the request put back (a stolen session), the assertion's ID served once.
    session = client.session
    session[OUTSTANDING_SESSION_KEY] = outstanding
    session.save()
    refused(client, post_answer(client, form), "token")
    assert (
        AuditEvent.objects.filter(action="federation.failure").latest("pk").data["reason"]
        == "token:replay"
    )


def test_an_expired_answer_is_refused(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    form = idp_answer(educonnect, client, "eleve")
    with time_machine.travel(timezone.now() + timedelta(minutes=15)):
        refused(client, post_answer(client, form), "token")


def test_an_answer_for_another_audience_is_refused(
    client: Any, educonnect: TestEduConnect, lea: Account, settings: Any
) -> None:
    form = idp_answer(educonnect, client, "eleve")
    settings.PREAU = {**settings.PREAU, "SAML_SP_ENTITY_ID": "https://autre-ent.test/saml/"}
    refused(client, post_answer(client, form), "token")


def test_an_answer_of_another_browser_is_refused(
    client: Any, educonnect: TestEduConnect, lea: Account, django_user_model: Any
) -> None:
    from django.test import Client

    form = idp_answer(educonnect, client, "eleve")
    other = Client()
    start(other)  # a request of its own, not the one answered
    refused(other, post_answer(other, form), "state")


def _crafted(client: Any, educonnect: TestEduConnect, body: str) -> dict[str, str]:
    location = start(client)
    assert location
    request_id, relay_state = next(iter(client.session[OUTSTANDING_SESSION_KEY].items()))
    now = datetime.now(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    later = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    xml = body.format(
        rid=request_id, now=stamp, later=later, idp=educonnect.entity_id,
        sp=educonnect.sp_entity_id, oid=OID,
    )  # fmt: skip
    return {"SAMLResponse": _encoded(xml), "RelayState": relay_state}


_RESPONSE = (
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" '
    'IssueInstant="{now}" Destination="http://testserver/saml/acs/" InResponseTo="{rid}">'
    "<saml:Issuer>{idp}</saml:Issuer>"
)


def test_an_unsigned_assertion_is_refused(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    body = _RESPONSE + (
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
        '</samlp:Status><saml:Assertion ID="_a1" Version="2.0" IssueInstant="{now}">'
        "<saml:Issuer>{idp}</saml:Issuer><saml:Subject>"
        '<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">_x</saml:NameID>'
        '<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        '<saml:SubjectConfirmationData NotOnOrAfter="{later}" '
        'Recipient="http://testserver/saml/acs/" InResponseTo="{rid}"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        '<saml:Conditions NotBefore="{now}" NotOnOrAfter="{later}"><saml:AudienceRestriction>'
        "<saml:Audience>{sp}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        '<saml:AuthnStatement AuthnInstant="{now}" SessionIndex="_s1"><saml:AuthnContext>'
        "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
        "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
        '<saml:AttributeStatement><saml:Attribute Name="{oid}57">'
        "<saml:AttributeValue>ect-eleve-0001</saml:AttributeValue></saml:Attribute>"
        '<saml:Attribute Name="{oid}7"><saml:AttributeValue>elv2d</saml:AttributeValue>'
        '</saml:Attribute><saml:Attribute Name="FrEduCtEleveINE">'
        "<saml:AttributeValue>123456789AB</saml:AttributeValue></saml:Attribute>"
        "</saml:AttributeStatement></saml:Assertion></samlp:Response>"
    )
    form = _crafted(client, educonnect, body)
    refused(client, post_answer(client, form), "token")


def test_an_error_status_of_the_idp_says_so(
    client: Any, educonnect: TestEduConnect, lea: Account
) -> None:
    body = _RESPONSE + (
        '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">'
        '<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/>'
        "</samlp:StatusCode></samlp:Status></samlp:Response>"
    )
    response = post_answer(client, _crafted(client, educonnect, body))
    refused(client, response, "provider_error")
    assert "EduConnect n’a pas confirmé votre identité" in response.content.decode()


def test_an_identity_linked_meanwhile_to_another_account_is_not_linked_again(
    client: Any, educonnect: TestEduConnect, db: Any
) -> None:
    mine = account_factory(state=Account.State.ACTIVE, login="lea.martin")
    response = post_answer(client, idp_answer(educonnect, client, "eleve"))
    assert response["Location"] == "/educonnect/lier"  # no INE known: the proof page
    other = account_factory(state=Account.State.ACTIVE, login="autre.compte")
    FederatedIdentity.objects.create(
        provider="educonnect", subject="ect-eleve-0001", account=other, linked_at=timezone.now()
    )
    response = client.post("/educonnect/lier", {"username": "lea.martin", "password": PASSWORD})
    assert response.status_code == 409
    assert "Cette identité EduConnect est déjà liée à un autre compte" in response.content.decode()
    assert not FederatedIdentity.objects.filter(account=mine).exists()


def test_nothing_the_idp_sent_is_logged(
    client: Any, educonnect: TestEduConnect, lea: Account, caplog: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    form = idp_answer(educonnect, client, "eleve")
    form["SAMLResponse"] = _encoded(_decoded(form).replace('Version="2.0"', 'Version="2.1"', 1))
    post_answer(client, form)
    assert post_answer(client, idp_answer(educonnect, client, "eleve")).status_code == 302
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "ect-eleve" not in logged and "123456789AB" not in logged
