"""Forgotten password by e-mail: a single-use link valid one hour, then a new password under the
policy; every other session ends and "votre mot de passe a été modifié" is sent. A link opened
twice, late or altered ends on a page that says what to do next."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.core import mail
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.recovery.models import PasswordReset, RecoveryRequest
from preau.signin.models import SessionRecord
from preau.signin.passwords import account_password_set
from tests.recovery.conftest import NEW_PASSWORD, PASSWORD, link_in, mails_to, signed_in

pytestmark = pytest.mark.django_db

ADDRESS = "famille.bernard@example.fr"


def ask(client: Client, captured: Any, query: str, **extra: Any) -> Any:
    return captured(client.post, "/mot-de-passe-oublie/", {"query": query}, **extra)


def choose(client: Client, password: str = NEW_PASSWORD, confirm: str | None = None) -> Any:
    return client.post(
        "/mot-de-passe-oublie/nouveau",
        {"password": password, "password_confirm": confirm if confirm is not None else password},
    )


def reset_by_link(client: Client, captured: Any, query: str) -> Any:
    ask(client, captured, query)
    [message] = mail.outbox
    response = client.get(link_in(message))
    assert response.status_code == 302
    assert response["Location"] == "/mot-de-passe-oublie/nouveau"
    return message


def test_the_link_lets_the_owner_choose_a_new_password_and_signs_out_everywhere_else(
    client: Client, captured: Any, pupil: Account
) -> None:
    elsewhere = signed_in(pupil.login)
    assert elsewhere.get("/mon-compte/").status_code == 200

    response = ask(client, captured, "lea.bernard")
    assert response.status_code == 302
    assert response["Location"] == "/mot-de-passe-oublie/envoye"
    [message] = mails_to(ADDRESS)
    assert message.subject == "Choisir un nouveau mot de passe – Préau"
    assert "Bonjour Léa," in message.body
    assert "lea.bernard" in message.body
    assert "Ce lien est valable 1 heure et ne sert qu'une fois." in message.body

    page = client.get(link_in(message), follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Choisissez un nouveau mot de passe" in html
    assert "lea.bernard" in html
    assert "/lien/" not in page.redirect_chain[-1][0]  # the token left the address bar

    mail.outbox.clear()
    done = captured(choose, client)
    assert done.status_code == 302
    assert done["Location"] == "/mot-de-passe-oublie/termine"
    assert "Votre mot de passe a été modifié" in client.get(done["Location"]).content.decode()

    pupil.refresh_from_db()
    assert check_password(NEW_PASSWORD, pupil.password)
    # The other browser is signed out; its session record says why.
    assert elsewhere.get("/mon-compte/").status_code == 302
    record = SessionRecord.objects.get(account=pupil)
    assert record.end_reason == SessionRecord.EndReason.PASSWORD
    [notice] = mails_to(ADDRESS)
    assert notice.subject == "Votre mot de passe a été modifié – Préau"
    assert "Votre mot de passe a été modifié le" in notice.body
    assert AuditEvent.objects.filter(action="recovery.password.reset", target=pupil).exists()
    # And the new password signs in.
    signed_in(pupil.login, NEW_PASSWORD)


def test_the_address_typed_instead_of_the_identifier_works_too(
    client: Client, captured: Any, pupil: Account
) -> None:
    reset_by_link(client, captured, "Famille.Bernard@EXAMPLE.fr".replace("Famille", "famille"))
    assert captured(choose, client).status_code == 302
    pupil.refresh_from_db()
    assert check_password(NEW_PASSWORD, pupil.password)


def test_one_mail_per_account_when_an_address_is_shared(
    client: Client, captured: Any, pupil: Account, parent: Account
) -> None:
    ask(client, captured, ADDRESS)
    bodies = [m.body for m in mails_to(ADDRESS)]
    assert len(bodies) == 2
    assert any("lea.bernard" in b for b in bodies)
    assert any("marc.bernard" in b for b in bodies)


def test_the_new_password_must_follow_the_policy_and_match(
    client: Client, captured: Any, pupil: Account
) -> None:
    reset_by_link(client, captured, "lea.bernard")
    weak = choose(client, "court")
    assert weak.status_code == 400
    assert "fr-message--error" in weak.content.decode()
    mismatch = choose(client, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert mismatch.status_code == 400
    assert "ne sont pas identiques" in mismatch.content.decode()
    reused = choose(client, PASSWORD)
    assert reused.status_code == 400
    pupil.refresh_from_db()
    assert check_password(PASSWORD, pupil.password)  # nothing changed
    assert captured(choose, client).status_code == 302  # the link still works once


def test_a_link_opened_twice_says_it_was_used(
    client: Client, captured: Any, pupil: Account
) -> None:
    message = reset_by_link(client, captured, "lea.bernard")
    captured(choose, client)
    again = Client().get(link_in(message))
    assert again.status_code == 410
    html = again.content.decode()
    assert "Ce lien a déjà été utilisé" in html
    assert 'href="/connexion"' in html
    assert 'href="/mot-de-passe-oublie/"' in html


def test_a_second_submission_of_the_form_changes_nothing_more(
    client: Client, captured: Any, pupil: Account
) -> None:
    reset_by_link(client, captured, "lea.bernard")
    captured(choose, client)
    second = choose(client, "Autre+Chose99")
    assert second.status_code == 302
    assert second["Location"] == "/mot-de-passe-oublie/termine"
    pupil.refresh_from_db()
    assert check_password(NEW_PASSWORD, pupil.password)


def test_a_link_opened_after_an_hour_has_expired(
    client: Client, captured: Any, pupil: Account
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask(client, captured, "lea.bernard")
        [message] = mail.outbox
        traveller.shift(timedelta(minutes=59, seconds=59))
        assert client.get(link_in(message)).status_code == 302
        traveller.shift(timedelta(seconds=1))
        late = Client().get(link_in(message))
        # Expired even for the browser that already holds it in its session.
        form = choose(client)
    assert late.status_code == 410
    assert "Ce lien a expiré" in late.content.decode()
    assert "Demander un nouveau lien" in late.content.decode()
    assert form.status_code == 410
    pupil.refresh_from_db()
    assert check_password(PASSWORD, pupil.password)


@pytest.mark.parametrize(
    "alter",
    [
        lambda path: path[:-1] + ("A" if path[-1] != "A" else "B"),
        lambda path: path[:-5],
        lambda path: path + "x" * 200,
        lambda path: path.rsplit("/", 1)[0] + "/%00",
    ],
    ids=["one-character", "truncated", "too-long", "garbage"],
)
def test_an_altered_link_says_how_to_get_a_good_one(
    client: Client, captured: Any, pupil: Account, alter: Any
) -> None:
    ask(client, captured, "lea.bernard")
    [message] = mail.outbox
    response = Client().get(alter(link_in(message)))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Ce lien n'est pas valide" in html
    assert "Copiez-la en entier" in html


def test_a_newer_request_supersedes_the_older_link(
    client: Client, captured: Any, pupil: Account
) -> None:
    ask(client, captured, "lea.bernard")
    [first] = mail.outbox
    ask(Client(), captured, "lea.bernard")
    response = Client().get(link_in(first))
    assert response.status_code == 410
    assert "Ce lien a été remplacé" in response.content.decode()
    second = mail.outbox[-1]
    assert Client().get(link_in(second)).status_code == 302


def test_any_password_change_kills_the_link(client: Client, captured: Any, pupil: Account) -> None:
    ask(client, captured, "lea.bernard")
    [message] = mail.outbox
    account_password_set(actor=pupil, account=pupil, password="Autre+Chose99")
    response = Client().get(link_in(message))
    assert response.status_code == 410
    assert "Ce lien ne fonctionne plus" in response.content.decode()


def test_a_change_of_address_kills_the_link(client: Client, captured: Any, pupil: Account) -> None:
    ask(client, captured, "lea.bernard")
    [message] = mail.outbox
    Account.objects.filter(pk=pupil.pk).update(email="autre@example.fr")
    assert Client().get(link_in(message)).status_code == 410


def test_a_link_of_a_deactivated_account_says_to_contact_the_school(
    client: Client, captured: Any, pupil: Account
) -> None:
    ask(client, captured, "lea.bernard")
    [message] = mail.outbox
    Account.objects.filter(pk=pupil.pk).update(state=Account.State.DEACTIVATED)
    response = Client().get(link_in(message))
    assert response.status_code == 403
    assert "contactez votre établissement" in response.content.decode()


def test_only_digests_are_stored(client: Client, captured: Any, pupil: Account) -> None:
    ask(client, captured, "lea.bernard")
    [message] = mail.outbox
    token = link_in(message).rsplit("/", 1)[1]
    reset = PasswordReset.objects.get()
    assert token not in reset.lookup_digest
    assert len(reset.lookup_digest) == 64
    assert not RecoveryRequest.objects.exclude(query="").exists()  # what was typed is cleared


@pytest.mark.parametrize(
    "setup",
    ["unknown", "unverified", "deactivated"],
)
def test_nothing_is_sent_without_a_verified_channel_and_the_answer_is_the_same(
    captured: Any, pupil: Account, unreachable: Account, setup: str
) -> None:
    if setup == "deactivated":
        Account.objects.filter(pk=pupil.pk).update(state=Account.State.DEACTIVATED)
    query = {"unknown": "nobody.here", "unverified": "ines.moreau", "deactivated": "lea.bernard"}
    client = Client()
    response = ask(client, captured, query[setup])
    assert response.status_code == 302
    assert response["Location"] == "/mot-de-passe-oublie/envoye"
    assert mail.outbox == []
    sent = client.get("/mot-de-passe-oublie/envoye").content.decode()
    reference = Client()
    ask(reference, captured, "lea.bernard" if setup != "deactivated" else "ines.moreau")
    reference_page = reference.get("/mot-de-passe-oublie/envoye").content.decode()
    typed = query[setup]
    other = "lea.bernard" if setup != "deactivated" else "ines.moreau"
    assert sent.replace(typed, "TYPED") == reference_page.replace(other, "TYPED")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Saisissez votre identifiant, votre adresse électronique ou votre numéro de mobile."),
        ("jean@", "Cette adresse électronique n'est pas valide"),
        ("06 12 34", "Ce numéro de téléphone n'est pas valide"),
        ("x" * 255, "trop long"),
    ],
)
def test_bad_input_says_what_to_type(client: Client, typed: str, message: str) -> None:
    response = client.post("/mot-de-passe-oublie/", {"query": typed})
    assert response.status_code == 400
    assert message in html.unescape(response.content.decode())
    assert not RecoveryRequest.objects.exists()


def test_requests_for_one_identifier_are_throttled_with_growing_delays(
    captured: Any, pupil: Account, preau_options: Any
) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        answers = [
            ask(Client(REMOTE_ADDR=f"10.0.0.{i}"), captured, "lea.bernard").status_code
            for i in range(4)
        ]
        assert answers == [302, 302, 302, 429]
        refused = ask(Client(REMOTE_ADDR="10.0.0.9"), captured, "Lea.Bernard ")
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert len(mail.outbox) == 3


def test_an_unknown_identifier_is_throttled_exactly_like_a_known_one(captured: Any) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        answers = [ask(Client(), captured, "nobody.here").status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]


def test_requests_from_one_address_are_throttled(captured: Any, preau_options: Any) -> None:
    preau_options(
        THROTTLES={"recovery.request.address": {"limit": 2, "window": 900, "max_delay": 120}}
    )
    client = Client(REMOTE_ADDR="192.0.2.7")
    with time_machine.travel(timezone.now(), tick=False):
        answers = [ask(client, captured, f"someone.{i}").status_code for i in range(3)]
    assert answers == [302, 302, 429]


def test_the_pages_reached_out_of_order_send_back_to_the_start(client: Client) -> None:
    assert client.get("/mot-de-passe-oublie/envoye")["Location"] == "/mot-de-passe-oublie/"
    assert client.get("/mot-de-passe-oublie/code")["Location"] == "/mot-de-passe-oublie/"
    response = client.get("/mot-de-passe-oublie/nouveau")
    assert response.status_code == 404
    assert "Ce lien n'est pas valide" in response.content.decode()
    assert client.get("/mot-de-passe-oublie/termine")["Location"] == "/connexion"
