"""Malformed JSON, wrong types, unknown addresses: the documented error, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from preau.mobile.models import Device
from preau.mobile.services import grant_create
from tests.mobile.conftest import Api

pytestmark = pytest.mark.django_db(transaction=True)

BAD_BODIES = [
    b"{not json",
    b"[]",
    b"null",
    b'{"identifier": 12, "code": ["x"], "device_name": "x", "platform": "android"}',
    b'{"identifier": "A", "code": "B", "device_name": "", "platform": "windows"}',
    b'{"refresh_token": {"a": 1}}',
    b'{"service": 3}',
    b'{"from_establishment": "peut-\xc3\xaatre", "from_partners": 1, "sms": null}',
    b"\xff\xfe",
    # NUL bytes and other control characters (PostgreSQL's text columns refuse NUL).
    b'{"identifier": "A\\u0000B", "code": "C\\u0007", "token": "\\u0000", "device_name": "T",'
    b' "refresh_token": "\\u0000", "service": "https://x.example/\\u0000", "platform": "ios"}',
]


def error_of(answer: requests.Response) -> str:
    body = answer.json()
    assert set(body) == {"error", "message"}, body
    assert body["message"]
    return str(body["error"])


@pytest.mark.parametrize("body", BAD_BODIES)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/activation"),
        ("post", "/pairing"),
        ("post", "/token"),
        ("post", "/web-link"),
        ("put", "/preferences"),
    ],
)
def test_bad_bodies_get_the_documented_error(
    api: Api, paired: Callable[[], dict[str, Any]], method: str, path: str, body: bytes
) -> None:
    token = paired()["access_token"]
    answer = requests.request(
        method,
        api.url(path),
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert error_of(answer) == "invalid_request"


def test_no_token_a_wrong_token_and_an_unknown_address(api: Api, db: Any) -> None:
    assert error_of(api.get("/me")) == "unauthorized"
    assert error_of(api.get("/me", "pma_nope")) == "unauthorized"
    missing = api.get("/nulle-part")
    assert missing.status_code == 404
    assert error_of(missing) == "not_found"


def test_wrong_codes_from_one_address_are_throttled(api: Api, db: Any) -> None:
    body = {"identifier": "AAAAAAAA", "code": "BBBBBBBBBB", "device_name": "x", "platform": "ios"}
    codes = [api.post("/activation", json=body).status_code for _ in range(22)]
    assert codes[:20] == [400] * 20
    assert codes[-1] == 429
    last = api.post("/activation", json=body)
    assert error_of(last) == "too_many_requests"
    assert int(last.headers["Retry-After"]) > 0


def test_a_control_character_in_a_device_name_pairs_nothing(api: Api, parent: Any) -> None:
    issued = grant_create(actor=parent, account=parent)
    body = {"identifier": issued.grant.identifier, "code": issued.code, "platform": "ios"}
    refused = api.post("/activation", json={**body, "device_name": "Télé\u0000phone"})
    assert refused.status_code == 400
    assert error_of(refused) == "invalid_request"
    assert not Device.objects.exists()
    # Nothing was counted against the grant: the right request still pairs.
    assert api.post("/activation", json={**body, "device_name": "Téléphone"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("patch", "/me", "GET"), ("delete", "/preferences", "GET, PUT"), ("get", "/logout", "POST")],
)
def test_a_method_an_address_does_not_take_is_refused_in_json(
    api: Api, paired: Callable[[], dict[str, Any]], method: str, path: str, allowed: str
) -> None:
    token = paired()["access_token"]
    answer = requests.request(
        method, api.url(path), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert answer.status_code == 405
    assert error_of(answer) == "method_not_allowed"
    assert sorted(answer.headers["Allow"].split(", ")) == sorted(allowed.split(", "))
