"""The e-mail proof: one link, used once, in time, the latest one; every other case leads to a
page that says what to do next. Mail read from Django's outbox and from a real SMTP server."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from preau.activation.email_proof import (
    LinkStatus,
    email_token_digest,
    email_verification_check,
    email_verification_issue,
)
from preau.activation.models import EmailVerification
from preau.directory.models import Account
from preau.signin.contacts import account_email_set
from tests.activation.conftest import GUARDIAN_CODE, follow, post, sign_in
from tests.notify.smtp import SmtpServer

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
LINK = re.compile(r"http://testserver(/courriel/confirmer/[A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _mail_now(settings: Any, preau_options: Any) -> None:
    settings.TASKS = IMMEDIATE
    preau_options(PUBLIC_URL="http://testserver")


@pytest.fixture
def send(guardian: Account, django_capture_on_commit_callbacks: Any) -> Any:
    """``send()``: a fresh activation link to the guardian's address; returns its path."""

    def run(email: str = "marc.bernard@example.fr") -> str:
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            email_verification_issue(
                actor=guardian,
                account=guardian,
                email=email,
                purpose=EmailVerification.Purpose.ACTIVATION,
            )
        found = LINK.search(mail.outbox[before].body)
        assert found
        return found.group(1)

    return run


def test_the_mail_is_french_with_the_link_and_its_validity(send: Any, guardian: Account) -> None:
    send()
    [message] = mail.outbox
    assert message.to == ["marc.bernard@example.fr"]
    assert message.subject == "Confirmez votre adresse électronique – Préau"
    assert "Bonjour Marc," in message.body
    assert "Ce lien est valable 2 jours." in message.body
    html = message.alternatives[0][0]
    assert "Confirmer mon adresse électronique" in html


def test_only_the_tokens_digest_is_stored(send: Any) -> None:
    path = send()
    token = path.rsplit("/", 1)[1]
    row = EmailVerification.objects.get()
    assert row.token_digest == email_token_digest(token)
    assert token not in row.token_digest


def test_opening_the_link_asks_to_confirm_and_uses_nothing(send: Any, guardian: Account) -> None:
    path = send()
    client = Client()
    page = follow(client, path)
    assert page.status == 200
    assert "Confirmer mon adresse" in page.html
    guardian.refresh_from_db()
    assert guardian.email_verified_at is None  # a mail scanner opening links proves nothing


def test_the_link_proves_the_address_once(send: Any, guardian: Account) -> None:
    path = send()
    client = Client()
    page = post(client, path, {})
    assert "Adresse confirmée" in page.html
    guardian.refresh_from_db()
    assert guardian.email_verified_at is not None
    again = post(client, path, {})
    assert again.status == 410
    assert "Ce lien a déjà été utilisé" in again.html


def test_an_expired_link_says_to_sign_in_for_a_new_one(send: Any, guardian: Account) -> None:
    path = send()
    with time_machine.travel(timezone.now() + timedelta(hours=48, seconds=1)):
        page = post(Client(), path, {})
    assert page.status == 410
    assert "Ce lien a expiré" in page.html
    assert "Connectez-vous : un nouveau lien vous sera proposé." in page.html
    guardian.refresh_from_db()
    assert guardian.email_verified_at is None


@pytest.mark.parametrize(
    "alter",
    [lambda p: p[:-1], lambda p: p + "x", lambda p: p[:-3] + "AAA", lambda p: p + "A" * 200],
)
def test_an_altered_link_says_how_to_copy_it_whole(send: Any, alter: Any) -> None:
    page = post(Client(), alter(send()), {})
    assert page.status == 404
    assert "Ce lien n&#x27;est pas valide" in page.html or "Ce lien n'est pas valide" in page.html
    assert "Copiez-la en entier" in page.html


def test_a_newer_link_replaces_the_older_one(send: Any) -> None:
    old = send()
    new = send()
    page = post(Client(), old, {})
    assert page.status == 410
    assert "Ce lien a été remplacé" in page.html
    assert "Adresse confirmée" in post(Client(), new, {}).html


