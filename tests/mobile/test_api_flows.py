"""A client Préau did not write (plain ``requests`` against the live server) pairs a device
through both flows, then calls every endpoint of the mobile API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import time_machine
from django.conf import settings
from django.utils import timezone

from preau.audit.models import AuditEvent
from preau.directory.models import Account
from preau.mobile.models import Device
from preau.mobile.services import grant_create
from preau.mobile.tokens import pin_decrypt
from tests.mobile.conftest import SERVICE, Api, web_link_open

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_typed_code_pairs_a_device_then_every_endpoint_answers(
    api: Api, parent: Account, cas_service: Any, paired: Callable[[], dict[str, Any]]
) -> None:
    tokens = paired()
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 600
    access = tokens["access_token"]

    me = api.get("/me", access)
    assert me.status_code == 200
    body = me.json()
    assert (body["login"], body["first_name"], body["last_name"]) == (
        "claire.martin",
        "Claire",
        "Martin",
    )
    assert [m["profile"] for m in body["memberships"]] == ["responsable"]
    assert [e["uai"] for e in body["establishments"]] == ["0750654D"]
    # The confirmed child only: the pending one is not shown.
    assert [c["first_name"] for c in body["children"]] == ["Léo"]

    services = api.get("/services", access)
    assert services.status_code == 200
    tiles = [s for group in services.json() for s in group["services"]]
    assert [(t["slug"], t["url"]) for t in tiles] == [("vie-scolaire", SERVICE)]

    preferences = api.get("/preferences", access)
    assert preferences.status_code == 200
    changed = {"from_establishment": False, "from_partners": True, "sms": True}
    assert api.put("/preferences", access, json=changed).json() == changed
    assert api.get("/preferences", access).json() == changed

    link = api.post("/web-link", access, json={"service": SERVICE})
    assert link.status_code == 200, link.text
    browser = requests.Session()
    opened = web_link_open(browser, link.json()["url"])
    assert opened.status_code == 302
    target = urlsplit(opened.headers["Location"])
    assert target.path == "/cas/login"
    assert parse_qs(target.query) == {"service": [SERVICE]}
    assert settings.SESSION_COOKIE_NAME in browser.cookies
    # Single use: a second opening signs nobody in.
    again = requests.get(link.json()["url"], allow_redirects=False, timeout=10)
    assert again.status_code == 400
    assert "plus valable" in again.text

    assert api.post("/logout", access).status_code == 204
    refused = api.get("/me", access)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized"
    assert Device.objects.get().revoked_at is not None


def test_a_web_link_opens_registered_cas_services_only(
    api: Api, cas_service: Any, paired: Callable[[], dict[str, Any]]
) -> None:
    access = paired()["access_token"]
    for service in ("https://evil.example.com/", "javascript:alert(1)", "/cas/login"):
        answer = api.post("/web-link", access, json={"service": service})
        assert answer.status_code == 400
        assert answer.json()["error"] == "unknown_service"


def test_the_qr_and_pin_pair_a_device_and_a_photographed_qr_is_useless(
    api: Api, parent: Account
) -> None:
    issued = grant_create(actor=parent, account=parent, pin="4821")
    fields = issued.qr_fields
    assert fields is not None
    # Whoever photographed the QR tries PINs: each wrong one counts on the server.
    for pin in ("0000", "1234"):
        answer = api.post(
            "/pairing",
            json={
                "identifier": issued.grant.identifier,
                "token": pin_decrypt(pin=pin, fields=fields),
                "device_name": "Voleur",
                "platform": "ios",
            },
        )
        assert answer.status_code == 400
        assert answer.json()["error"] == "invalid_pin"
    answer = api.post(
        "/pairing",
        json={
            "identifier": issued.grant.identifier,
            "token": pin_decrypt(pin="4821", fields=fields),
            "device_name": "iPad de Claire",
            "platform": "ios",
        },
    )
    assert answer.status_code == 200, answer.text
    assert api.get("/me", answer.json()["access_token"]).json()["login"] == "claire.martin"


def test_three_wrong_pins_kill_the_qr_code(api: Api, parent: Account) -> None:
    issued = grant_create(actor=parent, account=parent, pin="4821")
    fields = issued.qr_fields
    assert fields is not None
    body = {"identifier": issued.grant.identifier, "device_name": "x", "platform": "ios"}
    for pin in ("0000", "1111", "2222"):
        token = pin_decrypt(pin=pin, fields=fields)
        assert api.post("/pairing", json={**body, "token": token}).status_code == 400
    right = pin_decrypt(pin="4821", fields=fields)
    assert api.post("/pairing", json={**body, "token": right}).json()["error"] == "invalid_pin"
    assert not Device.objects.exists()


def test_the_code_lives_five_minutes_and_serves_once(api: Api, parent: Account) -> None:
    issued = grant_create(actor=parent, account=parent)
    body = {
        # As people type it: lower case, a dash in the middle.
        "identifier": issued.grant.identifier.lower(),
        "code": issued.code[:5] + "-" + issued.code[5:],
        "device_name": "Téléphone",
        "platform": "android",
    }
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=4, seconds=50)):
        assert api.post("/activation", json=body).status_code == 200
    replay = api.post("/activation", json=body)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"

    issued = grant_create(actor=parent, account=parent)
    body.update(identifier=issued.grant.identifier, code=issued.code)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5, seconds=1)):
        late = api.post("/activation", json=body)
    assert late.status_code == 400
    assert late.json()["error"] == "invalid_grant"
    assert "Mon compte" in late.json()["message"]
    assert Device.objects.count() == 1


def test_a_new_code_kills_the_previous_one(api: Api, parent: Account) -> None:
    first = grant_create(actor=parent, account=parent)
    grant_create(actor=parent, account=parent)
    answer = api.post(
        "/activation",
        json={
            "identifier": first.grant.identifier,
            "code": first.code,
            "device_name": "x",
            "platform": "other",
        },
    )
    assert answer.json()["error"] == "invalid_grant"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_device(
    api: Api, paired: Callable[[], dict[str, Any]]
) -> None:
    first = paired()
    second = api.post("/token", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert api.get("/me", rotated["access_token"]).status_code == 200

    # The first refresh token again: someone holds a copy. The device dies.
    reused = api.post("/token", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"] == "invalid_refresh_token"
    assert api.get("/me", rotated["access_token"]).status_code == 401
    assert api.post("/token", json={"refresh_token": rotated["refresh_token"]}).status_code == 401
    assert Device.objects.get().revoke_reason == "refresh_reuse"
    assert AuditEvent.objects.filter(action="mobile.refresh.reuse").count() == 1


def test_the_access_token_expires_after_ten_minutes(
    api: Api, paired: Callable[[], dict[str, Any]]
) -> None:
    tokens = paired()
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10, seconds=1)):
        assert api.get("/me", tokens["access_token"]).status_code == 401
        fresh = api.post("/token", json={"refresh_token": tokens["refresh_token"]})
        assert fresh.status_code == 200
        assert api.get("/me", fresh.json()["access_token"]).status_code == 200


def test_the_session_cookie_is_never_accepted(
    api: Api, cas_service: Any, paired: Callable[[], dict[str, Any]]
) -> None:
    access = paired()["access_token"]
    browser = requests.Session()
    link = api.post("/web-link", access, json={"service": SERVICE}).json()["url"]
    web_link_open(browser, link)
    assert settings.SESSION_COOKIE_NAME in browser.cookies  # signed in on the site
    for method, path in (("get", "/me"), ("get", "/services"), ("post", "/logout")):
        answer = browser.request(method, api.url(path), timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error"] == "unauthorized"
