"""/samlValidate parses the request with defusedxml: no DTD, entity or external reference is
accepted, whatever the document's encoding (a byte search for ``<!DOCTYPE`` misses UTF-16)."""

from __future__ import annotations

import codecs
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from tests.sso.conftest import VIE_SCOLAIRE, ticket_from
from tests.sso.test_cas_validation import SAML_REQUEST

pytestmark = pytest.mark.django_db

_DTD = '<!DOCTYPE x [<!ENTITY a "aaaa">]>'
_ARTIFACT = "<samlp:AssertionArtifact>"


def _post(client: Client, body: bytes, content_type: str = "text/xml") -> str:
    response = client.post(
        f"/cas/samlValidate?TARGET={quote(VIE_SCOLAIRE, safe='')}",
        body,
        content_type=content_type,
    )
    assert response.status_code == 200  # a SAML answer, never a 500
    return response.content.decode()


def _ticket(client: Client) -> str:
    return ticket_from(client.get("/cas/login", {"service": VIE_SCOLAIRE}))


def _with_dtd(ticket: str, encoding: str) -> str:
    """The SAML request of ``ticket`` with an internal DTD whose entity holds the ticket's
    tail: a parser that expanded entities would find the right ticket."""
    head, tail = ticket[:5], ticket[5:]
    declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    dtd = f'<!DOCTYPE SOAP-ENV:Envelope [<!ENTITY t "{tail}">]>'
    return declaration + dtd + SAML_REQUEST.format(ticket=f"{head}&t;")


@pytest.mark.parametrize(
    ("declared", "codec", "bom"),
    [
        ("UTF-16", "utf-16-le", codecs.BOM_UTF16_LE),
        ("UTF-16", "utf-16-be", codecs.BOM_UTF16_BE),
        ("UTF-16LE", "utf-16-le", b""),
        ("UTF-16BE", "utf-16-be", b""),
        ("UTF-8", "utf-8", codecs.BOM_UTF8),
        ("UTF-8", "utf-8", b""),
    ],
)
def test_a_dtd_is_refused_whatever_the_encoding(
    signed_in: Client, vie_scolaire: Any, declared: str, codec: str, bom: bytes
) -> None:
    ticket = _ticket(signed_in)
    body = _post(signed_in, bom + _with_dtd(ticket, declared).encode(codec))
    assert "samlp:Success" not in body
    assert "INVALID_REQUEST" in body
    assert "samlp:Requester" in body
    # The ticket was not consumed by the refused request: it still validates.
    assert "samlp:Success" in _post(signed_in, SAML_REQUEST.format(ticket=ticket).encode())


def test_a_billion_laughs_is_refused(signed_in: Client, vie_scolaire: Any) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><lolz>&lol9;</lolz>'
    body = _post(signed_in, bomb.encode())
    assert "INVALID_REQUEST" in body
    assert "samlp:Success" not in body


def test_an_external_entity_is_refused(signed_in: Client, vie_scolaire: Any) -> None:
    xxe = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    body = _post(signed_in, xxe.encode("utf-16"))
    assert "INVALID_REQUEST" in body
    assert "root:" not in body


@pytest.mark.parametrize(
    ("declared", "codec", "bom"),
    [
        ("UTF-16", "utf-16-le", codecs.BOM_UTF16_LE),
        ("UTF-16", "utf-16-be", codecs.BOM_UTF16_BE),
        ("UTF-16LE", "utf-16-le", b""),
        ("UTF-16BE", "utf-16-be", b""),
    ],
)
def test_a_legitimate_utf16_request_still_validates(
    signed_in: Client, vie_scolaire: Any, declared: str, codec: str, bom: bytes
) -> None:
    request = f'<?xml version="1.0" encoding="{declared}"?>' + SAML_REQUEST.format(
        ticket=_ticket(signed_in)
    )
    body = _post(signed_in, bom + request.encode(codec))
    assert 'StatusCode Value="samlp:Success"' in body
    assert "<NameIdentifier>emma.petit</NameIdentifier>" in body


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe<\x00",  # UTF-16 cut in the middle of the document
        "<x>é</x>".encode("utf-32"),  # an encoding expat does not read
        b'<?xml version="1.0" encoding="EBCDIC-nothing"?><x/>',
        b"",
        b"\x00" * 64,
        b'<?xml version="1.0" encoding="Shift_JIS"?><x/>',  # multi-byte: not read by expat
        '<?xml version="1.0" encoding="UTF-7"?><x/>'.encode("utf-7"),
    ],
)
def test_unreadable_requests_are_refused_cleanly(
    signed_in: Client, vie_scolaire: Any, payload: bytes
) -> None:
    body = _post(signed_in, payload)
    assert "INVALID_REQUEST" in body
    assert "samlp:Requester" in body
