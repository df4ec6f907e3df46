"""Ticket validation (CAS 3.0 §2.4–2.9, §4.2): each protocol answer, each bad input."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.db import connection  # noqa: F401 - read by skipif
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account
from preau.sso.cas import tickets
from preau.sso.cas.models import ServiceTicket
from tests.sso.conftest import PRONOTE, VIE_SCOLAIRE, ticket_from

pytestmark = pytest.mark.django_db


def issue(client: Client, service: str = VIE_SCOLAIRE) -> str:
    return ticket_from(client.get("/cas/login", {"service": service}))


def get(client: Client, path: str, **params: str) -> str:
    response = client.get(path, params)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response.content.decode()


def failure_code(body: str) -> str:
    match = re.search(r'<cas:authenticationFailure code="([A-Z_]+)">', body)
    assert match, body
    return match.group(1)


def test_tickets_are_random_and_stored_only_as_digests(
    signed_in: Client, vie_scolaire: Any
) -> None:
    ticket = issue(signed_in)
    assert re.fullmatch(r"ST-[0-9a-f]{40}", ticket)  # 160 random bits, CAS 3.0 alphabet
    row = ServiceTicket.objects.get()
    assert row.digest == tickets.ticket_digest(ticket) != ticket
    assert ticket.removeprefix("ST-") not in json.dumps(
        list(ServiceTicket.objects.values_list("digest", "service_url", "logout_ticket"))
    )
    assert row.expires_at - row.created_at == dt.timedelta(seconds=10)


def test_cas_1_validate_answers_yes_and_the_user_then_no(
    signed_in: Client, vie_scolaire: Any
) -> None:
    ticket = issue(signed_in)
    assert (
        get(signed_in, "/cas/validate", service=VIE_SCOLAIRE, ticket=ticket) == "yes\nemma.petit\n"
    )
    assert get(signed_in, "/cas/validate", service=VIE_SCOLAIRE, ticket=ticket) == "no\n\n"
    assert get(signed_in, "/cas/validate", service=VIE_SCOLAIRE) == "no\n\n"


@pytest.mark.parametrize("path", ["/cas/serviceValidate", "/cas/p3/serviceValidate"])
def test_a_ticket_validates_once(signed_in: Client, vie_scolaire: Any, path: str) -> None:
    ticket = issue(signed_in)
    body = get(signed_in, path, service=VIE_SCOLAIRE, ticket=ticket)
    assert "<cas:user>emma.petit</cas:user>" in body
    replay = get(signed_in, path, service=VIE_SCOLAIRE, ticket=ticket)
    assert failure_code(replay) == "INVALID_TICKET"
    assert "not recognized" in replay


def test_generic_attributes(signed_in: Client, vie_scolaire: Any) -> None:
    body = get(signed_in, "/cas/p3/serviceValidate", service=VIE_SCOLAIRE, ticket=issue(signed_in))
    for line in (
        "<cas:uid>emma.petit</cas:uid>",
        "<cas:givenName>Emma</cas:givenName>",
        "<cas:sn>Petit</cas:sn>",
        "<cas:profile>eleve</cas:profile>",
        "<cas:uai>0750654D</cas:uai>",
        "<cas:classes>3A</cas:classes>",
        "<cas:mail>emma.petit@example.org</cas:mail>",
        "<cas:longTermAuthenticationRequestTokenUsed>false</cas:longTermAuthenticationRequestTokenUsed>",
    ):
        assert line in body
    assert "<cas:authenticationDate>" in body


def test_pronote_attributes(signed_in: Client, pronote: Any, teacher: Account) -> None:
    body = get(
        signed_in, "/cas/p3/serviceValidate", service=PRONOTE, ticket=issue(signed_in, PRONOTE)
    )
    for line in (
        "<cas:nom>Petit</cas:nom>",
        "<cas:prenom>Emma</cas:prenom>",
        "<cas:dateNaissance>04/03/2011</cas:dateNaissance>",
        "<cas:codePostal>75005</cas:codePostal>",
        "<cas:categories>National_1</cas:categories>",
    ):
        assert line in body
    assert "<cas:uid>" not in body
    other = Client()
    other.force_login(teacher)
    teacher_body = get(
        other, "/cas/p3/serviceValidate", service=PRONOTE, ticket=issue(other, PRONOTE)
    )
    assert "<cas:categories>National_3</cas:categories>" in teacher_body
    assert "dateNaissance" not in teacher_body  # no birth date known: left out


def test_json_format(signed_in: Client, vie_scolaire: Any) -> None:
    ticket = issue(signed_in)
    body = json.loads(
        get(
            signed_in, "/cas/p3/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket, format="JSON"
        )
    )
    success = body["serviceResponse"]["authenticationSuccess"]
    assert success["user"] == "emma.petit"
    assert success["attributes"]["classes"] == ["3A"]
    assert success["attributes"]["sn"] == "Petit"
    replay = json.loads(
        get(signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket, format="json")
    )
    assert replay["serviceResponse"]["authenticationFailure"]["code"] == "INVALID_TICKET"


def test_an_unsupported_format_is_an_invalid_request(signed_in: Client, vie_scolaire: Any) -> None:
    body = get(
        signed_in,
        "/cas/serviceValidate",
        service=VIE_SCOLAIRE,
        ticket=issue(signed_in),
        format="YAML",
    )
    assert failure_code(body) == "INVALID_REQUEST"


@pytest.mark.parametrize("missing", ["ticket", "service"])
def test_missing_parameters_are_an_invalid_request(
    signed_in: Client, vie_scolaire: Any, missing: str
) -> None:
    params = {"service": VIE_SCOLAIRE, "ticket": issue(signed_in)}
    del params[missing]
    assert failure_code(get(signed_in, "/cas/serviceValidate", **params)) == "INVALID_REQUEST"


def test_an_expired_ticket_is_invalid(signed_in: Client, vie_scolaire: Any) -> None:
    ticket = issue(signed_in)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=11)):
        body = get(signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket)
    assert failure_code(body) == "INVALID_TICKET"
    assert "expired" in body


def test_the_ticket_lifetime_is_configurable(
    signed_in: Client, vie_scolaire: Any, settings: Any
) -> None:
    settings.PREAU = {**settings.PREAU, "CAS_TICKET_SECONDS": 60}
    ticket = issue(signed_in)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        body = get(signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket)
    assert "<cas:user>emma.petit</cas:user>" in body


def test_an_altered_ticket_is_not_recognized(signed_in: Client, vie_scolaire: Any) -> None:
    ticket = issue(signed_in)
    altered = ticket[:-1] + ("0" if ticket[-1] != "0" else "1")
    assert (
        failure_code(get(signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=altered))
        == "INVALID_TICKET"
    )
    # The genuine one still works: a wrong guess does not burn it.
    assert "emma.petit" in get(
        signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket
    )


def test_a_ticket_for_another_service_is_refused_and_burnt(
    signed_in: Client, vie_scolaire: Any, pronote: Any
) -> None:
    ticket = issue(signed_in)
    body = get(signed_in, "/cas/serviceValidate", service=PRONOTE, ticket=ticket)
    assert failure_code(body) == "INVALID_SERVICE"
    again = get(signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket)
    assert failure_code(again) == "INVALID_TICKET"


def test_a_service_address_differing_in_host_case_only_matches(
    signed_in: Client, vie_scolaire: Any
) -> None:
    ticket = issue(signed_in)
    body = get(
        signed_in, "/cas/serviceValidate", service="HTTPS://Vie-Scolaire.TEST/", ticket=ticket
    )
    assert "emma.petit" in body


@pytest.mark.parametrize(
    ("ticket", "code"),
    [
        ("TGT-" + "a" * 40, "INVALID_TICKET_SPEC"),
        ("PGT-" + "a" * 40, "INVALID_TICKET_SPEC"),
        ("ST-" + "a" * 39 + "Z", "INVALID_TICKET"),
        ("ST-" + "a" * 400, "INVALID_TICKET"),
        ("ST-<script>", "INVALID_TICKET"),
        ("nonsense", "INVALID_TICKET"),
    ],
)
def test_malformed_tickets(client: Client, vie_scolaire: Any, ticket: str, code: str) -> None:
    body = get(client, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket)
    assert failure_code(body) == code
    assert "<script>" not in body


def test_a_deactivated_account_gets_no_validation(
    signed_in: Client, student: Account, vie_scolaire: Any
) -> None:
    ticket = issue(signed_in)
    Account.objects.filter(pk=student.pk).update(state=Account.State.DEACTIVATED)
    assert (
        failure_code(get(Client(), "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket))
        == "INVALID_TICKET"
    )


def test_a_ticket_of_an_ended_sso_session_is_refused(
    signed_in: Client, vie_scolaire: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = issue(signed_in)
    signed_in.get("/cas/logout")
    body = get(Client(), "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket)
    assert failure_code(body) == "INVALID_TICKET"


# --- SAML 1.1 ----------------------------------------------------------------------------------

SAML_REQUEST = """<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">
<SOAP-ENV:Header/><SOAP-ENV:Body>
<samlp:Request xmlns:samlp="urn:oasis:names:tc:SAML:1.0:protocol" MajorVersion="1"
 MinorVersion="1" RequestID="_1" IssueInstant="2026-01-01T00:00:00Z">