def test_a_link_to_an_address_the_account_no_longer_has_is_refused(
    send: Any, guardian: Account
) -> None:
    path = send()
    account_email_set(actor=guardian, account=guardian, email="autre@example.fr")
    page = post(Client(), path, {})
    assert page.status == 410
    assert "Ce lien ne correspond plus à votre adresse" in page.html
    guardian.refresh_from_db()
    assert guardian.email_verified_at is None


def test_a_deactivated_accounts_link_does_nothing(send: Any, guardian: Account) -> None:
    path = send()
    Account.objects.filter(pk=guardian.pk).update(state=Account.State.DEACTIVATED)
    page = post(Client(), path, {})
    assert page.status == 403
    assert "Votre compte est désactivé : contactez votre établissement." in page.html


def test_the_check_reports_each_status_without_using_the_link(send: Any) -> None:
    token = send().rsplit("/", 1)[1]
    assert email_verification_check(token).status is LinkStatus.VALID
    assert email_verification_check("").status is LinkStatus.UNKNOWN
    assert email_verification_check(token).status is LinkStatus.VALID


def test_sending_again_from_the_email_step_is_throttled(
    client: Client, guardian: Account, preau_options: Any, django_capture_on_commit_callbacks: Any
) -> None:
    preau_options(REQUIRED_ACTIONS={"responsable": ["VERIFY_EMAIL"]}, EMAIL_PROOF_REQUIRED=True)
    sign_in(client, "marc.bernard", GUARDIAN_CODE)
    with time_machine.travel(timezone.now(), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            page = follow(client)  # the step sends the first link itself
        assert "marc.bernard@example.fr" in page.html
        statuses = []
        for _ in range(3):
            with django_capture_on_commit_callbacks(execute=True):
                response = post(
                    client,
                    "/premiere-connexion/courriel",
                    {"action": "send", "email": "marc.bernard@example.fr"},
                )
            statuses.append(response.status)
        assert statuses == [200, 200, 429]
        assert "Trop de tentatives" in response.html
        assert 'value="marc.bernard@example.fr"' in response.html
    assert len(mail.outbox) == 3


def test_a_wrong_address_can_be_corrected_at_the_email_step(
    client: Client, guardian: Account, preau_options: Any, django_capture_on_commit_callbacks: Any
) -> None:
    preau_options(REQUIRED_ACTIONS={"responsable": ["VERIFY_EMAIL"]}, EMAIL_PROOF_REQUIRED=True)
    sign_in(client, "marc.bernard", GUARDIAN_CODE)
    with django_capture_on_commit_callbacks(execute=True):
        follow(client)
    page = post(client, "/premiere-connexion/courriel", {"action": "send", "email": "marc@"})
    assert page.status == 400
    assert "Cette adresse électronique n&#x27;est pas valide" in page.html
    assert 'value="marc@"' in page.html
    with django_capture_on_commit_callbacks(execute=True):
        post(client, "/premiere-connexion/courriel", {"action": "send", "email": "m@Example.FR"})
    assert mail.outbox[-1].to == ["m@example.fr"]
    guardian.refresh_from_db()
    assert guardian.email == "m@example.fr"
    first, last = EmailVerification.objects.order_by("created_at", "pk")
    assert first.end_reason == EmailVerification.EndReason.SUPERSEDED
    assert last.email == "m@example.fr"


def test_the_link_read_from_a_real_smtp_server_proves_the_address(
    smtp: SmtpServer, guardian: Account, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email_verification_issue(
            actor=guardian,
            account=guardian,
            email="marc.bernard@example.fr",
            purpose=EmailVerification.Purpose.ACTIVATION,
        )
    [message] = smtp.to("marc.bernard@example.fr")
    text = message.get_body(preferencelist=("plain",)).get_content()
    found = LINK.search(text)
    assert found
    post(Client(), found.group(1), {})
    guardian.refresh_from_db()
    assert guardian.email_verified_at is not None
