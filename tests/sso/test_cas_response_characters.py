"""Every CAS answer is well-formed whatever the directory holds: characters XML 1.0 forbids
(control characters left by an old import, U+FFFE, U+FFFF, lone surrogates) are dropped, every
other character reaches the service as it is stored, in XML, JSON and SAML alike."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET  # noqa: N817, S405 - parses Préau's own answers
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from hypothesis import example, given, settings
from hypothesis import strategies as st

from preau.directory.models import Account
from preau.sso.cas import responses
from preau.sso.cas.attributes import GENERIC, PRONOTE, MembershipRow, attributes_release
from preau.sso.cas.errors import Code
from tests.sso.conftest import PASSWORD, VIE_SCOLAIRE, ticket_from
from tests.sso.test_cas_login import login_url, post_form

CAS = "{http://www.yale.edu/tp/cas}"
SAML = "{urn:oasis:names:tc:SAML:1.0:assertion}"
SAMLP = "{urn:oasis:names:tc:SAML:1.0:protocol}"
NOW = dt.datetime(2026, 11, 27, 8, 30, tzinfo=dt.UTC)

# Any text, with the troublesome characters drawn often.
_TRICKY = ["\x00", "\x01", "\x08", "\x0b", "\x1f", "\x7f", "\x85", "\ufffe", "\uffff",
           "\ud800", "\udfff", "\r", "\r\n", "\t", "]]>", "&", "<", ">", '"', "'", "&#1;",
           "\U0001f600", "\ue000", "\ufffd", "é"]  # fmt: skip
texts = st.lists(st.one_of(st.text(), st.sampled_from(_TRICKY))).map("".join)


def xml_allowed(text: str) -> str:
    """``text`` without the characters outside XML 1.0's Char production."""
    return "".join(
        ch
        for ch in text
        if ch in "\t\n\r"
        or "\x20" <= ch <= "\ud7ff"
        or "\ue000" <= ch <= "\ufffd"
        or "\U00010000" <= ch <= "\U0010ffff"
    )


def parse(response: HttpResponse) -> ET.Element:
    """A strict parser (expat): raises on a document that is not well-formed."""
    assert response["Content-Type"].endswith("charset=utf-8")
    return ET.fromstring(response.content)  # noqa: S314


def text_of(element: ET.Element | None) -> str:
    assert element is not None
    return element.text or ""


def _person(
    first: str, last: str, login: str, postal_code: str, class_code: str
) -> tuple[Account, list[MembershipRow]]:
    account = Account(
        login=login, first_name=first, last_name=last, postal_code=postal_code, email=""
    )
    return account, [(1, "eleve", "0750654D", class_code)]


@given(first=texts, last=texts, login=texts, postal_code=texts, class_code=texts)
@settings(max_examples=300, deadline=None)
@example(
    first="Zo\x01é",
    last="\ud800DU\x00PONT\uffff",
    login="a\x1fb",
    postal_code="\r",
    class_code="]]>",
)
def test_validation_answers_are_well_formed_and_keep_every_allowed_character(
    first: str, last: str, login: str, postal_code: str, class_code: str
) -> None:
    account, rows = _person(first, last, login, postal_code, class_code)
    for preset in (GENERIC, PRONOTE):
        attributes = attributes_release(account, preset, 1, rows)
        success = responses.Success(
            user=login,
            attributes=attributes,
            authentication_date=NOW,
            pgt_iou=f"PGTIOU-{first}",
            proxies=[f"https://proxy.test/{last}"],
        )
        # CAS 2.0/3.0 XML.
        root = parse(responses.validation_success(success, responses.XML))
        found = root.find(f"{CAS}authenticationSuccess")
        assert found is not None
        assert text_of(found.find(f"{CAS}user")) == xml_allowed(login)
        assert text_of(found.find(f"{CAS}proxyGrantingTicket")) == xml_allowed(f"PGTIOU-{first}")
        assert text_of(found.find(f"{CAS}proxies/{CAS}proxy")) == xml_allowed(
            f"https://proxy.test/{last}"
        )
        for name, values in attributes.items():
            elements = found.findall(f"{CAS}attributes/{CAS}{name}")
            assert [e.text or "" for e in elements] == [xml_allowed(v) for v in values]
        # JSON: the same values.
        payload = json.loads(responses.validation_success(success, responses.JSON).content)
        json_success = payload["serviceResponse"]["authenticationSuccess"]
        assert json_success["user"] == xml_allowed(login)
        for name, values in attributes.items():
            released = json_success["attributes"][name]
            expected = [xml_allowed(v) for v in values]
            assert (released if isinstance(released, list) else [released]) == expected
        # SAML 1.1.
        recipient = f"https://{last}.test/"
        saml = parse(
            responses.saml_success(success=success, recipient=recipient, issuer=first, now=NOW)
        )
        response = saml.find(f".//{SAMLP}Response")
        assert response is not None
        assert response.get("Recipient") == xml_allowed(recipient)
        assertion = response.find(f"{SAML}Assertion")
        assert assertion is not None
        assert assertion.get("Issuer") == xml_allowed(first)
        assert text_of(assertion.find(f".//{SAML}NameIdentifier")) == xml_allowed(login)
        for attribute in assertion.iter(f"{SAML}Attribute"):
            name = attribute.get("AttributeName")
            assert name is not None
            values = [v.text or "" for v in attribute.iter(f"{SAML}AttributeValue")]
            assert values == [xml_allowed(v) for v in responses._all_attributes(success)[name]]


