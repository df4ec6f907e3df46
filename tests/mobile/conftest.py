"""A parent with a confirmed child, a CAS service, the live server and a bearer token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.utils import timezone

from preau.directory.models import Account, Establishment, Guardianship, Membership
from preau.mobile.services import grant_create
from preau.signin.passwords import account_password_set
from tests.sso.conftest import register

PASSWORD = "Tournesol#42b"
SERVICE = "https://vie-scolaire.example.fr/login"


def active(login: str, first: str, last: str, **fields: Any) -> Account:
    return Account.objects.create_user(
        login,
        password=PASSWORD,
        first_name=first,
        last_name=last,
        state=Account.State.ACTIVE,
        activated_at=timezone.now(),
        **fields,
    )


@pytest.fixture
def parent(establishment: Establishment) -> Account:
    """A guardian with one confirmed child and one frozen (not shown), nothing left to do at
    the first connection."""
    account = active(
        "claire.martin",
        "Claire",
        "Martin",
        email="claire@example.fr",
        email_verified_at=timezone.now(),
        mobile="+33612345678",
    )
    Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=Membership.Profile.GUARDIAN,
        school_year=2026,
    )
    for login, first, confirmation in (
        ("leo.martin", "Léo", Guardianship.Confirmation.CONFIRMED),
        ("zoe.martin", "Zoé", Guardianship.Confirmation.FROZEN),
    ):
        child = active(login, first, "Martin", birth_date=dt.date(2012, 3, 4))
        Membership.objects.create(
            account=child,
            establishment=establishment,
            profile=Membership.Profile.STUDENT,
            school_year=2026,
        )
        Guardianship.objects.create(
            guardian=account, student=child, establishment=establishment, confirmation=confirmation
        )
    account_password_set(actor=None, account=account, password=PASSWORD)
    account.refresh_from_db()
    return account


@pytest.fixture
def cas_service(db: Any) -> Any:
    return register("Vie scolaire", ("prefix", SERVICE), slug="vie-scolaire", launch_url=SERVICE)


@dataclass
class Api:
    base: str

    def url(self, path: str) -> str:
        return f"{self.base}/api/mobile/v1{path}"

    def post(self, path: str, token: str = "", **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.post(self.url(path), headers=headers, timeout=10, **kwargs)

    def get(self, path: str, token: str = "", **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.get(self.url(path), headers=headers, timeout=10, **kwargs)

    def put(self, path: str, token: str = "", **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.put(self.url(path), headers=headers, timeout=10, **kwargs)


@pytest.fixture
def api(live_server: Any) -> Api:
    return Api(live_server.url)


@pytest.fixture
def paired(parent: Account, api: Api) -> Callable[[], dict[str, Any]]:
    """Pair a new device of the parent through the typed-code flow; the token answer."""

    def run() -> dict[str, Any]:
        issued = grant_create(actor=parent, account=parent)
        answer = api.post(
            "/activation",
            json={
                "identifier": issued.grant.identifier,
                "code": issued.code,
                "device_name": "Téléphone de Claire",
                "platform": "android",
            },
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    return run


def web_link_open(browser: requests.Session, url: str) -> requests.Response:
    """What a person does with a web link: the page (GET, which spends nothing), then its
    "Continuer vers …" button (POST, with the page's CSRF token). The answer of the POST,
    not followed."""
    page = browser.get(url, allow_redirects=False, timeout=10)
    assert page.status_code == 200, page.text
    assert 'id="web-link-continue"' in page.text
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    return browser.post(url, data={"csrfmiddlewaretoken": token}, allow_redirects=False, timeout=10)
