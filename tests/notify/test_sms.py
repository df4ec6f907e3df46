"""The SMS channel: E.164 numbers, one GSM-7 segment per template, backends, and the outbox's
guarantees against a real HTTP gateway on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from preau.notify.channels import channel_get
from preau.notify.models import OutboundMessage
from preau.notify.services import message_queue, outbound_message_sweep
from preau.notify.sms import (
    GSM7_BASIC,
    SEGMENT_SEPTETS,
    gsm7_fold,
    gsm7_septets,
    gsm7_unsupported,
    phone_e164,
    sms_render,
    sms_segments,
)
from tests.notify.sms_gateway import SmsGateway, point_sms_at

Status = OutboundMessage.Status
TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "src/preau/notify/templates/notify"

# The longest values each SMS template may carry: an ENT name of 20 characters, the longest
# identifier the login generator makes (20 + "." + 30 + a 3-digit number), a 6-digit code, a
# grouped activation code, a two-digit day and month.
LONGEST_ENT_NAME = "ENT Auvergne-Rhone-A"  # 20 characters
LONGEST_LOGIN = "marie-christine-anne." + "de-la-tour-d-auvergne-lauragua" + "123"
WORST_CASE: dict[str, dict[str, Any]] = {
    "password_reset_code": {"code": "123456", "minutes": 10},
    "identifier_reminder": {"login": LONGEST_LOGIN},
    "password_changed": {"login": LONGEST_LOGIN},
    "activation_code": {
        "login": LONGEST_LOGIN,
        "code": "K7MQ-4XHA",
        "expires_at": datetime(2027, 12, 31, 22, 0, tzinfo=UTC),
    },
    "mobile_proof": {"code": "123456", "minutes": 10},
    "mobile_changed": {
        "login": LONGEST_LOGIN,
        "when": datetime(2027, 12, 31, 22, 0, tzinfo=UTC),
        "new_mobile": "07 •• •• •• 32",
    },
    # The sign-up by SMS (preau.activation.signup); the forgotten-password address of a
    # deployment whose public address is 22 characters long (a longer one takes 2 segments).
    "signup_code": {"code": "123456", "minutes": 10},
    "signup_known": {
        "login": LONGEST_LOGIN,
        "url": "https://ent.exemple.fr/mot-de-passe-oublie/",
    },
    "signup_done": {"login": LONGEST_LOGIN},
    # The same code, for a parent's proof before a federated identity is linked (issue 15).
    "signup_link_code": {"code": "123456", "minutes": 10, "provider": "FranceConnect"},
}


def sms_templates() -> list[str]:
    return sorted(p.name.removesuffix("_sms.txt") for p in TEMPLATES_DIR.glob("*_sms.txt"))


# --- Numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("0612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("07.81.23.45.67", "+33781234567"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("+32 470 12 34 56", "+32470123456"),  # Belgium
    ],
)
def test_numbers_are_normalised_to_e164(typed: str, e164: str) -> None:
    assert phone_e164(typed) == e164


@pytest.mark.parametrize("typed", ["", "12", "06 12 34", "+33 6 12 34 56 78 90", "bonjour"])
def test_a_string_that_is_no_number_is_refused_with_a_french_message(typed: str) -> None:
    with pytest.raises(ValidationError, match="n'est pas un numéro de téléphone valide"):
        phone_e164(typed)


# --- GSM-7 --------------------------------------------------------------------------------------


def test_extension_characters_count_twice() -> None:
    assert gsm7_septets("abc") == 3
    assert gsm7_septets("10 €") == 5
    assert gsm7_septets("[x]") == 5


def test_french_letters_outside_gsm7_are_folded_to_their_closest_spelling() -> None:
    assert gsm7_unsupported("Jérôme, ça va ?") == ["ô", "ç"]
    assert gsm7_fold("Jérôme, ça va ?") == "Jérome, ca va ?"
    assert gsm7_fold("l’élève «\u00a0Zoë\u00a0» – cœur…") == 'l\'élève " Zoe " - coeur...'
    assert gsm7_fold("名") == "?"
    assert gsm7_unsupported(gsm7_fold("Ÿvonne Œuvre âne")) == []


def test_segments_of_concatenated_messages() -> None:
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("a" * 306) == 2
    assert sms_segments("a" * 307) == 3


def test_every_sms_template_has_its_worst_case_listed_here() -> None:
    assert sms_templates() == sorted(WORST_CASE), (
        "add the longest context of each new SMS template to WORST_CASE"
    )


@pytest.mark.parametrize("template", sorted(WORST_CASE))
def test_every_sms_template_is_gsm7_and_fits_one_segment_with_its_longest_values(
    template: str, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "ENT_NAME": LONGEST_ENT_NAME}
    text = sms_render(template, WORST_CASE[template])
    assert gsm7_unsupported(text) == [], f"{template}: {gsm7_unsupported(text)} in {text!r}"
    assert gsm7_septets(text) <= SEGMENT_SEPTETS, f"{template}: {gsm7_septets(text)} > 160"
    assert "{" not in text and "%" not in text, text  # every placeholder was filled
    assert len(LONGEST_ENT_NAME) == 20
    assert len(LONGEST_LOGIN) == 54


@pytest.mark.parametrize("template", sorted(WORST_CASE))
def test_every_sms_template_reads_as_french_with_the_default_name(template: str) -> None:
    text = sms_render(template, WORST_CASE[template])
    assert text.startswith("Préau : ")
    assert "  " not in text and "\n" not in text


def test_the_channel_folds_what_a_context_value_brings(settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "ENT_NAME": "Lycée Jérôme-Bâtard"}
    rendered = channel_get("sms").render("mobile_proof", {"code": "123456", "minutes": 10})
    assert rendered.body_text.startswith("Lycée Jérome-Batard : ")
    assert gsm7_unsupported(rendered.body_text) == []
    assert rendered.subject == "" and rendered.body_html == ""


def test_gsm7_alphabet_holds_the_french_letters_templates_rely_on() -> None:
    for letter in "éèàùÉ":
        assert letter in GSM7_BASIC


# --- Delivery through a real HTTP gateway -------------------------------------------------------

committed_db = pytest.mark.django_db(transaction=True)


def queue_sms(to: str = "06 12 34 56 78", **kwargs: Any) -> OutboundMessage:
    return message_queue(
        channel="sms",
        to=to,
        template="password_reset_code",
        context={"code": "482915", "minutes": 10},
        **kwargs,
    )


def reload(message: OutboundMessage) -> OutboundMessage:
    message.refresh_from_db()
    return message


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_an_sms_queued_in_a_committed_transaction_reaches_the_gateway_once(
    sms_gateway: SmsGateway,  # noqa: F811
) -> None:
    with transaction.atomic():
        message = queue_sms()
        assert sms_gateway.requests == []  # nothing leaves before the commit

    [received] = sms_gateway.requests
    assert received.method == "POST"
    assert received.path == "/api/sms"
    assert received.headers["Content-Type"].startswith("application/json")
    assert received.json == {
        "to": "+33612345678",
        "text": "Préau : votre code pour choisir un nouveau mot de passe est 482915. Il est "
        "valable 10 minutes. Ne le donnez à personne.",
        "sender": "PREAU",
    }
    message = reload(message)
    assert message.status == Status.SENT
    assert message.recipient == "+33612345678"
    assert message.attempts == 1
    assert message.body_text == ""  # the code is not kept once delivered


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_gateway_down_retries_with_back_off_then_delivers_once(
    sms_gateway: SmsGateway,  # noqa: F811
) -> None:
    sms_gateway.stop()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        start = timezone.now()
        message = reload(queue_sms())
        assert message.status == Status.QUEUED
        assert message.attempts == 1
        assert "Passerelle SMS injoignable" in message.last_error
        assert message.next_attempt_at == start + timedelta(minutes=1)

        sms_gateway.respond(503, '{"error": "maintenance"}')
        sms_gateway.start()
        traveller.shift(timedelta(minutes=1))
        outbound_message_sweep()
        message = reload(message)
        assert message.status == Status.QUEUED
        assert message.attempts == 2
        assert "HTTP 503" in message.last_error
        assert "maintenance" in message.last_error

        sms_gateway.respond(200)
        traveller.shift(timedelta(minutes=2))
        outbound_message_sweep()
        outbound_message_sweep()

    message = reload(message)
    assert message.status == Status.SENT
    assert message.attempts == 3
    assert len(sms_gateway.requests) == 2  # the 503 and the success; the first found no one


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
@pytest.mark.parametrize("status", [400, 404, 422])
def test_a_refusal_of_the_message_fails_it_for_good(
    sms_gateway: SmsGateway,  # noqa: F811
    status: int,
) -> None:
    sms_gateway.respond(status, '{"error": "invalid number"}')
    message = reload(queue_sms())
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert f"SMS refusé par la passerelle : HTTP {status}" in message.last_error
    assert message.body_text  # kept, so that an operator can send it again


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
@pytest.mark.parametrize("status", [401, 403, 429, 500, 502])
def test_our_credentials_rate_limits_and_gateway_errors_are_retried(
    sms_gateway: SmsGateway,  # noqa: F811
    status: int,
) -> None:
    sms_gateway.respond(status)
    message = reload(queue_sms())
    assert message.status == Status.QUEUED
    assert f"HTTP {status}" in message.last_error


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_form_body_basic_credentials_headers_and_a_payload_template(
    sms_gateway: SmsGateway,  # noqa: F811
    settings: Any,
) -> None:
    point_sms_at(
        settings,
        sms_gateway,
        FORMAT="form",
        USERNAME="ecole",
        PASSWORD="s3cret:x",
        HEADERS={"X-Account": "42"},
        PAYLOAD={"numero": "{to_digits}", "message": "{text}", "ref": "{reference}", "x": "{y}"},
    )
    message = queue_sms()
    [received] = sms_gateway.requests
    assert received.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert received.headers["Authorization"] == "Basic " + base64.b64encode(
        b"ecole:s3cret:x"
    ).decode("ascii")
    assert received.headers["X-Account"] == "42"
    assert received.form["numero"] == ["33612345678"]
    assert received.form["message"][0].startswith("Préau : votre code")
    assert received.form["ref"] == [f"preau-{message.pk}"]
    assert received.form["x"] == ["{y}"]  # unknown placeholders are left as written


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_a_bearer_token_and_nested_json_payload(
    sms_gateway: SmsGateway,  # noqa: F811
    settings: Any,
) -> None:
    point_sms_at(
        settings,
        sms_gateway,
        TOKEN="tok-123",
        METHOD="PUT",
        PAYLOAD={"messages": [{"to": ["{to}"], "body": "{text}"}], "unicode": False},
    )
    queue_sms(to="+262 692 12 34 56")
    [received] = sms_gateway.requests
    assert received.method == "PUT"
    assert received.headers["Authorization"] == "Bearer tok-123"
    body = received.json
    assert body["unicode"] is False
    assert body["messages"][0]["to"] == ["+262692123456"]
    assert "{text}" not in body["messages"][0]["body"]


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_text_with_braces_is_inserted_as_it_is(
    sms_gateway: SmsGateway,  # noqa: F811
    settings: Any,
) -> None:
    settings.PREAU = {**settings.PREAU, "ENT_NAME": "ENT {to}"}
    queue_sms()
    [received] = sms_gateway.requests
    assert received.json["text"].startswith("ENT {to} : ")


@pytest.mark.django_db
def test_a_recipient_that_is_no_number_is_refused_when_queued() -> None:
    with pytest.raises(ValidationError):
        queue_sms(to="pas un numéro")
    assert not OutboundMessage.objects.exists()


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_the_file_backend_appends_one_json_line_per_sms(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "sms" / "out.jsonl"
    settings.PREAU = {**settings.PREAU, "SMS_BACKEND": "file", "SMS_FILE_PATH": str(path)}
    first = queue_sms()
    queue_sms(to="07 81 23 45 67")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["to"] for line in lines] == ["+33612345678", "+33781234567"]
    assert lines[0]["reference"] == f"preau-{first.pk}"
    assert "482915" in lines[0]["text"]
    assert reload(first).status == Status.SENT


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_the_console_backend_logs_the_sms(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="preau.notify.sms"):
        message = queue_sms()
    assert "SMS to +33612345678" in caplog.text
    assert "482915" in caplog.text
    assert reload(message).status == Status.SENT


@committed_db
@pytest.mark.usefixtures("immediate_tasks")
def test_a_slow_gateway_times_out_and_is_retried(
    sms_gateway: SmsGateway,  # noqa: F811
    settings: Any,
) -> None:
    point_sms_at(settings, sms_gateway, TIMEOUT=0.3)
    sms_gateway.delay = 1.0
    message = reload(queue_sms())
    assert message.status == Status.QUEUED
    assert "Passerelle SMS injoignable" in message.last_error


def test_the_longest_login_of_the_generator_is_what_the_templates_are_tested_with() -> None:
    from preau.provisioning.logins import FIRST_NAME_MAX, LAST_NAME_MAX

    assert len(LONGEST_LOGIN) == FIRST_NAME_MAX + 1 + LAST_NAME_MAX + 3