<samlp:AssertionArtifact>{ticket}</samlp:AssertionArtifact></samlp:Request>
</SOAP-ENV:Body></SOAP-ENV:Envelope>"""


def saml(client: Client, body: str, target: str = VIE_SCOLAIRE) -> str:
    from urllib.parse import quote

    response = client.post(
        f"/cas/samlValidate?TARGET={quote(target, safe='')}", body, content_type="text/xml"
    )
    assert response.status_code == 200
    return response.content.decode()


def test_saml_validation_releases_attributes_to_https_targets(
    signed_in: Client, vie_scolaire: Any
) -> None:
    body = saml(signed_in, SAML_REQUEST.format(ticket=issue(signed_in)))
    assert 'StatusCode Value="samlp:Success"' in body
    assert "<NameIdentifier>emma.petit</NameIdentifier>" in body
    assert '<Attribute AttributeName="classes"' in body
    assert "<AttributeValue>3A</AttributeValue>" in body


def test_saml_failures(signed_in: Client, vie_scolaire: Any) -> None:
    ticket = issue(signed_in)
    assert "samlp:Success" in saml(signed_in, SAML_REQUEST.format(ticket=ticket))
    replay = saml(signed_in, SAML_REQUEST.format(ticket=ticket))
    assert "samlp:Success" not in replay
    assert "INVALID_TICKET" in replay
    assert "INVALID_REQUEST" in saml(signed_in, "<not xml")
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert "INVALID_REQUEST" in saml(signed_in, bomb)
    assert signed_in.get("/cas/samlValidate").status_code == 405


def test_the_first_ticket_of_each_service_in_a_session_is_audited(
    signed_in: Client, vie_scolaire: Any, pronote: Any
) -> None:
    from preau.audit.models import AuditEvent

    for _ in range(3):
        issue(signed_in)
    issue(signed_in, PRONOTE)
    events = AuditEvent.objects.filter(action="cas.ticket.issue").order_by("pk")
    assert [e.data["service"] for e in events] == ["vie-scolaire", "pronote"]
    assert ServiceTicket.objects.count() == 4  # every ticket stays a row until purged


def test_attributes_follow_a_class_change_within_the_cache_delay(
    signed_in: Client, student: Account, vie_scolaire: Any
) -> None:
    from preau.directory.models import Membership, SchoolClass

    assert "<cas:classes>3A</cas:classes>" in get(
        signed_in, "/cas/p3/serviceValidate", service=VIE_SCOLAIRE, ticket=issue(signed_in)
    )
    membership = Membership.objects.get(account=student)
    membership.classes.set(
        [
            SchoolClass.objects.create(
                establishment=membership.establishment, school_year=2026, code="3B"
            )
        ]
    )
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        body = get(
            signed_in, "/cas/p3/serviceValidate", service=VIE_SCOLAIRE, ticket=issue(signed_in)
        )
    assert "<cas:classes>3B</cas:classes>" in body


def test_expired_tickets_and_ended_sessions_are_purged(
    signed_in: Client, vie_scolaire: Any
) -> None:
    from preau.sso.cas.models import SsoSession
    from preau.sso.cas.services import cas_tickets_purge

    ticket = issue(signed_in)
    get(signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket)
    issue(signed_in)  # never validated
    assert cas_tickets_purge() == 0
    later = timezone.now() + dt.timedelta(seconds=11)
    assert cas_tickets_purge(now=later) == 1  # the unvalidated one; the other serves logout
    signed_in.get("/cas/logout")
    assert cas_tickets_purge(now=later) == 2  # the ended SSO session and its ticket
    assert not SsoSession.objects.exists()


def test_preau_lifecycle_purges_the_cas_tickets(signed_in: Client, vie_scolaire: Any) -> None:
    from preau.lifecycle.services import expired_tokens_purge

    issue(signed_in)  # never validated
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=11)):
        assert expired_tokens_purge(dry_run=True).count >= 1
        assert expired_tokens_purge().count >= 1
        assert expired_tokens_purge(dry_run=True).count == 0


def test_an_internal_failure_answers_internal_error(
    signed_in: Client, vie_scolaire: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from preau.sso.cas import services

    ticket = issue(signed_in)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(services, "_consume", broken)
    body = get(signed_in, "/cas/serviceValidate", service=VIE_SCOLAIRE, ticket=ticket)
    assert failure_code(body) == "INTERNAL_ERROR"
    assert get(signed_in, "/cas/validate", service=VIE_SCOLAIRE, ticket=ticket) == "no\n\n"
    assert "samlp:Responder" in saml(signed_in, SAML_REQUEST.format(ticket=ticket))


@pytest.mark.postgres
@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="UNLOGGED is PostgreSQL's")
def test_tickets_live_in_an_unlogged_table_on_postgresql() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'cas_serviceticket'")
        assert cursor.fetchone() == ("u",)
