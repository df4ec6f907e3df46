"""Sign-in choices (WAYF): configured by the deployment, each leads to its form, the last one is
remembered on the device, ``?selection=`` selects one; the CAS form contract holds whatever the
choice, and scripts posting username and password keep signing in."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from preau.directory.models import Account
from preau.signin.wayf import COOKIE_NAME, signin_choices
from tests.signin.conftest import LOGIN_URL, PASSWORD, parse_form, parse_page

pytestmark = pytest.mark.django_db

DEFAULT_LABELS = [
    "Élève ou parent",
    "Enseignant",
    "Personnel non enseignant",
    "Autres comptes et invités",
]


def page_of(response: Any) -> str:
    return html.unescape(response.content.decode())


def choice_links(body: str) -> list[tuple[str, str, bool]]:
    """(label, href, selected) of the choices, in order."""
    import re

    nav = body.split('id="wayf"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'<a class="fr-tag" href="([^"]*)"( aria-current="true")?>([^<]*)</a>', nav)
    return [(label, href, bool(current)) for href, current, label in links]


def test_the_default_choices_are_links_above_the_one_form(client: Client) -> None:
    body = page_of(client.get(LOGIN_URL))
    links = choice_links(body)
    assert [label for label, _href, _sel in links] == DEFAULT_LABELS
    assert [href for _label, href, _sel in links] == [
        "/connexion?selection=eleve-parent",
        "/connexion?selection=enseignant",
        "/connexion?selection=personnel",
        "/connexion?selection=autres",
    ]
    assert not any(selected for *_rest, selected in links)
    assert "Vous êtes :" in body
    page = parse_page(body)
    assert len(page.forms) == 1  # choosing is a link, never a second form
    assert "selection" not in parse_form(body).inputs_by_name()


def test_a_selection_in_the_address_leads_to_its_form_and_is_remembered(client: Client) -> None:
    response = client.get(LOGIN_URL + "?selection=enseignant")
    body = page_of(response)
    [selected] = [label for label, _href, sel in choice_links(body) if sel]
    assert selected == "Enseignant"
    page = parse_page(body)
    assert page.ids["username-hint"] == "L'identifiant de votre compte, par exemple marie.curie."
    assert parse_form(body).inputs_by_name()["selection"] == "enseignant"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == "enseignant"
    assert cookie["max-age"] == 365 * 86400
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"

    # The next visit, without anything in the address, comes back to it.
    again = client.get(LOGIN_URL)
    assert [label for label, _h, sel in choice_links(page_of(again)) if sel] == ["Enseignant"]
    assert COOKIE_NAME not in again.cookies  # nothing new to remember


def test_choosing_another_replaces_the_remembered_one(client: Client) -> None:
    client.get(LOGIN_URL + "?selection=enseignant")
    response = client.get(LOGIN_URL + "?selection=eleve-parent")
    assert response.cookies[COOKIE_NAME].value == "eleve-parent"
    body = page_of(client.get(LOGIN_URL))
    assert [label for label, _h, sel in choice_links(body) if sel] == ["Élève ou parent"]
    assert "par exemple jean.dupont" in parse_page(body).ids["username-hint"]


@pytest.mark.parametrize("selection", ["inconnu", "", "ENSEIGNANT", "<script>", "a" * 300])
def test_an_unknown_selection_is_ignored(client: Client, selection: str) -> None:
    client.cookies[COOKIE_NAME] = "personnel"
    response = client.get(LOGIN_URL, {"selection": selection})
    assert response.status_code == 200
    assert COOKIE_NAME not in response.cookies
    body = page_of(response)
    assert [label for label, _h, sel in choice_links(body) if sel] == ["Personnel non enseignant"]
    assert "<script>" not in response.content.decode()


def test_a_forged_cookie_is_ignored(client: Client) -> None:
    client.cookies[COOKIE_NAME] = "../../etc"
    body = page_of(client.get(LOGIN_URL))
    assert not any(sel for *_rest, sel in choice_links(body))


def test_the_links_keep_the_pages_other_parameters(client: Client) -> None:
    body = page_of(client.get(LOGIN_URL, {"next": "/mon-compte/", "selection": "autres"}))
    for _label, href, _sel in choice_links(body):
        query = parse_qs(urlsplit(href).query)
        assert query["next"] == ["/mon-compte/"]
        assert len(query["selection"]) == 1


@pytest.mark.parametrize("selection", [None, "eleve-parent", "enseignant", "autres"])
def test_a_script_posting_every_input_back_signs_in_whatever_the_choice(
    active_account: Account, selection: str | None
) -> None:
    """pronotepy's generic CAS login: GET the page, post every input of the form back."""
    client = Client(enforce_csrf_checks=True)
    url = LOGIN_URL + (f"?selection={selection}" if selection else "")
    payload = dict(parse_form(client.get(url, secure=True).content.decode()).inputs_by_name())
    payload.update({"username": "claire.martin", "password": PASSWORD})
    response = client.post(url, payload, secure=True)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(active_account.pk)


