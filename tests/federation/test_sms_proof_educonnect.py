"""A parent whose EduConnect children do not prove a guardian record (issue 15, part 3) proves
the account by SMS code and children's birth dates, against the test IdP (SimpleSAMLphp): an
active and a provisioned guardian are linked and signed in through EduConnect; wrong birth
dates, an identity expired or linked elsewhere meanwhile link nothing."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import timezone

from preau.activation.models import SignUp
from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.federation.models import FederatedIdentity
from preau.federation.services import SIGNED_IN_SESSION_KEY
from preau.signin.services import AUTH_METHOD_SESSION_KEY
from tests.factories import account_factory
from tests.federation.educonnect_helpers import idp_answer, post_answer
from tests.federation.saml_idp import TestEduConnect
from tests.federation.sms_proof_helpers import (
    IMMEDIATE,
    MOBILE,
    ask,
    dates,
    family,
    nothing_linked,
    prove,
    send_code,
    the_proof,
)
from tests.notify.sms_gateway import SmsGateway

pytestmark = pytest.mark.django_db

EC = "educonnect"
SUBJECT = "ect-parent-0002"  # the test IdP's "parent-un-enfant"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE


@pytest.fixture
def run(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


@pytest.fixture
def ec(educonnect: TestEduConnect, sms_gateway: SmsGateway) -> TestEduConnect:
    return educonnect


def at_proof_page(ec: TestEduConnect, client: Client) -> None:
    """EduConnect names one child whose INE the school does not hold: the proof page."""
    response = post_answer(client, idp_answer(ec, client, "parent-un-enfant"))
    assert response["Location"] == "/educonnect/lier"
    assert "Je suis parent : recevoir un code par SMS" in text(client.get("/educonnect/lier"))


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_the_proofs_form_starts_from_educonnects_names(client: Client, ec: TestEduConnect) -> None:
    at_proof_page(ec, client)
    form = client.get("/educonnect/lier/sms").context["form"]
    assert (form["last_name"].value(), form["first_name"].value()) == ("Martin", "Paul")


@pytest.mark.parametrize("state", [Account.State.ACTIVE, Account.State.PROVISIONED])
def test_a_guardian_proves_the_account_and_is_linked_and_signed_in(
    client: Client, ec: TestEduConnect, sms_gateway: SmsGateway, run: Any, state: str
) -> None:
    paul = family(first="Paul", last="Martin", state=state)
    at_proof_page(ec, client)
    response = prove(run, client, sms_gateway, EC, paul)
    assert response.status_code == 302, text(response)[:500]
    assert "lier votre identité EduConnect à votre compte" in sms_gateway.texts_to(MOBILE)[0]
    identity = FederatedIdentity.objects.get()
    assert (identity.account, identity.provider, identity.subject) == (paul, EC, SUBJECT)
    assert client.session[SESSION_KEY] == str(paul.pk)
    assert client.session[AUTH_METHOD_SESSION_KEY] == EC
    assert client.session[SIGNED_IN_SESSION_KEY]["provider"] == EC
    paul.refresh_from_db()
    assert paul.state == state  # the proof activates nothing
    assert paul.mobile_verified_at is not None
    assert the_proof().end_reason == SignUp.EndReason.DONE
    assert AuditEvent.objects.filter(action="signup.link", target_id=paul.pk).exists()

    # Next time: straight in.
    client.logout()
    post_answer(client, idp_answer(ec, client, "parent-un-enfant"))
    assert client.session[SESSION_KEY] == str(paul.pk)


def test_wrong_birth_dates_stop_and_link_nothing(
    client: Client, ec: TestEduConnect, sms_gateway: SmsGateway, run: Any
) -> None:
    paul = family(first="Paul", last="Martin")
    at_proof_page(ec, client)
    ask(run, client, EC, "Martin", "Paul")
    send_code(client, EC, sms_gateway.code_sent_to(MOBILE))
    for _ in range(2):
        assert dates(client, EC, paul, "15/07/2011", "03/02/2014").status_code == 400
    blocked = dates(client, EC, paul, "15/07/2011", "03/02/2014")
    assert blocked.status_code == 403
    assert "Votre identité EduConnect n'a pas été liée" in text(blocked)
    assert "Collège Victor-Hugo" in text(blocked)
    nothing_linked(paul)
    assert SESSION_KEY not in client.session


def test_the_identity_expired_or_taken_meanwhile_links_nothing(
    client: Client, ec: TestEduConnect, sms_gateway: SmsGateway, run: Any
) -> None:
    paul = family(first="Paul", last="Martin")
    at_proof_page(ec, client)
    ask(run, client, EC, "Martin", "Paul")
    send_code(client, EC, sms_gateway.code_sent_to(MOBILE))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        expired = dates(client, EC, paul, "14/07/2011", "03/02/2014")
    assert expired.status_code == 400
    assert "Cette connexion avec EduConnect a expiré" in text(expired)
    nothing_linked(paul)

    other = account_factory(state=Account.State.ACTIVE)
    at_proof_page(ec, client)
    ask(run, client, EC, "Martin", "Paul")
    send_code(client, EC, sms_gateway.code_sent_to(MOBILE))
    FederatedIdentity.objects.create(
        provider=EC, subject=SUBJECT, account=other, linked_at=timezone.now()
    )
    taken = dates(client, EC, paul, "14/07/2011", "03/02/2014")
    assert taken.status_code == 409
    assert "Cette identité EduConnect est déjà liée à un autre compte" in text(taken)
    nothing_linked(paul)
    assert SESSION_KEY not in client.session
