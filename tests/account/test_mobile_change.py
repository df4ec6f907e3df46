""" "Mon compte": the mobile is a recovery channel. Changing, adding or removing it asks for the
current password (throttled as the other checks), the new number is unproven, and the old
contacts are told (an SMS to the old number, a mail to the verified address) after the commit,
with an audit event that masks both numbers. The preferences alone need no password."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.notify.models import NotificationPreferences, OutboundMessage
from tests.account.conftest import PASSWORD
from tests.notify.sms_gateway import SmsGateway

pytestmark = pytest.mark.django_db

OLD = "+33612345678"
NEW = "+33798765432"
NEEDS_PASSWORD = (
    "Pour changer ou retirer votre numéro de mobile, saisissez votre mot de passe actuel."
)


def html(response: Any) -> str:
    return str(response.content.decode())


@pytest.fixture
def committed(immediate_tasks: None, django_capture_on_commit_callbacks: Any) -> Any:
    """``committed(client.post, ...)``: the request's on-commit callbacks run (the outbox's
    delivery, with tasks run at once), as after a real request's commit."""

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def assert_nothing_changed(person: Account, sms_gateway: SmsGateway) -> None:
    person.refresh_from_db()
    assert person.mobile == OLD
    assert not NotificationPreferences.objects.filter(account=person).exists()
    assert not OutboundMessage.objects.exists()
    assert sms_gateway.requests == []
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(
        action__in=["account.mobile.change", "account.contact.update"]
    ).exists()


@pytest.mark.parametrize("typed", ["07 98 76 54 32", ""], ids=["change", "removal"])
def test_without_the_password_the_mobile_stays_and_nothing_is_saved(
    client_in: Client, person: Account, sms_gateway: SmsGateway, committed: Any, typed: str
) -> None:
    page = html(client_in.get("/mon-compte/coordonnees"))
    assert 'name="current_password"' in page
    assert 'autocomplete="current-password"' in page

    response = committed(
        client_in.post, "/mon-compte/coordonnees", {"mobile": typed, "from_partners": "on"}
    )
    assert response.status_code == 400
    assert NEEDS_PASSWORD.replace("'", "&#x27;") in html(response)
    assert_nothing_changed(person, sms_gateway)


def test_a_wrong_password_is_refused_counted_then_throttled(
    client_in: Client, person: Account, sms_gateway: SmsGateway, committed: Any
) -> None:
    data = {"mobile": "07 98 76 54 32", "current_password": "pas-le-bon"}
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(5):
            response = committed(client_in.post, "/mon-compte/coordonnees", data)
            assert response.status_code == 400
            assert "Ce n&#x27;est pas votre mot de passe actuel" in html(response)
            assert 'value="07 98 76 54 32"' in html(response)  # kept as typed
            assert "pas-le-bon" not in html(response)  # a password is never shown again
        # Past the limit even the right password waits: the same throttle as the other checks.
        response = committed(
            client_in.post, "/mon-compte/coordonnees", {**data, "current_password": PASSWORD}
        )
        assert response.status_code == 429
        assert "Trop de tentatives" in html(response)
    assert AuditEvent.objects.filter(action="account.password.check_failure").count() == 5
    person.refresh_from_db()
    assert person.mobile == OLD
    assert not OutboundMessage.objects.exists()
    assert sms_gateway.requests == []


