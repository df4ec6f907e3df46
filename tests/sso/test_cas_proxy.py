"""Proxy authentication (CAS 3.0 §2.5.4, §2.7): the callback over verified HTTPS answering
200, proxy tickets and their proxy chain, and every refusal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from preau.portal.models import Service
from tests.sso.conftest import VIE_SCOLAIRE, register, ticket_from
from tests.sso.servers import Recorder, https_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def proxy(tmp_path: Path, settings: Any, db: Any) -> Iterator[tuple[str, Recorder, Service]]:
    """An HTTPS service allowed to proxy, whose certificate Préau is told to trust."""
    recorder = Recorder()
    with https_service(recorder, tmp_path) as (base, cert):
        settings.PREAU = {**settings.PREAU, "CAS_PROXY_CA_FILE": str(cert)}
        service = register("Portail proxy", ("prefix", base), proxy_allowed=True)
        yield base, recorder, service


def code_of(body: str) -> str:
    match = re.search(r'code="([A-Z_]+)"', body)
    assert match, body
    return match.group(1)


def validate_with_callback(client: Client, base: str, callback: str) -> str:
    ticket = ticket_from(client.get("/cas/login", {"service": base + "app"}))
    return client.get(
        "/cas/serviceValidate", {"service": base + "app", "ticket": ticket, "pgtUrl": callback}
    ).content.decode()


def test_a_proxy_gets_a_pgt_through_its_callback_then_proxy_tickets(
    signed_in: Client, proxy: tuple[str, Recorder, Service], vie_scolaire: Any
) -> None:
    base, recorder, _service = proxy
    body = validate_with_callback(signed_in, base, base + "callback?keep=1")
    iou = re.search(r"<cas:proxyGrantingTicket>(PGTIOU-[0-9a-f]+)</", body)
    assert iou, body
    method, path, params = recorder.requests[-1]
    assert (method, path) == ("GET", "/callback")
    assert params["keep"] == ["1"]  # the callback's own parameters are kept
    assert params["pgtIou"] == [iou.group(1)]
    pgt = params["pgtId"][0]
    assert pgt.startswith("PGT-")

    answer = signed_in.get(
        "/cas/proxy", {"pgt": pgt, "targetService": VIE_SCOLAIRE}
    ).content.decode()
    proxy_ticket = re.search(r"<cas:proxyTicket>(PT-[0-9a-f]+)</", answer)
    assert proxy_ticket, answer
    pt = proxy_ticket.group(1)
    # serviceValidate must not accept a proxy ticket, and the attempt burns it (§3.2.1).
    refused = signed_in.get("/cas/serviceValidate", {"service": VIE_SCOLAIRE, "ticket": pt})
    assert code_of(refused.content.decode()) == "INVALID_TICKET_SPEC"
    pt = re.search(
        r"<cas:proxyTicket>(PT-[0-9a-f]+)</",
        signed_in.get("/cas/proxy", {"pgt": pgt, "targetService": VIE_SCOLAIRE}).content.decode(),
    ).group(1)  # type: ignore[union-attr]
    validated = signed_in.get(
        "/cas/p3/proxyValidate", {"service": VIE_SCOLAIRE, "ticket": pt}
    ).content.decode()
    assert "<cas:user>emma.petit</cas:user>" in validated
    assert f"<cas:proxy>{base}callback?keep=1</cas:proxy>" in validated


def test_proxy_validate_also_validates_service_tickets(
    signed_in: Client, vie_scolaire: Any
) -> None:
    ticket = ticket_from(signed_in.get("/cas/login", {"service": VIE_SCOLAIRE}))
    body = signed_in.get("/cas/proxyValidate", {"service": VIE_SCOLAIRE, "ticket": ticket})
    assert "<cas:user>emma.petit</cas:user>" in body.content.decode()


def test_a_service_not_allowed_to_proxy(signed_in: Client, proxy: Any) -> None:
    base, recorder, service = proxy
    Service.objects.filter(pk=service.pk).update(proxy_allowed=False)
    from preau.portal.registry import registry_bump

    registry_bump()
    body = validate_with_callback(signed_in, base, base + "callback")
    assert code_of(body) == "UNAUTHORIZED_SERVICE_PROXY"
    assert not recorder.requests


@pytest.mark.parametrize(
    ("callback", "why"),
    [
        ("http://127.0.0.1:9/callback", "plain HTTP"),
        ("https://unregistered.example/callback", "not an address of the service"),
    ],
)
def test_a_callback_that_is_not_https_or_not_registered(
    signed_in: Client, proxy: Any, callback: str, why: str
) -> None:
    base, recorder, _service = proxy
    body = validate_with_callback(signed_in, base, callback)
    assert code_of(body) == "INVALID_PROXY_CALLBACK", why
    assert "proxyGrantingTicket" not in body


def test_a_callback_that_does_not_answer_200(signed_in: Client, proxy: Any) -> None:
    base, recorder, _service = proxy
    recorder.status = 404
    body = validate_with_callback(signed_in, base, base + "callback")
    assert code_of(body) == "INVALID_PROXY_CALLBACK"
    pgt = recorder.requests[-1][2]["pgtId"][0]
    # The PGT handed to the failing callback is useless.
    answer = signed_in.get("/cas/proxy", {"pgt": pgt, "targetService": VIE_SCOLAIRE})
    assert "proxySuccess" not in answer.content.decode()


def test_a_callback_whose_certificate_does_not_verify(
    signed_in: Client, proxy: Any, settings: Any
) -> None:
    base, recorder, _service = proxy
    settings.PREAU = {**settings.PREAU, "CAS_PROXY_CA_FILE": ""}
    body = validate_with_callback(signed_in, base, base + "callback")
    assert code_of(body) == "INVALID_PROXY_CALLBACK"
    assert not recorder.requests


def test_proxy_requests_refused(signed_in: Client, proxy: Any, vie_scolaire: Any) -> None:
    base, recorder, _service = proxy
    validate_with_callback(signed_in, base, base + "callback")
    pgt = recorder.requests[-1][2]["pgtId"][0]

    def proxy_code(**params: str) -> str:
        body = signed_in.get("/cas/proxy", params).content.decode()
        assert "<cas:proxyFailure" in body
        return code_of(body)

    assert proxy_code(pgt=pgt) == "INVALID_REQUEST"
    assert proxy_code(targetService=VIE_SCOLAIRE) == "INVALID_REQUEST"
    assert proxy_code(pgt="PGT-" + "0" * 40, targetService=VIE_SCOLAIRE) == "INVALID_TICKET"
    assert proxy_code(pgt=pgt, targetService="https://evil.example/") == "UNAUTHORIZED_SERVICE"
    # The PGT dies with the SSO session (§3.3.1).
    signed_in.get("/cas/logout")
    assert proxy_code(pgt=pgt, targetService=VIE_SCOLAIRE) == "INVALID_TICKET"
