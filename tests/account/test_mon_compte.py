""" "Mon compte": password change, e-mail change, phone and preferences, sessions, timeouts."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.utils import timezone

from preau.activation.submission import FIELD
from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.signin.models import PasswordHistory, SessionRecord
from preau.signin.passwords import account_password_set
from tests.account.conftest import NEW_PASSWORD, PASSWORD, signed_in

pytestmark = pytest.mark.django_db


def html(response: Any) -> str:
    return str(response.content.decode())


def token(client: Client, url: str) -> str:
    found = re.search(rf'name="{FIELD}" value="([^"]+)"', html(client.get(url)))
    assert found
    return found.group(1)


def test_the_overview_shows_identifier_contact_and_preferences(
    client_in: Client, person: Account
) -> None:
    page = html(client_in.get("/mon-compte/"))
    assert 'id="account-login">claire.martin<' in page
    assert "claire@example.fr" in page
    assert "06 12 34 56 78" in page
    assert "informations des partenaires : non" in page


# --- password ----------------------------------------------------------------------------------


def _change(client: Client, current: str, new: str, confirm: str | None = None) -> Any:
    return client.post(
        "/mon-compte/mot-de-passe",
        {
            "current_password": current,
            "password": new,
            "password_confirm": new if confirm is None else confirm,
            FIELD: token(client, "/mon-compte/mot-de-passe"),
        },
    )


def test_changing_the_password_needs_the_current_one_and_signs_out_other_sessions(
    client_in: Client, person: Account
) -> None:
    other = signed_in("claire.martin")
    response = _change(client_in, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/mon-compte/"
    assert "Votre mot de passe a été modifié." in html(client_in.get("/mon-compte/"))
    assert client_in.session[SESSION_KEY] == str(person.pk)  # this session stays
    assert other.get("/mon-compte/").status_code == 302  # the other one is gone
    assert SESSION_KEY not in other.session
    signed_in("claire.martin", NEW_PASSWORD)
    event = AuditEvent.objects.filter(action="account.password.set").latest("id")
    assert event.data == {"reason": "change", "sessions_ended": 1}


@pytest.mark.parametrize(
    ("new", "confirm", "message"),
    [
        ("court", None, "Le mot de passe doit contenir au moins 8 caractères."),
        ("Tournesol#42c", "Tournesol#42d", "Les deux mots de passe saisis ne sont pas identiques"),
        ("Claire#Martin1", None, "Le mot de passe ne doit contenir ni votre nom ni votre prénom."),
        ("Azerty123!", None, "Ce mot de passe est trop courant"),
        (PASSWORD, None, "Vous avez déjà utilisé ce mot de passe récemment"),
    ],
)
def test_each_refused_new_password_gets_its_precise_message(
    client_in: Client, person: Account, new: str, confirm: str | None, message: str
) -> None:
    response = _change(client_in, PASSWORD, new, confirm)
    assert response.status_code == 400
    page = html(response).replace("&#x27;", "'")
    assert message in page
    assert PASSWORD not in page and new not in page  # passwords are never sent back
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_a_wrong_current_password_is_refused_then_delayed(
    client_in: Client, person: Account
) -> None:
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(5):
            response = _change(client_in, "pas-le-bon", NEW_PASSWORD)
            assert "Ce n&#x27;est pas votre mot de passe actuel" in html(response)
        response = _change(client_in, PASSWORD, NEW_PASSWORD)
        assert response.status_code == 429
        assert "Trop de tentatives" in html(response)
    assert AuditEvent.objects.filter(action="account.password.check_failure").count() == 5


def test_the_last_passwords_cannot_come_back(
    client_in: Client, person: Account, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "PASSWORD_HISTORY": 2}
    for password in ("Girafe+Bleue77", "Zebre+Rouge88", "Koala+Vert99"):
        account_password_set(actor=person, account=person, password=password)
    assert PasswordHistory.objects.filter(account=person).count() == 2
    person.refresh_from_db()
    from preau.signin.passwords import password_errors

    assert [e.code for e in password_errors(person, "Zebre+Rouge88")] == ["reused"]
    assert password_errors(person, "Girafe+Bleue77") == []  # older than the last two


def test_a_double_submission_changes_the_password_once(client_in: Client, person: Account) -> None:
    data = {
        "current_password": PASSWORD,
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
        FIELD: token(client_in, "/mon-compte/mot-de-passe"),
    }
    first = client_in.post("/mon-compte/mot-de-passe", data)
    second = client_in.post("/mon-compte/mot-de-passe", data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == "/mon-compte/"
    assert AuditEvent.objects.filter(action="account.password.set").count() == 2  # fixture + 1


# --- e-mail ---------------------------------------------------------------------------------------


def test_changing_the_address_sends_a_link_to_the_new_one_and_a_warning_to_the_old(
    client_in: Client,
    person: Account,
    settings: Any,
    immediate_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.PREAU = {**settings.PREAU, "PUBLIC_URL": "http://testserver"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(
            "/mon-compte/courriel",
            {
                "email": "claire.nouvelle@example.fr",
                "current_password": PASSWORD,
                FIELD: token(client_in, "/mon-compte/courriel"),
            },
        )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "claire@example.fr"  # unchanged until the link is followed
    by_address = {m.to[0]: m for m in mail.outbox}
    warning = by_address["claire@example.fr"]
    assert "c…@example.fr" in warning.body
    assert "changez votre mot de passe" in warning.body
    link = re.search(
        r"http://testserver(/courriel/confirmer/\S+)", by_address["claire.nouvelle@example.fr"].body
    )
    assert link
    page = html(client_in.post(link.group(1)))
    assert "est désormais celle de votre compte" in page
    person.refresh_from_db()
    assert person.email == "claire.nouvelle@example.fr"
    assert person.email_verified_at is not None


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("pas-une-adresse", PASSWORD, "Cette adresse électronique n&#x27;est pas valide"),
        ("", PASSWORD, "Saisissez votre adresse électronique."),
        ("claire@example.fr", PASSWORD, "C&#x27;est déjà l&#x27;adresse de votre compte"),
        ("claire2@example.fr", "pas-le-bon", "Ce n&#x27;est pas votre mot de passe actuel"),
    ],
)
def test_each_refused_address_change_says_why_and_keeps_what_was_typed(
    client_in: Client, person: Account, email: str, password: str, message: str
) -> None:
    response = client_in.post(
        "/mon-compte/courriel", {"email": email, "current_password": password}
    )
    assert response.status_code == 400
    assert message in html(response)
    if email:
        assert f'value="{email}"' in html(response)


# --- phone and preferences -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07 98 76 54 32", "+33798765432"),
        ("+33 7 98 76 54 32", "+33798765432"),
        ("0033798765432", "+33798765432"),
        ("0692 12 34 56", "+262692123456"),
        ("", ""),
    ],
)
def test_the_mobile_is_stored_in_e164(
    client_in: Client, person: Account, typed: str, stored: str
) -> None:
    response = client_in.post(
        "/mon-compte/coordonnees", {"mobile": typed, "current_password": PASSWORD}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.mobile == stored


@pytest.mark.parametrize(
    ("typed", "sms", "message"),
    [
        ("06 12", "", "Ce numéro de téléphone n&#x27;est pas valide"),
        ("01 45 45 45 45", "", "Ce numéro n&#x27;est pas celui d&#x27;un téléphone mobile"),
        ("", "on", "Pour recevoir des SMS, indiquez votre numéro de téléphone mobile."),
    ],
)
def test_a_wrong_mobile_is_refused_with_a_precise_message(
    client_in: Client, person: Account, typed: str, sms: str, message: str
) -> None:
    response = client_in.post("/mon-compte/coordonnees", {"mobile": typed, "sms": sms})
    assert response.status_code == 400
    assert message in html(response)
    assert f'value="{typed}"' in html(response) or not typed
    person.refresh_from_db()
    assert person.mobile == "+33612345678"


def test_notification_preferences_are_saved_and_audited(client_in: Client, person: Account) -> None:
    client_in.post(
        "/mon-compte/coordonnees",
        {"mobile": "0612345678", "from_partners": "on", "sms": "on"},
    )
    preferences = Account.objects.get(pk=person.pk).notification_preferences
    assert (preferences.from_establishment, preferences.from_partners, preferences.sms) == (
        False,
        True,
        True,
    )
    event = AuditEvent.objects.filter(action="account.contact.update").latest("id")
    assert event.data["preferences"] == {
        "from_establishment": False,
        "from_partners": True,
        "sms": True,
    }


# --- sessions ------------------------------------------------------------------------------------


def test_sessions_are_listed_and_signing_out_everywhere_else_ends_them(
    client_in: Client, person: Account
) -> None:
    phone = signed_in("claire.martin", HTTP_USER_AGENT="Safari sur iPhone")
    tablet = signed_in("claire.martin", HTTP_USER_AGENT="Chrome sur tablette")
    page = html(client_in.get("/mon-compte/sessions"))
    assert "Firefox de la salle 12" in page and "cette session" in page
    assert "Safari sur iPhone" in page and "Chrome sur tablette" in page

    response = client_in.post("/mon-compte/sessions")
    assert "2 autres sessions ont été déconnectées." in html(client_in.get(response["Location"]))
    for gone in (phone, tablet):
        assert gone.get("/mon-compte/").status_code == 302
    assert client_in.get("/mon-compte/").status_code == 200
    assert (
        SessionRecord.objects.filter(
            account=person, end_reason=SessionRecord.EndReason.ELSEWHERE
        ).count()
        == 2
    )
    page = html(client_in.get("/mon-compte/sessions"))
    assert "Safari sur iPhone" not in page
    assert "Aucune autre session n’est ouverte." in page


def test_signing_out_closes_the_record(client_in: Client, person: Account) -> None:
    client_in.post("/deconnexion")
    record = SessionRecord.objects.get(account=person)
    assert record.end_reason == SessionRecord.EndReason.SIGNOUT


def test_an_idle_session_ends_and_the_person_comes_back_after_signing_in(
    client_in: Client, person: Account, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "SESSION_IDLE_TIMEOUT": 600}
    with time_machine.travel(timezone.now() + timedelta(seconds=601)):
        response = client_in.get("/mon-compte/sessions")
        assert response.status_code == 302
        assert response["Location"] == "/connexion?next=%2Fmon-compte%2Fsessions"
        page = html(client_in.get(response["Location"]))
        assert "Votre session a expiré après une période d&#x27;inactivité" in page
    assert SESSION_KEY not in client_in.session
    assert SessionRecord.objects.get(account=person).end_reason == "timeout"
    assert AuditEvent.objects.filter(action="session.expire", data__timeout="idle").exists()


def test_a_used_session_stays_then_ends_at_the_absolute_timeout(
    client_in: Client, person: Account, settings: Any
) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "SESSION_IDLE_TIMEOUT": 600,
        "SESSION_ABSOLUTE_TIMEOUT": 1800,
    }
    start = timezone.now()
    for minutes in (9, 18, 27):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client_in.get("/mon-compte/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31)):
        response = client_in.get("/mon-compte/")
        assert response["Location"].startswith("/connexion")
        page = html(client_in.get(response["Location"]))
        assert "Votre session a atteint sa durée maximale" in page


def test_mon_compte_needs_a_signed_in_person(client: Client) -> None:
    for path in ("/mon-compte/", "/mon-compte/sessions", "/mon-compte/mot-de-passe"):
        assert client.get(path)["Location"].startswith("/connexion?next=")


def test_an_unconfirmed_mobile_offers_its_sms_confirmation(
    client_in: Client, person: Account
) -> None:
    Account.objects.filter(pk=person.pk).update(mobile="+33612345678", mobile_verified_at=None)
    page = html(client_in.get("/mon-compte/"))
    assert "non confirmé" in page
    assert 'href="/mobile/confirmer"' in page
    Account.objects.filter(pk=person.pk).update(mobile_verified_at=timezone.now())
    page = html(client_in.get("/mon-compte/"))
    assert 'href="/mobile/confirmer"' not in page
