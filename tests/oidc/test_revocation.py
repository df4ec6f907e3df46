"""A service's tokens die with the secrets they were obtained with: a password changed in "Mon
compte", "se déconnecter partout ailleurs", a password reset, a new activation code from the
school and a deactivation revoke the account's access and refresh tokens (userinfo answers
401, the refresh grant invalid_grant) at once, and nobody else's."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from preau.activation.models import ActivationJourney
from preau.activation.submission import FIELD
from preau.audit.models import AuditEvent
from preau.directory.models import Account, Establishment, Membership
from preau.directory.services import RevokeReason, accounts_access_revoke
from preau.sso.oidc.services import tokens_revoke
from tests.conftest import IMMEDIATE_TASKS
from tests.oidc.conftest import (
    PASSWORD,
    RegisteredClient,
    active_account,
    code_for,
    exchange,
    make_student,
    pkce,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Girafe+Bleue77"


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any) -> None:
    settings.TASKS = IMMEDIATE_TASKS


def _journey_done(account: Account) -> None:
    now = timezone.now()
    ActivationJourney.objects.create(
        account=account,
        started_at=now,
        password_updated_at=now,
        birth_date_confirmed_at=now,
        contact_updated_at=now,
        email_step_seen_at=now,
        completed_at=now,
    )


@pytest.fixture
def pupil(establishment: Establishment) -> Account:
    """Léa, activated through her first connection, with a verified e-mail address."""
    account = make_student(establishment)
    _journey_done(account)
    return account


@pytest.fixture
def bystander(establishment: Establishment) -> Account:
    account = active_account("tom.durand", birth_date=timezone.localdate().replace(year=2011))
    Membership.objects.create(
        account=account, establishment=establishment, profile="eleve", school_year=2026
    )
    _journey_done(account)
    return account


@pytest.fixture
def school_admin(establishment: Establishment) -> Account:
    account = active_account("sophie.leroy")
    Membership.objects.create(
        account=account,
        establishment=establishment,
        profile=Membership.Profile.STAFF,
        school_year=2026,
        is_local_admin=True,
    )
    _journey_done(account)
    return account


def signed_in(login: str, password: str = PASSWORD) -> Client:
    browser = Client()
    response = browser.post("/connexion", {"username": login, "password": password})
    assert response.status_code == 302, response.content.decode()[:1500]
    return browser


def tokens_for(browser: Client, rp: RegisteredClient) -> dict[str, str]:
    """Tokens a service gets through the real authorization and token endpoints."""
    challenge = pkce()
    response = exchange(browser, rp, code_for(browser, rp, challenge), challenge.verifier)
    assert response.status_code == 200, response.content
    body: dict[str, str] = json.loads(response.content)
    return body


def userinfo(tokens: dict[str, str]) -> int:
    bearer = f"Bearer {tokens['access_token']}"
    return int(Client().get("/oidc/userinfo", HTTP_AUTHORIZATION=bearer).status_code)


def refresh(rp: RegisteredClient, tokens: dict[str, str]) -> Any:
    return Client().post(
        "/oidc/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": rp.client_id,
            "client_secret": rp.secret,
        },
    )


def assert_revoked(rp: RegisteredClient, tokens: dict[str, str]) -> None:
    assert userinfo(tokens) == 401
    refused = refresh(rp, tokens)
    assert refused.status_code == 400, refused.content
    assert json.loads(refused.content)["error"] == "invalid_grant"


def assert_alive(rp: RegisteredClient, tokens: dict[str, str]) -> None:
    assert userinfo(tokens) == 200
    refreshed = refresh(rp, tokens)
    assert refreshed.status_code == 200, refreshed.content
    assert userinfo(json.loads(refreshed.content)) == 200


# --- The five acts, each through its own page ---------------------------------------------------


def change_password_in_mon_compte(account: Account, **_: Any) -> None:
    browser = signed_in(account.login)
    page = browser.get("/mon-compte/mot-de-passe").content.decode()
    found = re.search(rf'name="{FIELD}" value="([^"]+)"', page)
    assert found
    response = browser.post(
        "/mon-compte/mot-de-passe",
        {
            FIELD: found.group(1),
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert response["Location"] == "/mon-compte/"


def sign_out_everywhere_else(account: Account, **_: Any) -> None:
    browser = signed_in(account.login)
    response = browser.post("/mon-compte/sessions")
    assert response.status_code == 302
    assert browser.get("/mon-compte/").status_code == 200  # this session stays


def reset_the_password(account: Account, *, capture: Callable[..., Any], **_: Any) -> None:
    browser = Client()
    mail.outbox.clear()
    capture(browser.post, "/mot-de-passe-oublie/", {"query": account.login})
    [message] = mail.outbox
    found = re.search(r"https?://[^/\s]+(/mot-de-passe-oublie/lien/[A-Za-z0-9_\-]+)", message.body)
    assert found, message.body
    assert browser.get(found.group(1))["Location"] == "/mot-de-passe-oublie/nouveau"
    done = capture(
        browser.post,
        "/mot-de-passe-oublie/nouveau",
        {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD},
    )
    assert done["Location"] == "/mot-de-passe-oublie/termine"


def _console(name: str, establishment: Establishment, account: Account) -> str:
    return reverse(f"console:{name}", kwargs={"uai": establishment.uai, "login": account.login})


def reissue_the_activation_code(
    account: Account, *, admin: Account, establishment: Establishment, **_: Any
) -> None:
    response = signed_in(admin.login).post(
        _console("account_reissue", establishment, account), {"delivery": "letter"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def deactivate_the_account(
    account: Account, *, admin: Account, establishment: Establishment, **_: Any
) -> None:
    signed_in(admin.login).post(_console("account_deactivate", establishment, account))
    account.refresh_from_db()
    assert account.state == Account.State.DEACTIVATED


ACTS = {
    "password change in Mon compte": (change_password_in_mon_compte, RevokeReason.PASSWORD),
    "sign out everywhere else": (sign_out_everywhere_else, RevokeReason.ELSEWHERE),
    "password reset": (reset_the_password, RevokeReason.PASSWORD),
    "new activation code": (reissue_the_activation_code, RevokeReason.REISSUE),
    "deactivation": (deactivate_the_account, RevokeReason.DEACTIVATED),
}


@pytest.mark.parametrize("act", list(ACTS))
def test_the_act_revokes_the_accounts_tokens_and_only_its_own(
    act: str,
    *,
    rp: RegisteredClient,
    pupil: Account,
    bystander: Account,
    school_admin: Account,
    establishment: Establishment,
    django_capture_on_commit_callbacks: Any,
) -> None:
    def capture(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    phone = signed_in(pupil.login)
    first = tokens_for(phone, rp)
    # A refreshed family too: its first refresh token is already superseded.
    rotated = json.loads(refresh(rp, tokens_for(phone, rp)).content)
    theirs = tokens_for(signed_in(bystander.login), rp)
    assert userinfo(first) == 200 and userinfo(rotated) == 200

    do, reason = ACTS[act]
    do(pupil, admin=school_admin, establishment=establishment, capture=capture)

    assert_revoked(rp, first)
    assert_revoked(rp, rotated)
    assert not AccessToken.objects.filter(user=pupil).exists()
    assert not IDToken.objects.filter(user=pupil).exists()
    assert not RefreshToken.objects.filter(user=pupil, revoked__isnull=True).exists()
    event = AuditEvent.objects.get(action="oidc.tokens_revoke", target=pupil)
    assert event.data == {"reason": str(reason), "access_tokens": 2, "refresh_tokens": 2}
    # Another person's tokens are untouched.
    assert_alive(rp, theirs)
    assert not AuditEvent.objects.filter(action="oidc.tokens_revoke", target=bystander).exists()


def test_a_code_not_yet_exchanged_dies_too(
    client: Client, rp: RegisteredClient, pupil: Account
) -> None:
    client.force_login(pupil)
    challenge = pkce()
    code = code_for(client, rp, challenge)
    accounts_access_revoke(account_ids=[pupil.pk], reason=RevokeReason.ELSEWHERE)
    assert not Grant.objects.filter(user=pupil).exists()
    response = exchange(client, rp, code, challenge.verifier)
    assert response.status_code == 400
    assert json.loads(response.content)["error"] == "invalid_grant"


def test_revoking_thousands_of_accounts_takes_a_few_queries(
    rp: RegisteredClient,
    pupil: Account,
    django_assert_max_num_queries: Any,
) -> None:
    many = Account.objects.bulk_create(
        Account(login=f"eleve.{n}", first_name="Élève", last_name=str(n), password="!")
        for n in range(3000)
    )
    tokens_for(signed_in(pupil.login), rp)
    ids = [account.pk for account in many] + [pupil.pk]
    # Savepoints included; the same whether 1 or 3,000 accounts.
    with django_assert_max_num_queries(16):
        revoked = tokens_revoke(account_ids=ids, reason=RevokeReason.REISSUE)
    assert (revoked.accounts, revoked.access_tokens, revoked.refresh_tokens) == (1, 1, 1)
    # Nothing to revoke: no write at all but the codes and ID tokens swept.
    with django_assert_max_num_queries(6):
        revoked = tokens_revoke(account_ids=ids, reason=RevokeReason.REISSUE)
    assert revoked.accounts == 0