def test_with_the_password_the_mobile_changes_and_the_old_contacts_are_told(
    client_in: Client, person: Account, sms_gateway: SmsGateway, committed: Any
) -> None:
    Account.objects.filter(pk=person.pk).update(mobile_verified_at=timezone.now())
    when = timezone.localtime()
    response = committed(
        client_in.post,
        "/mon-compte/coordonnees",
        {"mobile": "07 98 76 54 32", "current_password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/mon-compte/"
    home = html(client_in.get("/mon-compte/"))
    assert "Confirmez-le par SMS" in home
    assert 'href="/mobile/confirmer"' in home  # the new number is to be proven

    person.refresh_from_db()
    assert person.mobile == NEW
    assert person.mobile_verified_at is None

    # An SMS to the old number, none to the new one.
    [text] = sms_gateway.texts_to(OLD)
    assert text.startswith(f"Préau : mobile de claire.martin changé le {when:%d/%m} à ")
    assert "Pas vous ? Contactez votre établissement." in text
    assert sms_gateway.texts_to(NEW) == []
    # A mail to the verified address.
    [message] = mail.outbox
    assert message.to == ["claire@example.fr"]
    assert message.subject == "Le numéro de mobile de votre compte a été changé – Préau"
    assert "Bonjour Claire," in message.body
    assert f"a été changé le {when:%d/%m/%Y} à " in message.body
    assert "Le nouveau numéro est : 07 •• •• •• 32." in message.body
    assert "L'ancien numéro était : 06 •• •• •• 78." in message.body
    assert "changez votre mot de passe" in message.body
    assert NEW not in message.body and "98 76 54" not in message.body

    event = AuditEvent.objects.get(action="account.mobile.change")
    assert event.actor == person and event.target == person
    assert event.data == {
        "old": "06 •• •• •• 78",
        "new": "07 •• •• •• 32",
        "warned": ["sms", "email"],
    }


def test_removing_the_mobile_is_told_to_the_old_number_and_the_address(
    client_in: Client, person: Account, sms_gateway: SmsGateway, committed: Any
) -> None:
    response = committed(
        client_in.post, "/mon-compte/coordonnees", {"mobile": "", "current_password": PASSWORD}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.mobile == ""
    [text] = sms_gateway.texts_to(OLD)
    assert "mobile de claire.martin retiré le" in text
    [message] = mail.outbox
    assert "a été retiré le" in message.body
    assert "Le nouveau numéro" not in message.body
    event = AuditEvent.objects.get(action="account.mobile.change")
    assert event.data == {"old": "06 •• •• •• 78", "new": "", "warned": ["sms", "email"]}


def test_adding_a_mobile_asks_the_password_and_tells_the_verified_address_only(
    client_in: Client, person: Account, sms_gateway: SmsGateway, committed: Any
) -> None:
    Account.objects.filter(pk=person.pk).update(mobile="")
    refused = committed(client_in.post, "/mon-compte/coordonnees", {"mobile": "07 98 76 54 32"})
    assert refused.status_code == 400
    assert NEEDS_PASSWORD.replace("'", "&#x27;") in html(refused)

    response = committed(
        client_in.post,
        "/mon-compte/coordonnees",
        {"mobile": "07 98 76 54 32", "current_password": PASSWORD},
    )
    assert response.status_code == 302
    assert sms_gateway.requests == []
    [message] = mail.outbox
    assert "Le nouveau numéro est : 07 •• •• •• 32." in message.body
    assert "L'ancien numéro" not in message.body
    assert AuditEvent.objects.get(action="account.mobile.change").data["warned"] == ["email"]


def test_an_unverified_address_is_not_written_to(
    client_in: Client, person: Account, sms_gateway: SmsGateway, committed: Any
) -> None:
    Account.objects.filter(pk=person.pk).update(email_verified_at=None)
    committed(
        client_in.post,
        "/mon-compte/coordonnees",
        {"mobile": "07 98 76 54 32", "current_password": PASSWORD},
    )
    assert len(sms_gateway.texts_to(OLD)) == 1
    assert mail.outbox == []
    assert AuditEvent.objects.get(action="account.mobile.change").data["warned"] == ["sms"]


def test_the_preferences_alone_need_no_password_and_warn_nobody(
    client_in: Client, person: Account, sms_gateway: SmsGateway, committed: Any
) -> None:
    response = committed(
        client_in.post,
        "/mon-compte/coordonnees",
        {"mobile": "06 12 34 56 78", "from_establishment": "on", "sms": "on"},
    )
    assert response.status_code == 302
    preferences = NotificationPreferences.objects.get(account=person)
    assert (preferences.from_establishment, preferences.sms) == (True, True)
    assert sms_gateway.requests == []
    assert mail.outbox == []
    assert not AuditEvent.objects.filter(action="account.mobile.change").exists()


def test_the_warnings_leave_only_once_the_change_is_committed(
    client_in: Client, person: Account, sms_gateway: SmsGateway, immediate_tasks: None
) -> None:
    # Without the commit (the test's transaction is never committed), the messages wait in
    # the outbox with the change: nothing has reached the gateway or the mail server yet.
    client_in.post(
        "/mon-compte/coordonnees", {"mobile": "07 98 76 54 32", "current_password": PASSWORD}
    )
    queued = OutboundMessage.objects.filter(template="mobile_changed")
    assert sorted(queued.values_list("channel", "recipient")) == [
        ("email", "claire@example.fr"),
        ("sms", OLD),
    ]
    assert sms_gateway.requests == []
    assert mail.outbox == []
