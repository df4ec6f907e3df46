"""A parent proves the account by SMS code and children's birth dates before a FranceConnect
identity is linked (issue 15, part 3), against the test provider (Node's oidc-provider), the
SMS read from the local gateway, the sign-up's task run at once: an active and a provisioned
guardian are linked and signed in through FranceConnect; every refusal (no match, several,
deactivated, wrong or exhausted code, wrong birth dates, throttled, the identity expired or
taken meanwhile) shows a French page, links nothing and changes nothing."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from preau.activation.models import ActivationJourney, SignUp
from preau.activation.services import charter_version_create, charter_version_publish
from preau.activation.signup import StepOutcome, handle_new, signup_submit
from preau.audit.models import AuditEvent
from preau.directory.activation_codes import activation_code_digest, activation_code_matches
from preau.directory.models import Account, Guardianship
from preau.federation.models import FederatedIdentity
from preau.federation.services import PENDING_SESSION_KEY, SIGNED_IN_SESSION_KEY
from preau.federation.sms_proof import LinkOutcome, sms_proof_link
from preau.signin.services import AUTH_METHOD_SESSION_KEY
from tests.activation.conftest import follow, post
from tests.factories import PASSWORD, account_factory
from tests.federation.helpers import answer
from tests.federation.op import OTHER, PARENT, TestFranceConnect
from tests.federation.sms_proof_helpers import (
    IMMEDIATE,
    MOBILE,
    TYPED_MOBILE,
    ask,
    dates,
    deactivate,
    family,
    nothing_linked,
    prove,
    send_code,
    the_proof,
)
from tests.notify.sms_gateway import SmsGateway
from tests.notify.smtp import SmtpServer

pytestmark = pytest.mark.django_db

FC = "franceconnect"
LETTER = "PQRT3469"


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
def fc(franceconnect: TestFranceConnect, sms_gateway: SmsGateway) -> TestFranceConnect:
    """FranceConnect and the SMS gateway, both configured."""
    return franceconnect


@pytest.fixture
def marie() -> Account:
    """Marie Martin, as FranceConnect knows her (the test provider's PARENT), an active
    guardian of two children."""
    return family(first="Marie", last="Martin")


def at_proof_page(fc: TestFranceConnect, client: Client, user: str = PARENT) -> None:
    response = client.get(answer(fc, client, user))
    assert response["Location"] == "/franceconnect/lier"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def no_secret_in_audit() -> None:
    """The audit trail keeps reason codes: no claim, no subject, no code."""
    for event in AuditEvent.objects.all():
        data = str(event.data)
        assert PARENT not in data and "Marie" not in data and "1980-05-12" not in data


# --- It works -----------------------------------------------------------------------------------


def test_the_proof_page_offers_the_sms_way_with_the_providers_names(
    client: Client, fc: TestFranceConnect, marie: Account
) -> None:
    at_proof_page(fc, client)
    page = text(client.get("/franceconnect/lier"))
    assert "Je suis parent : recevoir un code par SMS" in page
    assert 'href="/franceconnect/lier/sms"' in page
    start = client.get("/franceconnect/lier/sms")
    assert start.status_code == 200
    form = start.context["form"]
    # Editable: the school's records may spell the names otherwise.
    assert (form["last_name"].value(), form["first_name"].value()) == ("Martin", "Marie")


def test_an_active_guardian_proves_the_account_and_is_linked_and_signed_in(  # noqa: PLR0917
    client: Client,
    fc: TestFranceConnect,
    sms_gateway: SmsGateway,
    run: Any,
    marie: Account,
    smtp: SmtpServer,
) -> None:
    Account.objects.filter(pk=marie.pk).update(
        email="marie.martin@example.org", email_verified_at=timezone.now()
    )
    at_proof_page(fc, client)
    response = prove(run, client, sms_gateway, FC, marie)
    assert response.status_code == 302 and response["Location"] == "/"
    # The code went to the guardian's mobile, naming FranceConnect (never the identifier).
    (sms,) = sms_gateway.texts_to(MOBILE)
    assert "lier votre identité FranceConnect à votre compte" in sms
    assert marie.login not in sms

    identity = FederatedIdentity.objects.get()
    assert (identity.account, identity.provider, identity.subject) == (marie, FC, PARENT)
    assert client.session[SESSION_KEY] == str(marie.pk)
    assert client.session[AUTH_METHOD_SESSION_KEY] == FC
    assert client.session[SIGNED_IN_SESSION_KEY]["provider"] == FC  # signed out there too
    assert PENDING_SESSION_KEY not in client.session
    marie.refresh_from_db()
    assert marie.state == Account.State.ACTIVE
    assert marie.check_password(PASSWORD)  # no password set or changed
    assert marie.mobile_verified_at is not None
    assert set(
        Guardianship.objects.filter(guardian=marie).values_list("confirmation", flat=True)
    ) == {Guardianship.Confirmation.CONFIRMED}
    proof = the_proof()
    assert proof.end_reason == SignUp.EndReason.DONE
    assert AuditEvent.objects.filter(action="signup.link", target_id=marie.pk).exists()
    assert AuditEvent.objects.filter(action="federation.link", target_id=marie.pk).exists()
    signin = AuditEvent.objects.filter(action="signin.success").latest("pk")
    assert signin.data["method"] == FC
    no_secret_in_audit()
    page = text(client.get("/"))
    assert "est maintenant liée à votre compte " + marie.login in page
    # The owner hears of it where the proof did not go: the verified address.
    (mail,) = smtp.to("marie.martin@example.org")
    assert mail["Subject"].strip() == "Une identité FranceConnect a été liée à votre compte – Préau"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert marie.login in body and "Identités connectées" in body

    # Next time: straight in.
    client.logout()
    assert client.get(answer(fc, client))["Location"] == "/"
    assert client.session[SESSION_KEY] == str(marie.pk)


def test_a_provisioned_guardian_is_linked_then_goes_through_the_first_connection(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any
) -> None:
    paul = family(first="Paul", last="Durand", state=Account.State.PROVISIONED)
    paul.activation_code_digest = activation_code_digest(LETTER)
    paul.activation_expires_at = timezone.now() + dt.timedelta(days=92)
    paul.save(update_fields=["activation_code_digest", "activation_expires_at"])
    at_proof_page(fc, client, OTHER)
    response = prove(run, client, sms_gateway, FC, paul)
    assert response.status_code == 302
    assert FederatedIdentity.objects.get().account == paul
    assert client.session[SESSION_KEY] == str(paul.pk)
    paul.refresh_from_db()
    # Not activated, no password: the first connection runs (charter, contact…).
    assert paul.state == Account.State.PROVISIONED
    assert not paul.has_usable_password()
    assert activation_code_matches(LETTER, paul.activation_code_digest)
    assert paul.mobile_verified_at is not None
    # Every child's birth date was given: the first connection does not ask one again.
    assert ActivationJourney.objects.get(account=paul).birth_date_confirmed_at is not None
    # The first connection: the charter, not the birth date (every child's was given), the
    # contact, and no password (a federated session); then the account is active.
    charter_version_publish(
        actor=None,
        version=charter_version_create(actor=None, title="Charte de l'ENT", body="Article 1."),
    )
    page = follow(client, "/")
    assert page.url == "/premiere-connexion/charte"
    page = post(client, page.url, {"accept": "on"})
    assert page.url == "/premiere-connexion/coordonnees", page.html[:2000]
    page = post(client, page.url, {"email": "", "mobile": TYPED_MOBILE, "from_establishment": "on"})
    assert page.url == "/premiere-connexion/termine", page.html[:2000]
    paul.refresh_from_db()
    assert paul.state == Account.State.ACTIVE and not paul.has_usable_password()
    assert follow(client, "/").url == "/"


# --- Nobody learns who is known ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "first", "outcome"),
    [("Martin", "Maria", "none"), ("Martin", "Marie", "ambiguous")],
)
def test_no_match_or_several_get_the_same_answer_and_nothing(  # noqa: PLR0917 - fixtures
    client: Client,
    fc: TestFranceConnect,
    sms_gateway: SmsGateway,
    run: Any,
    marie: Account,
    last: str,
    first: str,
    outcome: str,
) -> None:
    if outcome == "ambiguous":  # a duplicate to merge at the school: same names, same number
        family(first="Marie", last="Martin")
    at_proof_page(fc, client)
    response = ask(run, client, FC, last, first)
    assert response["Location"] == "/franceconnect/lier/sms/code"
    page = text(client.get("/franceconnect/lier/sms/code"))
    assert "Si ces informations correspondent à un responsable connu" in page
    assert sms_gateway.texts_to(MOBILE) == []
    assert the_proof().outcome == outcome
    assert AuditEvent.objects.filter(action="signup.none").latest("pk").data["outcome"] == outcome
    for left in (4, 3, 2, 1):
        wrong = send_code(client, FC, "123456")
        assert f"il vous reste {left} essai" in text(wrong)
    exhausted = send_code(client, FC, "123456")
    assert exhausted.status_code == 410
    assert "Trop de codes erronés" in text(exhausted)
    assert "Votre identité FranceConnect n'a pas été liée" in text(exhausted)
    nothing_linked(marie)
    assert SESSION_KEY not in client.session


def _shape(sql: str) -> str:
    """A statement without its values (nor the savepoints' running names)."""
    return re.sub(r"'[^']*'|\b\d+\b|\"s\d+_x\d+\"", "?", sql)


def test_the_request_runs_the_same_sql_whoever_it_names(
    fc: TestFranceConnect, marie: Account, settings: Any
) -> None:
    """The page's work does not depend on the guardian: the task looks them up later."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    shapes = []
    for mobile in (TYPED_MOBILE, "06 98 76 54 32"):
        client = Client()
        at_proof_page(fc, client)
        client.get("/franceconnect/lier/sms")
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                "/franceconnect/lier/sms",
                {"last_name": "Martin", "first_name": "Marie", "mobile": mobile},
            )
        assert response.status_code == 302
        shapes.append([_shape(q["sql"]) for q in queries.captured_queries])
    assert shapes[0] == shapes[1]
    assert not any("directory_account" in sql for sql in shapes[0])


def test_a_deactivated_guardian_gets_no_code(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    deactivate(marie)
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    assert sms_gateway.texts_to(MOBILE) == []
    assert the_proof().outcome == SignUp.Outcome.DEACTIVATED
    assert "il vous reste 4 essais" in text(send_code(client, FC, "123456"))
    nothing_linked(marie)


def test_an_active_guardian_whose_mobile_only_the_school_vouches_for_gets_no_code(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any
) -> None:
    """An active account is not opened to a new way in on a number its owner never proved
    (the forgotten password's rule): the same answer, no SMS, and the password still links."""
    paul = family(first="Paul", last="Martin", mobile_verified=False)
    at_proof_page(fc, client)
    response = ask(run, client, FC, "Martin", "Paul")
    assert response["Location"] == "/franceconnect/lier/sms/code"  # as for anyone
    assert sms_gateway.texts_to(MOBILE) == []
    assert the_proof().outcome == SignUp.Outcome.UNVERIFIED
    assert "il vous reste 4 essais" in text(send_code(client, FC, "123456"))
    nothing_linked(paul)
    response = client.post("/franceconnect/lier", {"username": paul.login, "password": PASSWORD})
    assert response.status_code == 302
    assert FederatedIdentity.objects.get().account == paul


def test_a_guardian_deactivated_during_the_proof_is_not_linked(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    send_code(client, FC, sms_gateway.code_sent_to(MOBILE))
    deactivate(marie)
    response = dates(client, FC, marie, "14/07/2011", "03/02/2014")
    assert response.status_code == 403
    assert "Ce compte est désactivé" in text(response)
    assert "Collège Victor-Hugo" in text(response)
    nothing_linked(marie)
    assert SESSION_KEY not in client.session
    assert the_proof().end_reason == SignUp.EndReason.REFUSED


# --- Wrong answers -------------------------------------------------------------------------------


def test_a_wrong_code_counts_then_the_right_one_goes_on(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    ask(run, client, FC, "MARTIN", "marie")  # folded as the imports fold names
    code = sms_gateway.code_sent_to(MOBILE)
    wrong = send_code(client, FC, f"{(int(code) + 1) % 1_000_000:06d}")
    assert wrong.status_code == 400
    assert "Ce code n'est pas le bon. Vérifiez le SMS reçu : il vous reste 4 essais." in text(wrong)
    # Skipping ahead changes nothing.
    assert client.get("/franceconnect/lier/sms/enfants")["Location"] == (
        "/franceconnect/lier/sms/code"
    )
    assert send_code(client, FC, code)["Location"] == "/franceconnect/lier/sms/enfants"
    nothing_linked(marie)


def test_wrong_birth_dates_three_times_stop_and_name_the_schools(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    send_code(client, FC, sms_gateway.code_sent_to(MOBILE))
    for left in (2, 1):
        wrong = dates(client, FC, marie, "14/07/2011", "04/02/2014")
        assert wrong.status_code == 400
        assert f"il vous reste {left} essai" in text(wrong)
    blocked = dates(client, FC, marie, "14/07/2011", "04/02/2014")
    assert blocked.status_code == 403
    page = text(blocked)
    assert "Contactez votre établissement" in page
    assert "Collège Victor-Hugo" in page and "École Jules-Ferry" in page
    # The right dates now change nothing.
    again = dates(client, FC, marie, "14/07/2011", "03/02/2014")
    assert again.status_code == 403
    nothing_linked(marie)
    assert AuditEvent.objects.filter(
        action="signup.birth_dates.blocked", target_id=marie.pk
    ).exists()
    no_secret_in_audit()


def test_a_code_typed_too_late_asks_to_start_again(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    code = sms_gateway.code_sent_to(MOBILE)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
        late = send_code(client, FC, code)
    assert late.status_code == 410
    assert "Recommencez la preuve de votre compte" in text(late)
    assert 'href="/franceconnect/lier"' in text(late)
    nothing_linked(marie)


def test_a_child_without_a_birth_date_on_record_stops_the_proof(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    Account.objects.filter(guardianships__guardian=marie, first_name="Tom").update(birth_date=None)
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    response = send_code(client, FC, sms_gateway.code_sent_to(MOBILE))
    stopped = client.get(response["Location"])
    assert stopped.status_code == 403
    assert "n'a pas enregistré la date de naissance de chacun de vos enfants" in text(stopped)
    assert "École Jules-Ferry" in text(stopped)
    nothing_linked(marie)
    assert the_proof().end_reason == SignUp.EndReason.NO_BIRTH_DATE


def test_requests_are_throttled_per_number(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    for _ in range(3):
        assert ask(run, client, FC, "Martin", "Marie").status_code == 302
    throttled = ask(run, client, FC, "Martin", "Marie")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert "Trop de tentatives\u00a0: réessayez dans" in text(throttled)
    assert SignUp.objects.count() == 3
    assert AuditEvent.objects.filter(action="signup.request.throttled").exists()


# --- The identity meanwhile ---------------------------------------------------------------------


def test_the_identity_expired_before_the_end_links_nothing(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    send_code(client, FC, sms_gateway.code_sent_to(MOBILE))
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        response = dates(client, FC, marie, "14/07/2011", "03/02/2014")
    assert response.status_code == 400
    assert "Cette connexion avec FranceConnect a expiré" in text(response)
    assert "le délai pour prouver votre compte est dépassé" in text(response)
    nothing_linked(marie)
    assert SESSION_KEY not in client.session
    assert the_proof().end_reason == SignUp.EndReason.LINK_EXPIRED
    failure = AuditEvent.objects.filter(action="federation.failure").latest("pk")
    assert failure.data == {"provider": FC, "reason": "sms_proof:expired"}


def test_another_identity_on_this_browser_is_not_linked_by_the_first_ones_proof(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    send_code(client, FC, sms_gateway.code_sent_to(MOBILE))
    at_proof_page(fc, client, OTHER)  # someone else's FranceConnect, same browser
    response = dates(client, FC, marie, "14/07/2011", "03/02/2014")
    assert "Cette connexion avec FranceConnect a expiré" in text(response)
    nothing_linked(marie)
    assert the_proof().end_reason == SignUp.EndReason.LINK_EXPIRED


def test_an_identity_linked_elsewhere_meanwhile_is_not_linked_again(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    send_code(client, FC, sms_gateway.code_sent_to(MOBILE))
    other = account_factory(state=Account.State.ACTIVE)
    FederatedIdentity.objects.create(
        provider=FC, subject=PARENT, account=other, linked_at=timezone.now()
    )
    response = dates(client, FC, marie, "14/07/2011", "03/02/2014")
    assert response.status_code == 409
    assert "déjà liée à un autre compte" in text(response)
    assert FederatedIdentity.objects.get().account == other
    nothing_linked(marie)
    assert SESSION_KEY not in client.session
    assert the_proof().end_reason == SignUp.EndReason.LINK_TAKEN
    assert (
        AuditEvent.objects.filter(action="federation.failure").latest("pk").data["reason"]
        == "taken"
    )


def test_without_a_pending_identity_the_pages_say_it_expired(
    client: Client, fc: TestFranceConnect
) -> None:
    for path in ("", "/code", "/enfants"):
        response = client.get(f"/franceconnect/lier/sms{path}")
        assert response.status_code == 400
        assert "Cette connexion avec FranceConnect a expiré" in text(response)


# --- A sign-up is not a proof, a proof is not a sign-up ------------------------------------------


def test_a_proofs_handle_cannot_choose_a_password_nor_a_sign_ups_link(
    client: Client, fc: TestFranceConnect, sms_gateway: SmsGateway, run: Any, marie: Account
) -> None:
    handle = handle_new()
    run(
        signup_submit,
        last_name="Martin",
        first_name="Marie",
        mobile=MOBILE,
        handle=handle,
    )
    # An ACTIVE guardian's sign-up gets the identifier, no code; and its handle links nothing.
    assert marie.login in sms_gateway.texts_to(MOBILE)[-1]
    request = Client().get("/").wsgi_request
    result = sms_proof_link(
        request=request,
        provider=FC,
        handle=handle,
        subject=PARENT,
        pending={"provider": FC, "subject": PARENT, "id_token": ""},
    )
    assert (result.outcome, result.step) == (LinkOutcome.STOPPED, StepOutcome.EXPIRED)
    nothing_linked(marie)
    # A proof's handle is kept under its own key: the sign-up's pages do not know it.
    at_proof_page(fc, client)
    ask(run, client, FC, "Martin", "Marie")
    assert client.get("/inscription/mot-de-passe")["Location"] == "/inscription/"


def test_off_with_the_sign_up_or_without_franceconnect(
    client: Client, fc: TestFranceConnect, marie: Account, settings: Any
) -> None:
    at_proof_page(fc, client)
    settings.PREAU = {**settings.PREAU, "SIGNUP_ENABLED": False}
    assert "recevoir un code par SMS" not in text(client.get("/franceconnect/lier"))
    assert client.get("/franceconnect/lier/sms").status_code == 404
    assert client.get("/inconnu/lier/sms").status_code == 404