def test_a_bare_post_of_username_and_password_signs_in_with_a_remembered_choice(
    active_account: Account, client: Client
) -> None:
    client.get(LOGIN_URL + "?selection=personnel")
    response = client.post(LOGIN_URL, {"username": "claire.martin", "password": PASSWORD})
    assert response.status_code == 302


def test_a_failure_keeps_the_choice(active_account: Account, client: Client) -> None:
    response = client.post(
        LOGIN_URL, {"username": "claire.martin", "password": "wrong", "selection": "enseignant"}
    )
    assert response.status_code == 401
    body = page_of(response)
    assert [label for label, _h, sel in choice_links(body) if sel] == ["Enseignant"]
    assert parse_form(body).inputs_by_name()["selection"] == "enseignant"


def test_an_identity_source_elsewhere_is_a_button_above_the_local_form(
    client: Client, settings: Any
) -> None:
    settings.PREAU = {
        **settings.PREAU,
        "SIGNIN_CHOICES": [
            {
                "code": "educonnect",
                "label": "Élève ou parent (ÉduConnect)",
                "url": "https://educonnect.example/login",
                "description": "Avec le compte ÉduConnect.",
            },
            {"code": "autres", "label": "Autres comptes"},
        ],
    }
    body = page_of(client.get(LOGIN_URL + "?selection=educonnect"))
    assert (
        '<a class="fr-btn fr-btn--lg" href="https://educonnect.example/login">'
        "Se connecter : Élève ou parent (ÉduConnect)</a>" in body
    )
    assert "Avec le compte ÉduConnect." in body
    assert "Ou avec un identifiant et un mot de passe" in body
    assert len(parse_page(body).forms) == 1


def test_no_choices_configured_shows_the_form_alone(client: Client, settings: Any) -> None:
    settings.PREAU = {**settings.PREAU, "SIGNIN_CHOICES": []}
    body = page_of(client.get(LOGIN_URL + "?selection=enseignant"))
    assert 'id="wayf"' not in body
    assert "selection" not in parse_form(body).inputs_by_name()


@pytest.mark.parametrize(
    "choices",
    [
        [{"code": "Majuscules", "label": "x"}],
        [{"code": "a", "label": "x"}, {"code": "a", "label": "y"}],
        [{"code": "a", "label": ""}],
        [{"code": "a", "label": "x", "url": "javascript:alert(1)"}],
    ],
)
def test_a_bad_configuration_is_refused(settings: Any, choices: list[dict[str, str]]) -> None:
    settings.PREAU = {**settings.PREAU, "SIGNIN_CHOICES": choices}
    with pytest.raises(ImproperlyConfigured):
        signin_choices()


def test_the_page_links_to_the_forgotten_identifier_and_password_pages(client: Client) -> None:
    body = page_of(client.get(LOGIN_URL))
    assert '<a href="/identifiant-oublie/">Identifiant oublié ?</a>' in body
    assert '<a href="/mot-de-passe-oublie/">Mot de passe oublié ?</a>' in body


def test_the_cas_login_page_shows_the_choices_and_signs_in_whatever_the_choice(
    active_account: Account, client: Client
) -> None:
    from tests.sso.conftest import VIE_SCOLAIRE, register

    register("Vie scolaire", ("prefix", VIE_SCOLAIRE), launch_url=VIE_SCOLAIRE)
    url = f"/cas/login?service={VIE_SCOLAIRE}&selection=eleve-parent"
    response = client.get(url)
    body = page_of(response)
    assert response.cookies[COOKIE_NAME].value == "eleve-parent"
    links = choice_links(body)
    assert [label for label, _h, sel in links if sel] == ["Élève ou parent"]
    assert all("service=https" in href for _label, href, _sel in links)
    form = parse_form(body).inputs_by_name()
    assert form["service"] == VIE_SCOLAIRE
    form.update({"username": "claire.martin", "password": PASSWORD})
    posted = client.post(url, form)
    assert posted.status_code == 302
    assert posted["Location"].startswith(VIE_SCOLAIRE + "?ticket=ST-")
