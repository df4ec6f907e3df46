from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from preau.directory.models import Account
from preau.lifecycle.services import expired_tokens_purge

pytestmark = pytest.mark.django_db


def _session(expire_in: timedelta) -> str:
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + expire_in
    )
    return store.session_key or ""


def _token(account: Account, expire_in: timedelta) -> None:
    application = get_application_model().objects.first() or get_application_model().objects.create(
        name="Service",
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://service.example/cb",
        algorithm="RS256",
    )
    get_access_token_model().objects.create(
        user=account,
        application=application,
        token=f"tok-{expire_in.total_seconds()}",
        expires=timezone.now() + expire_in,
        scope="openid",
    )


def test_expired_sessions_and_tokens_go_live_ones_stay() -> None:
    account = Account.objects.create_user("zoe.martin", last_name="Martin", first_name="Zoé")
    old_session = _session(-timedelta(hours=1))
    live_session = _session(timedelta(hours=1))
    _token(account, -timedelta(hours=1))
    _token(account, timedelta(hours=1))

    assert expired_tokens_purge(dry_run=True).count == 2
    assert Session.objects.filter(session_key=old_session).exists()

    assert expired_tokens_purge().count == 2
    assert not Session.objects.filter(session_key=old_session).exists()
    assert Session.objects.filter(session_key=live_session).exists()
    assert get_access_token_model().objects.count() == 1
    assert expired_tokens_purge().count == 0


def test_the_command_reports_the_purge(capsys: pytest.CaptureFixture[str]) -> None:
    _session(-timedelta(minutes=1))
    call_command("lifecycle")
    assert "Sessions et jetons OpenID Connect expirés supprimés : 1" in capsys.readouterr().out
