"""/cas/logout (§2.3) and single logout (§2.3.3): redirection only to registered services,
the LogoutRequest POSTed to every service that validated a ticket, in the background."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from preau.sso.cas.slo import logout_wait
from tests.sso.conftest import VIE_SCOLAIRE, register, ticket_from
from tests.sso.servers import Recorder, http_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def listening(db: Any) -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    with http_service(recorder) as base:
        register("Service local", ("prefix", base))
        yield base, recorder


def open_service(client: Client, url: str) -> str:
    ticket = ticket_from(client.get("/cas/login", {"service": url}))
    body = client.get("/cas/serviceValidate", {"service": url, "ticket": ticket}).content
    assert b"authenticationSuccess" in body
    return ticket


@pytest.mark.parametrize("how", ["preau", "cas"])
def test_signing_out_sends_the_logout_request_to_each_service(
    signed_in: Client,
    listening: tuple[str, Recorder],
    how: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    base, recorder = listening
    first = open_service(signed_in, base + "a/")
    second = open_service(signed_in, base + "b/")
    # A ticket issued but never validated opened no session there: nothing to close.
    ticket_from(signed_in.get("/cas/login", {"service": base + "c/"}))
    with django_capture_on_commit_callbacks(execute=True):
        if how == "preau":
            signed_in.post("/deconnexion")
        else:
            signed_in.get("/cas/logout")
    logout_wait()
    recorder.wait(2)
    assert sorted(path for _m, path, _p in recorder.requests) == ["/a/", "/b/"]
    indexes = set()
    for method, _path, params in recorder.requests:
        assert method == "POST"
        document = params["logoutRequest"][0]
        assert document.startswith(
            '<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"'
        )
        indexes.add(re.search(r"<samlp:SessionIndex>(.*)</samlp:SessionIndex>", document).group(1))  # type: ignore[union-attr]
    assert indexes == {first, second}


def test_a_slow_service_does_not_hold_the_logout(
    signed_in: Client, listening: tuple[str, Recorder], django_capture_on_commit_callbacks: Any
) -> None:
    base, recorder = listening
    open_service(signed_in, base)
    recorder.delay = 3
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post("/deconnexion")
    assert time.monotonic() - started < 1.5
    assert response.status_code == 302
    recorder.wait(1, timeout=10)


def test_a_service_without_single_logout_is_not_called(
    signed_in: Client, listening: tuple[str, Recorder], django_capture_on_commit_callbacks: Any
) -> None:
    from preau.portal.models import Service
    from preau.portal.registry import registry_bump

    base, recorder = listening
    Service.objects.filter(slug="service-local").update(single_logout=False)
    registry_bump()
    open_service(signed_in, base)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post("/deconnexion")
    logout_wait()
    assert recorder.requests == []


def test_logout_redirects_to_a_registered_service_only(
    signed_in: Client, vie_scolaire: Any
) -> None:
    response = signed_in.get("/cas/logout", {"service": VIE_SCOLAIRE})
    assert response.status_code == 302
    assert response["Location"] == VIE_SCOLAIRE
    assert "_auth_user_id" not in signed_in.session


@pytest.mark.parametrize("param", ["service", "url"])
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "https://vie-scolaire.test.evil.example/"],
)
def test_logout_never_redirects_elsewhere(
    signed_in: Client, vie_scolaire: Any, param: str, target: str
) -> None:
    response = signed_in.get("/cas/logout", {param: target})
    assert response.status_code == 200
    assert "Location" not in response
    html = response.content.decode()
    assert "Vous êtes déconnecté" in html
    assert "vous n’y êtes pas redirigé" in html
    assert "_auth_user_id" not in signed_in.session


def test_logout_with_the_cas_2_url_parameter(client: Client, vie_scolaire: Any) -> None:
    response = client.get("/cas/logout", {"url": VIE_SCOLAIRE})
    assert response["Location"] == VIE_SCOLAIRE


@pytest.mark.parametrize("how", ["elsewhere", "password"])
def test_a_session_ended_from_another_one_sends_single_logout_too(
    signed_in: Client,
    student: Any,
    listening: tuple[str, Recorder],
    how: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A session ended from another one ("se déconnecter partout ailleurs", a password change)
    sends single logout to the services it reached, as if it had signed out itself."""
    from preau.signin.models import SessionRecord
    from preau.sso.cas.models import SsoSession

    base, recorder = listening
    ticket = open_service(signed_in, base + "a/")
    other = Client()
    other.force_login(student)
    with django_capture_on_commit_callbacks(execute=True):
        if how == "elsewhere":
            response = other.post("/mon-compte/sessions")
        else:
            from preau.signin.sessions import sessions_end

            sessions_end(student, reason=SessionRecord.EndReason.PASSWORD)
    if how == "elsewhere":
        assert response.status_code == 302
    logout_wait()
    recorder.wait(1)
    assert [path for _m, path, _p in recorder.requests] == ["/a/"]
    assert ticket in recorder.requests[0][2]["logoutRequest"][0]
    assert not SsoSession.objects.filter(ended_at__isnull=True).exists()
    # The ended session is gone: its next visit meets the sign-in page.
    assert signed_in.get("/cas/login", {"service": base + "a/"}).status_code == 200
