"""The one-time web sign-in link: a GET (a link previewer, a mail or chat scanner, the person
opening it) only shows "Continuer vers <service>"; the button's POST, CSRF-checked, spends it
and signs the person in on the way to the service."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from preau.directory.models import Account
from preau.mobile.models import PairingGrant, WebLink
from preau.mobile.services import device_pair, device_revoke, grant_create, web_link_create
from tests.mobile.conftest import SERVICE

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(parent: Account, cas_service: Any) -> str:
    issued = grant_create(actor=parent, account=parent)
    device = device_pair(
        kind=PairingGrant.Kind.CODE,
        identifier=issued.grant.identifier,
        secret=issued.code,
        name="Téléphone",
        platform="android",
    ).device
    return f"/mobile/connexion/{web_link_create(device=device, service=SERVICE)}"


def csrf_token(page: Any) -> str:
    return str(page.content.decode().split('name="csrfmiddlewaretoken" value="')[1].split('"')[0])


def test_a_get_never_spends_the_link_and_the_button_does(link: str) -> None:
    # A chat's link previewer, then the person: the same page each time, nobody signed in.
    for _ in range(3):
        page = Client().get(link)
        assert page.status_code == 200
        html = page.content.decode()
        assert "<h1>Continuer vers Vie scolaire</h1>" in html
        assert '<form id="web-link-continue" method="post">' in html
        assert settings.SESSION_COOKIE_NAME not in page.cookies
        assert WebLink.objects.get().used_at is None
    assert Client().head(link).status_code == 405
    assert WebLink.objects.get().used_at is None

    person = Client(enforce_csrf_checks=True)
    page = person.get(link)
    # A POST without the page's token (another site's form) is refused and spends nothing.
    assert Client(enforce_csrf_checks=True).post(link).status_code == 403
    assert WebLink.objects.get().used_at is None
    answer = person.post(link, {"csrfmiddlewaretoken": csrf_token(page)})
    assert answer.status_code == 302
    target = urlsplit(answer["Location"])
    assert (target.path, parse_qs(target.query)) == ("/cas/login", {"service": [SERVICE]})
    assert person.get("/mon-compte/").status_code == 200  # signed in
    assert WebLink.objects.get().used_at is not None

    # Spent: neither the page nor the button opens anything any more.
    late = Client(enforce_csrf_checks=True)
    page = late.get(link)
    assert page.status_code == 400
    assert "Ce lien n’est plus valable" in page.content.decode()
    again = person.post(link, {"csrfmiddlewaretoken": csrf_token(person.get("/mon-compte/"))})
    assert again.status_code == 400


def test_an_expired_link_or_a_removed_device_shows_the_invalid_page(
    link: str, parent: Account
) -> None:
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=61)):
        assert Client().get(link).status_code == 400
        assert Client().post(link).status_code == 400
    device = WebLink.objects.get().device
    device_revoke(actor=parent, device=device, reason="removed")
    page = Client().get(link)
    assert page.status_code == 400
    assert "plus valable" in page.content.decode()
    assert Client().post(link).status_code == 400
    assert Client().get("/mobile/connexion/pmw_inconnu").status_code == 400
