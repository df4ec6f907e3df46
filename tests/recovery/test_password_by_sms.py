"""Forgotten password by SMS: a 6-digit code valid 10 minutes and 5 tries, only in the browser
that asked for it; then a new password. Sent through the outbox to a real local gateway."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.hashers import check_password
from django.test import Client
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.recovery.models import PasswordReset
from preau.signin.passwords import account_password_set
from tests.notify.sms_gateway import SmsGateway
from tests.recovery.conftest import NEW_PASSWORD, PASSWORD, gateway_codes

pytestmark = pytest.mark.django_db

NUMBER = "+33698765432"


def ask(client: Client, captured: Any, query: str = "hugo.petit") -> Any:
    return captured(client.post, "/mot-de-passe-oublie/", {"query": query})


def type_code(client: Client, code: str) -> Any:
    return client.post("/mot-de-passe-oublie/code", {"code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_code_leads_to_a_new_password_and_the_notice_goes_by_sms(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured)
    [text] = sms_gateway.texts_to(NUMBER)
    assert text.startswith("Préau : votre code pour choisir un nouveau mot de passe est ")
    assert "valable 10 minutes" in text
    code = sms_gateway.code_sent_to(NUMBER)

    page = client.get("/mot-de-passe-oublie/code")
    assert page.status_code == 200
    spaced = f"{code[:3]} {code[3:]}"  # as people copy it
    response = type_code(client, spaced)
    assert response.status_code == 302
    assert response["Location"] == "/mot-de-passe-oublie/nouveau"

    done = captured(
        client.post,
        "/mot-de-passe-oublie/nouveau",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert done["Location"] == "/mot-de-passe-oublie/termine"
    sms_only.refresh_from_db()
    assert check_password(NEW_PASSWORD, sms_only.password)
    notice = sms_gateway.texts_to(NUMBER)[-1]
    assert notice == (
        "Préau : votre mot de passe (hugo.petit) a été modifié. Pas vous ? Contactez votre "
        "établissement."
    )
    assert AuditEvent.objects.filter(action="recovery.code.success", target=sms_only).exists()


def test_full_width_digits_are_read_as_digits(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured)
    code = sms_gateway.code_sent_to(NUMBER)
    full_width = "".join(chr(ord(ch) - ord("0") + ord("０")) for ch in code)
    assert type_code(client, full_width).status_code == 302


def test_a_mobile_number_typed_instead_of_the_identifier_works_too(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured, "06 98 76 54 32")
    code = sms_gateway.code_sent_to(NUMBER)
    assert type_code(client, code).status_code == 302


def test_five_wrong_codes_kill_it(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured)
    code = sms_gateway.code_sent_to(NUMBER)
    for left in (4, 3, 2, 1):
        response = type_code(client, wrong(code))
        assert response.status_code == 400
        text = html.unescape(response.content.decode())
        assert "Ce code n'est pas le bon." in text
        assert f"il vous reste {left} essai" in text
    fifth = type_code(client, wrong(code))
    assert fifth.status_code == 410
    assert "Ce code ne fonctionne plus" in fifth.content.decode()
    # The right code, typed now (even in a new session holding the handle), is refused.
    reset = PasswordReset.objects.get()
    assert reset.end_reason == PasswordReset.EndReason.TOO_MANY_ATTEMPTS
    assert reset.attempts == 5
    assert client.get("/mot-de-passe-oublie/code")["Location"] == "/mot-de-passe-oublie/"


def test_the_tries_are_counted_in_the_database_whatever_the_session_says(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured)
    code = sms_gateway.code_sent_to(NUMBER)
    for _ in range(5):
        session = client.session
        session["preau_recovery_code_tries"] = 0  # a forged or replayed session cookie
        session.save()
        type_code(client, wrong(code))
    session = client.session
    session["preau_recovery_code_tries"] = 0
    session.save()
    assert type_code(client, code).status_code == 400
    sms_only.refresh_from_db()
    assert check_password(PASSWORD, sms_only.password)


def test_a_code_older_than_ten_minutes_has_expired(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask(client, captured)
        code = sms_gateway.code_sent_to(NUMBER)
        traveller.shift(timedelta(minutes=10, seconds=1))
        response = type_code(client, code)
    assert response.status_code == 410
    assert "Ce code a expiré" in response.content.decode()
    assert "Demander un nouveau code" in response.content.decode()


def test_a_right_code_typed_just_before_the_end_still_works(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ask(client, captured)
        code = sms_gateway.code_sent_to(NUMBER)
        traveller.shift(timedelta(minutes=9, seconds=59))
        assert type_code(client, code).status_code == 302
        # Then the new password may take a while to choose (RECOVERY_GRANT_MINUTES).
        traveller.shift(timedelta(minutes=14))
        assert client.get("/mot-de-passe-oublie/nouveau").status_code == 200
        traveller.shift(timedelta(minutes=2))
        late = client.get("/mot-de-passe-oublie/nouveau")
    assert late.status_code == 410


def test_the_code_only_works_in_the_browser_that_asked_for_it(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured)
    code = sms_gateway.code_sent_to(NUMBER)
    stranger = Client()
    ask(stranger, captured, "nobody.here")  # a session of its own, with its own handle
    assert type_code(stranger, code).status_code == 400
    assert type_code(client, code).status_code == 302


def test_a_newer_request_supersedes_the_older_code(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured)
    first = sms_gateway.code_sent_to(NUMBER)
    ask(client, captured)
    codes = gateway_codes(sms_gateway, NUMBER)
    assert len(codes) == 2
    if first != codes[-1]:
        assert type_code(client, first).status_code == 400
    assert type_code(client, codes[-1]).status_code == 302


def test_a_password_change_kills_the_code(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    ask(client, captured)
    code = sms_gateway.code_sent_to(NUMBER)
    account_password_set(actor=sms_only, account=sms_only, password="Autre+Chose99")
    assert type_code(client, code).status_code == 400


def test_for_an_unknown_identifier_the_code_page_behaves_the_same(
    captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    client = Client()
    ask(client, captured, "nobody.here")
    assert sms_gateway.requests == []
    assert client.get("/mot-de-passe-oublie/code").status_code == 200
    for left in (4, 3, 2, 1):
        response = type_code(client, "123456")
        assert f"il vous reste {left} essai" in html.unescape(response.content.decode())
    assert type_code(client, "123456").status_code == 410


@pytest.mark.parametrize("typed", ["12345", "1234567", "12a456", "", "１２３４５"])
def test_a_code_that_is_not_six_digits_says_so(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway, typed: str
) -> None:
    ask(client, captured)
    response = type_code(client, typed)
    assert response.status_code == 400
    assert "6 chiffres" in html.unescape(response.content.decode())
    assert PasswordReset.objects.get().attempts == 0


def test_wrong_codes_from_one_address_are_throttled(
    captured: Any, sms_only: Account, sms_gateway: SmsGateway, preau_options: Any
) -> None:
    preau_options(THROTTLES={"recovery.code.address": {"limit": 3, "window": 900, "max_delay": 60}})
    with time_machine.travel(timezone.now(), tick=False):
        statuses = []
        for _ in range(3):
            client = Client(REMOTE_ADDR="198.51.100.4")
            ask(client, captured, "nobody.here")
            statuses.append(type_code(client, "123456").status_code)
            statuses.append(type_code(client, "123456").status_code)
    assert statuses[:3] == [400, 400, 400]
    assert 429 in statuses[3:]


def test_a_pending_account_in_the_middle_of_its_first_connection_can_reset_too(
    client: Client, captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    Account.objects.filter(pk=sms_only.pk).update(state=Account.State.PROVISIONED)
    ask(client, captured)
    assert type_code(client, sms_gateway.code_sent_to(NUMBER)).status_code == 302


def test_a_wrong_code_runs_the_same_queries_whether_a_code_was_sent_or_not(
    captured: Any, sms_only: Account, sms_gateway: SmsGateway
) -> None:
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Client().get("/connexion")  # warm what every page reads once (the footer's cached level)
    shapes = []
    for query in ("hugo.petit", "nobody.here"):
        client = Client()
        ask(client, captured, query)
        with CaptureQueriesContext(connection) as queries:
            assert type_code(client, "000000").status_code == 400
        # Values blanked (ids, digests, savepoint names; NULL for "no target").
        shapes.append(
            [
                re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b|NULL", "?", q["sql"])
                for q in queries.captured_queries
            ]
        )
    assert shapes[0] == shapes[1]
    assert PasswordReset.objects.get().attempts == 1