@given(description=texts, target=texts)
@settings(max_examples=200, deadline=None)
def test_failure_answers_are_well_formed(description: str, target: str) -> None:
    for fmt in responses.FORMATS:
        for answer in (responses.validation_failure, responses.proxy_failure):
            response = answer(Code.INVALID_TICKET, description, fmt)
            if fmt == responses.JSON:
                payload = json.loads(response.content)
                failure = payload["serviceResponse"]["authenticationFailure"]
                assert failure["description"] == xml_allowed(description)
            else:
                assert (parse(response)[0].text or "") == xml_allowed(description)
    saml = parse(
        responses.saml_failure(
            code=Code.INVALID_TICKET, description=description, recipient=target, now=NOW
        )
    )
    response = saml.find(f".//{SAMLP}Response")
    assert response is not None
    assert response.get("Recipient") == xml_allowed(target)
    assert text_of(response.find(f".//{SAMLP}StatusMessage")) == xml_allowed(
        f"INVALID_TICKET: {description}"
    )


@given(session_index=texts)
@settings(max_examples=100, deadline=None)
def test_the_logout_request_is_well_formed(session_index: str) -> None:
    root = ET.fromstring(responses.logout_request(session_index, NOW).encode())  # noqa: S314
    index = root.find("{urn:oasis:names:tc:SAML:2.0:protocol}SessionIndex")
    assert text_of(index) == xml_allowed(session_index)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["XML", "JSON"])
def test_a_name_stored_with_control_characters_validates_over_http(
    client: Client, student: Account, vie_scolaire: Any, fmt: str
) -> None:
    # As an import made before the readers refused them would have stored it.
    Account.objects.filter(pk=student.pk).update(
        first_name="Em\x01ma\x7f", last_name="PE\x1bTIT\x0b", email="emma.petit@example.org"
    )
    response = post_form(client, login_url(service=VIE_SCOLAIRE), "emma.petit", PASSWORD)
    ticket = ticket_from(response)
    answer = client.get(
        "/cas/p3/serviceValidate", {"service": VIE_SCOLAIRE, "ticket": ticket, "format": fmt}
    )
    assert answer.status_code == 200
    if fmt == "JSON":
        attributes = json.loads(answer.content)["serviceResponse"]["authenticationSuccess"][
            "attributes"
        ]
        given_name, surname = attributes["givenName"], attributes["sn"]
    else:
        root = parse(answer)
        found = root.find(f"{CAS}authenticationSuccess/{CAS}attributes")
        assert found is not None
        given_name = text_of(found.find(f"{CAS}givenName"))
        surname = text_of(found.find(f"{CAS}sn"))
    # \x7f is an XML character (discouraged, not forbidden): it is kept.
    assert (given_name, surname) == ("Emma\x7f", "PETIT")
