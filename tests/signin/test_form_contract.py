"""The sign-in page keeps the CAS login form contract of the architecture page."""

from __future__ import annotations

import pytest
from django.test import Client

from preau.directory.models import Account
from tests.signin.conftest import LOGIN_URL, PASSWORD, parse_form, parse_page, sign_in

pytestmark = pytest.mark.django_db


def test_the_page_holds_one_cas_login_form_posting_to_its_own_url(client: Client) -> None:
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    html = response.content.decode()
    form = parse_form(html)
    assert "cas__login-form" in form.attrs["class"].split()
    assert form.attrs["method"].lower() == "post"
    assert form.attrs.get("action", "") in ("", LOGIN_URL)
    assert all(i.get("name") for i in form.inputs), "every input is named"
    names = [i["name"] for i in form.inputs]
    assert names.count("username") == names.count("password") == 1
    hidden = {i["name"] for i in form.inputs if i.get("type") == "hidden"}
    assert {"csrfmiddlewaretoken", "next"} <= hidden
    assert [b.get("type", "submit") for b in form.buttons] == ["submit"]
    assert len(parse_page(html).forms) == 1


def test_the_fields_are_labelled_in_french_with_autocomplete_hints(client: Client) -> None:
    page = parse_page(client.get(LOGIN_URL).content.decode())
    form = parse_form(client.get(LOGIN_URL).content.decode())
    username, password = form.input("username"), form.input("password")
    assert username["type"] == "text"
    assert username["autocomplete"] == "username"
    assert password["type"] == "password"
    assert password["autocomplete"] == "current-password"
    assert page.labels["username"].startswith("Identifiant")
    assert page.labels["password"].startswith("Mot de passe ou code d’activation")
    for field in (username, password):
        for described_by in field["aria-describedby"].split():
            assert page.ids[described_by], f"{described_by} names an element with text"
        assert "aria-invalid" not in field


def test_a_failure_rerenders_the_form_with_the_identifier_and_a_linked_error(
    client: Client, active_account: Account
) -> None:
    response = sign_in(client, "Claire.Martin ", "wrong password")
    assert response.status_code == 401
    html = response.content.decode()
    page = parse_page(html)
    form = parse_form(html)
    assert form.input("username")["value"] == "Claire.Martin"
    assert form.input("password").get("value", "") == "", "a password is never sent back"
    assert "Identifiant ou mot de passe incorrect" in page.ids["signin-error"]
    for name in ("username", "password"):
        field = form.input(name)
        assert "signin-error" in field["aria-describedby"].split()
        assert field["aria-invalid"] == "true"


def test_empty_fields_say_what_to_type(client: Client) -> None:
    response = client.post(LOGIN_URL, {"username": "", "password": ""})
    assert response.status_code == 400
    page = parse_page(response.content.decode())
    assert page.ids["username-errors"] == "Saisissez votre identifiant."
    assert page.ids["password-errors"] == (
        "Saisissez votre mot de passe ou votre code d’activation."
    )
    form = parse_form(response.content.decode())
    assert "username-errors" in form.input("username")["aria-describedby"]


def test_a_script_posting_back_every_input_signs_in_over_https_without_referer(
    active_account: Account,
) -> None:
    """pronotepy's generic CAS login: GET the page, post back every input of form.cas__login-form
    with username and password replaced; requests sends neither Origin nor Referer."""
    client = Client(enforce_csrf_checks=True)
    page = client.get(LOGIN_URL, secure=True)
    payload = dict(parse_form(page.content.decode()).inputs_by_name())
    payload.update({"username": "claire.martin", "password": PASSWORD})
    response = client.post(LOGIN_URL, payload, secure=True)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session["_auth_user_id"] == str(active_account.pk)
