"""/cas/login as credential requestor and acceptor (CAS 3.0 §2.1, §2.2): the sign-in form's
contract, SSO, renew, gateway, method=POST, warn, refusals, and required actions first."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.test import Client

from preau.activation.services import (
    charter_accept,
    charter_version_create,
    charter_version_publish,
)
from preau.directory.models import Account
from preau.sso.cas.models import ServiceTicket
from tests.signin.conftest import parse_form
from tests.sso.conftest import PASSWORD, VIE_SCOLAIRE, register, ticket_from

pytestmark = pytest.mark.django_db


def login_url(**params: str) -> str:
    return "/cas/login?" + urlencode(params)


def post_form(client: Client, url: str, username: str, password: str) -> Any:
    """Post the form back as a browser (or pronotepy) does: every input it holds."""
    page = client.get(url)
    form = parse_form(page.content.decode())
    data = form.inputs_by_name()
    data.update({"username": username, "password": password})
    return client.post(url, data)


def validate(client: Client, ticket: str, service: str = VIE_SCOLAIRE, **extra: str) -> str:
    response = client.get("/cas/serviceValidate", {"service": service, "ticket": ticket, **extra})
    return response.content.decode()


def test_the_login_page_keeps_the_cas_form_contract(client: Client, vie_scolaire: Any) -> None:
    response = client.get(login_url(service=VIE_SCOLAIRE))
    assert response.status_code == 200
    form = parse_form(response.content.decode())
    assert form.attrs["class"] == "cas__login-form"
    assert form.attrs["method"] == "post"
    assert "action" not in form.attrs  # posted back to the same address
    names = form.inputs_by_name()
    assert {"username", "password", "lt", "service", "csrfmiddlewaretoken"} <= set(names)
    assert names["service"] == VIE_SCOLAIRE
    assert names["lt"].startswith("LT-")
    assert all("name" in i for i in form.inputs), "every input is named"
    assert form.buttons, "a <button> submits the form"
    assert "Vie scolaire" in response.content.decode()


def test_credentials_lead_to_the_service_with_a_ticket(
    client: Client, student: Account, vie_scolaire: Any
) -> None:
    response = post_form(client, login_url(service=VIE_SCOLAIRE), "emma.petit", PASSWORD)
    assert response["Location"].startswith(VIE_SCOLAIRE + "?ticket=ST-")
    ticket = ticket_from(response)
    assert "<cas:user>emma.petit</cas:user>" in validate(client, ticket, renew="true")


def test_a_wrong_password_shows_the_form_again_with_an_error(
    client: Client, student: Account, vie_scolaire: Any
) -> None:
    response = post_form(client, login_url(service=VIE_SCOLAIRE), "emma.petit", "wrong")
    assert response.status_code == 401
    html = response.content.decode()
    assert "Identifiant ou mot de passe incorrect" in html
    assert parse_form(html).inputs_by_name()["service"] == VIE_SCOLAIRE
    assert not ServiceTicket.objects.exists()


def test_an_sso_session_gets_a_ticket_without_credentials(
    signed_in: Client, vie_scolaire: Any
) -> None:
    first = ticket_from(signed_in.get(login_url(service=VIE_SCOLAIRE)))
    second = ticket_from(signed_in.get(login_url(service=VIE_SCOLAIRE)))
    assert first != second
    assert "<cas:isFromNewLogin>false</cas:isFromNewLogin>" in validate(signed_in, first)


def test_renew_asks_for_credentials_even_with_an_sso_session(
    signed_in: Client, vie_scolaire: Any
) -> None:
    url = login_url(service=VIE_SCOLAIRE, renew="true")
    response = signed_in.get(url)
    assert response.status_code == 200
    assert parse_form(response.content.decode()).inputs_by_name()["renew"] == "true"
    ticket = ticket_from(post_form(signed_in, url, "emma.petit", PASSWORD))
    assert "<cas:isFromNewLogin>true</cas:isFromNewLogin>" in validate(
        signed_in, ticket, renew="true"
    )


def test_renew_at_validation_refuses_a_ticket_from_the_sso_session(
    signed_in: Client, vie_scolaire: Any
) -> None:
    ticket = ticket_from(signed_in.get(login_url(service=VIE_SCOLAIRE)))
    body = validate(signed_in, ticket, renew="true")
    assert 'code="INVALID_TICKET"' in body
    assert "primary credentials" in body


def test_gateway_without_a_session_returns_to_the_service_without_ticket(
    client: Client, vie_scolaire: Any
) -> None:
    response = client.get(login_url(service=VIE_SCOLAIRE, gateway="true"))
    assert response.status_code == 302
    assert response["Location"] == VIE_SCOLAIRE


def test_gateway_with_a_session_returns_a_ticket(signed_in: Client, vie_scolaire: Any) -> None:
    response = signed_in.get(login_url(service=VIE_SCOLAIRE, gateway="true"))
    assert ticket_from(response).startswith("ST-")


def test_method_post_hands_the_ticket_over_in_a_form(signed_in: Client, vie_scolaire: Any) -> None:
    response = signed_in.get(login_url(service=VIE_SCOLAIRE, method="POST"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{VIE_SCOLAIRE}"' in html
    assert 'name="ticket" value="ST-' in html
    assert "<button" in html  # works without JavaScript


def test_warn_asks_before_going_to_the_service(signed_in: Client, vie_scolaire: Any) -> None:
    response = signed_in.get(login_url(service=VIE_SCOLAIRE, warn="true"))
    assert response.status_code == 200
    assert "Vous allez être connecté à Vie scolaire" in response.content.decode()
    assert not ServiceTicket.objects.exists()
    assert response.context["continue_url"] == login_url(service=VIE_SCOLAIRE)


def test_without_service_the_page_says_the_session_is_open(
    client: Client, student: Account
) -> None:
    response = post_form(client, "/cas/login", "emma.petit", PASSWORD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vous êtes connecté" in html
    assert "cas__login-form" not in html
    assert client.get("/cas/login").status_code == 200
    assert "Vous êtes connecté" in client.get("/cas/login").content.decode()


@pytest.mark.parametrize(
    "service",
    [
        "https://evil.example/",
        "https://vie-scolaire.test.evil.example/",
        "https://vie-scolaire.test@evil.example/",
        "https://evil.example/?next=https://vie-scolaire.test/",
        "//vie-scolaire.test/",
        "javascript:alert(1)//https://vie-scolaire.test/",
        "https://vie-scolaire.test/\r\nLocation: https://evil.example/",
        "http://vie-scolaire.test/",
    ],
)
@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("gateway", [False, True])
def test_an_unregistered_address_is_refused_and_never_redirected_to(  # noqa: PLR0917
    client: Client, student: Account, vie_scolaire: Any, service: str, signed: bool, gateway: bool
) -> None:
    if signed:
        client.force_login(student)
    params = {"service": service, **({"gateway": "true"} if gateway else {})}
    response = client.get(login_url(**params))
    assert response.status_code == 403
    assert "Location" not in response
    assert "Service inconnu de l’ENT" in response.content.decode()
    assert not ServiceTicket.objects.exists()


def test_credentials_posted_for_an_unregistered_address_are_not_even_checked(
    client: Client, student: Account, vie_scolaire: Any
) -> None:
    response = client.post(
        login_url(service="https://evil.example/"),
        {"username": "emma.petit", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_service_closed_to_the_profile_is_refused(signed_in: Client, db: Any) -> None:
    register(
        "Cahier de textes",
        ("prefix", "https://cahier.test/"),
        allowed_profiles=["enseignant"],
    )
    response = signed_in.get(login_url(service="https://cahier.test/"))
    assert response.status_code == 403
    assert "Ce service ne vous est pas ouvert" in response.content.decode()
    assert not ServiceTicket.objects.exists()


def test_a_login_ticket_serves_once(client: Client, student: Account, vie_scolaire: Any) -> None:
    url = login_url(service=VIE_SCOLAIRE)
    data = parse_form(client.get(url).content.decode()).inputs_by_name()
    data.update({"username": "emma.petit", "password": "wrong"})
    assert client.post(url, data).status_code == 401
    data["password"] = PASSWORD
    replayed = client.post(url, data)
    assert replayed.status_code == 400
    assert "déjà servi" in replayed.content.decode()
    forged = {**data, "lt": data["lt"][:-1] + ("0" if data["lt"][-1] != "0" else "1")}
    assert client.post(url, forged).status_code == 400


def test_required_actions_run_before_any_ticket_then_the_ticket_is_issued(
    client: Client, student: Account, vie_scolaire: Any
) -> None:
    version = charter_version_create(actor=None, title="Charte", body="Article 1.")
    charter_version_publish(actor=None, version=version)
    url = login_url(service=VIE_SCOLAIRE)
    response = post_form(client, url, "emma.petit", PASSWORD)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/premiere-connexion/"
    assert parse_qs(target.query)["next"] == [url]
    assert not ServiceTicket.objects.exists()
    # An SSO session does not skip them either.
    again = client.get(url)
    assert urlsplit(again["Location"]).path == "/premiere-connexion/"
    assert not ServiceTicket.objects.exists()
    charter_accept(actor=student, account=student, version=version)
    assert ticket_from(client.get(url)).startswith("ST-")


def test_renew_survives_the_first_connection_journey(
    client: Client, student: Account, vie_scolaire: Any
) -> None:
    version = charter_version_create(actor=None, title="Charte", body="Article 1.")
    charter_version_publish(actor=None, version=version)
    url = login_url(service=VIE_SCOLAIRE, renew="true")
    response = post_form(client, url, "emma.petit", PASSWORD)
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [url]
    charter_accept(actor=student, account=student, version=version)
    ticket = ticket_from(client.get(url))
    assert "emma.petit" in validate(client, ticket, renew="true")
    # Only once: the next renew asks for credentials again.
    assert client.get(url).status_code == 200


def test_gateway_with_pending_actions_returns_without_ticket(
    signed_in: Client, vie_scolaire: Any
) -> None:
    version = charter_version_create(actor=None, title="Charte", body="Article 1.")
    charter_version_publish(actor=None, version=version)
    response = signed_in.get(login_url(service=VIE_SCOLAIRE, gateway="true"))
    assert response["Location"] == VIE_SCOLAIRE
    assert not ServiceTicket.objects.exists()
